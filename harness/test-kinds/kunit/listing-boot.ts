import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseConsole } from '../../console/parse.js';
import type { GuestImage } from '../../guest/build-agent.js';
import { type CacheLayout } from '../../kernel/cache.js';
import { sha256, shortKey } from '../../kernel/keys.js';
import type { BuiltKernel } from '../../kernel/types.js';
import type { Cell } from '../../matrix/types.js';
import { kunitTestOf, type KunitListing } from './kunit.js';
import { parseKunitListing } from './kunit-listing.js';
import { launchVmm } from '../../vmm/launch.js';
import { guestCommandLine, qemuBootArgs, qemuMachineArgs, type QemuAccel } from '../../vmm/qemu.js';
import { writeFileAtomic } from '../../host/atomic-file.js';

export interface ListingContext {
  layout: CacheLayout;
  accel: QemuAccel;
  signal?: AbortSignal;
}

/** A listing boot is a kernel's start and nothing else: well under a minute even nested under TCG. */
const LISTING_TIMEOUT_SEC = 120;

/**
 * The cases the cell's kernel lists for its KUnit filter: from the cache
 * (kunit-lists/, by the kernel's key and the filter), else from a boot of
 * that kernel under QEMU with kunit.action=list and no devices. Null when
 * the cell runs no KUnit or the listing boot did not finish as a kvmatrix
 * boot should (its agent's records whole): then a crash stays unnamed.
 */
export async function kunitListingOf(
  cell: Cell,
  kernel: BuiltKernel,
  guest: GuestImage,
  ctx: ListingContext,
): Promise<KunitListing | null> {
  const test = kunitTestOf(cell);
  if (!test) return null;
  const file = join(ctx.layout.kunitLists, `${shortKey(sha256(JSON.stringify({ v: 1, kernel: kernel.key, filter: test.filter })))}.json`);
  if (existsSync(file)) {
    try {
      return new Map(JSON.parse(readFileSync(file, 'utf8')) as [string, string[]][]);
    } catch {
      // damaged: listed again below
    }
  }
  const work = mkdtempSync(join(ctx.layout.staging, 'kunit-list-'));
  try {
    const nonce = randomBytes(8).toString('hex');
    const qemu = cell.vmm.type === 'qemu' ? cell.vmm.binary : cell.vmm.qemuBinary;
    const filter = test.filter ? [`kunit.filter_glob=${test.filter}`] : [];
    const argv: [string, ...string[]] = [
      qemu,
      ...qemuMachineArgs(ctx.accel, cell.vmm.type === 'qemu' ? { tcgCpu: cell.vmm.tcgCpu } : {}),
      ...qemuBootArgs({ memoryMiB: cell.boot.memoryMiB, cpus: 1, image: kernel.image, initrd: guest.initramfs }),
      '-append',
      guestCommandLine('ttyAMA0', nonce, '', ['kunit.action=list', ...filter]),
    ];
    const consolePath = join(work, 'console.log');
    const launch = await launchVmm(
      { argv, inputs: [kernel.image, guest.initramfs] },
      {
        consolePath,
        cwd: work,
        capBytes: 4 * 1024 * 1024,
        timeoutSec: LISTING_TIMEOUT_SEC,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      },
    );
    if (launch.kind !== 'exited') return null;
    const text = readFileSync(consolePath, 'utf8');
    const agent = parseConsole(text, { nonce }).agent;
    if (agent.end === null || agent.missingSeqs.length > 0) return null;
    const listing = parseKunitListing(text.split('\n'));
    if (!listing) return null;
    mkdirSync(ctx.layout.kunitLists, { recursive: true });
    writeFileAtomic(file, `${JSON.stringify([...listing])}\n`);
    return listing;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
