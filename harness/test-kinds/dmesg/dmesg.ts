/**
 * dmesg: the kernel's log as a test, read after the others. `dmesg.clean`
 * is one stable leaf: it passes when the log, read to the agent's end and
 * not cut at the console's cap, holds no report the cell answers for, and
 * fails naming them when it does. Each such report (a WARNING, a BUG, an
 * Oops, a panic, as console/incidents.ts finds them) is a failing leaf of
 * its own as well, numbered within its kind (`warning-1`, `bug-1`), so
 * that TAP, JUnit and KCIDB name each one. Reports a kind took charge of
 * (KUnit's inside a case, one a rule lets a case print) are that kind's,
 * not dmesg's.
 *
 * What it needs: the kernel's messages on the console whatever the log
 * level (`ignore_loglevel`, as a `quiet` would hide a WARNING). How it
 * reads results: the console observation's reports, which leave out what
 * a guest program printed inside its framed output.
 */
import { describeIncident } from '../../console/incidents.js';
import type { Incident } from '../../console/types.js';
import { childPath, testPath } from '../../matrix/test-path.js';
import type { UnjudgedNode } from '../../verdict/tree.js';

export const DMESG = 'dmesg';

export interface DmesgReading {
  node: UnjudgedNode | null;
  untrusted: string[];
}

/** How much of the log was seen: to the agent's end, and not cut at the console's cap. */
export interface LogExtent {
  finished: boolean;
  cut: boolean;
}

/** Reports counted past the read cap, and how many were read before it (the cell's, and those a kind took). */
export interface PastCap {
  dropped: number;
  read: number;
}

/** The log's node from the reports the cell answers for, and those counted past the read cap. */
export function readDmesg(reports: readonly Incident[], past: PastCap, extent: LogExtent): DmesgReading {
  const root = testPath(DMESG);
  const leaf = (name: string, verdict: 'pass' | 'fail', reasons: string[], log: string[]): UnjudgedNode => ({
    name,
    path: childPath(root, name),
    verdict,
    reasons,
    log,
    children: [],
  });
  const perKind = new Map<string, number>();
  const named = reports.map((report) => {
    const n = (perKind.get(report.kind) ?? 0) + 1;
    perKind.set(report.kind, n);
    return leaf(`${report.kind}-${n}`, 'fail', [describeIncident(report)], report.excerpt);
  });
  const more =
    past.dropped > 0
      ? [leaf('more', 'fail', [`${past.dropped} more kernel reports after the first ${past.read}: counted, not read one by one`], [])]
      : [];
  if (named.length === 0 && more.length === 0) {
    // no report seen is not a clean log unless all of it was seen
    if (!extent.finished)
      return { node: null, untrusted: ['the kernel log ends before the agent finished: a report after it would be missed'] };
    if (extent.cut) return { node: null, untrusted: ['the console was cut at its cap: a report printed after it is unseen'] };
  }
  const count = reports.length + past.dropped;
  const listed = [...named.map((l) => l.name), ...(past.dropped > 0 ? [`${past.dropped} past the read cap (more)`] : [])];
  const clean =
    count === 0
      ? leaf('clean', 'pass', [], [])
      : leaf('clean', 'fail', [`the kernel log holds ${count === 1 ? 'a report' : `${count} reports`}: ${listed.join(', ')}`], []);
  const children = [clean, ...named, ...more];
  return { node: { name: DMESG, path: root, verdict: count > 0 ? 'fail' : 'pass', reasons: [], log: [], children }, untrusted: [] };
}
