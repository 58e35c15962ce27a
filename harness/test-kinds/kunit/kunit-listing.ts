/**
 * The KUnit cases a kernel has for a filter, as it lists them itself
 * (kunit.action=list): what names the cases a crash cut off, so that a
 * case the kernel never reached is a leaf of its own (crashed), not lost.
 * Read from the console of a listing boot, a line `suite.case` each after
 * its KTAP version line; a suite alone on a line (6.12) names the suite.
 */
import { kernelMessage } from '../../console/ktap.js';
import type { KunitListing } from './kunit.js';

const NAME = /^([A-Za-z0-9_-]+)(?:\.(\S+))?$/;

/** The suites and their cases in the order the kernel listed them; null when the console holds no listing. */
export function parseKunitListing(lines: readonly string[]): KunitListing | null {
  const start = lines.findIndex((l) => kernelMessage(l).trim() === 'KTAP version 1');
  if (start < 0) return null;
  const listing: KunitListing = new Map();
  for (const line of lines.slice(start + 1)) {
    const message = kernelMessage(line).trim();
    // the listing is the kernel's last word before init
    if (/ as init process|^Freeing unused kernel memory|^KVMATRIX\//.test(message)) break;
    const m = NAME.exec(message);
    if (!m) continue;
    const cases = listing.get(m[1]!) ?? [];
    if (m[2] !== undefined) cases.push(m[2]);
    listing.set(m[1]!, cases);
  }
  return listing;
}
