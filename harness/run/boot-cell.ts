import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { ConsoleParser } from '../console/parse.js';
import { diskImage } from '../guest/disk.js';
import type { GuestImage } from '../guest/build-agent.js';
import type { BuiltKernel } from '../kernel/types.js';
import type { Cell, QemuVmmSpec } from '../matrix/types.js';
import { renderReproduceScript, type ReproducePrepare } from '../report/reproduce.js';
import type { ConsoleObservation } from '../console/types.js';
import { kindAllowanceSec, kindKernelArgs, readKinds } from '../test-kinds/registry.js';
import { decideCell, judge, type JudgeOptions } from '../verdict/decide.js';
import type { CellJudgement } from '../verdict/types.js';
import { launchVmm, type LaunchOptions } from '../vmm/launch.js';
import { qemuCommand, type QemuAccel } from '../vmm/qemu.js';
import type { VmmCommand } from '../vmm/types.js';
import type { BootArtifacts } from './cell-record.js';
import { guestInitrd, type BootInitrd } from './guest-initrd.js';
import { pathInside } from './run-artifacts.js';
import type { BootIndex } from './repeat.js';

export interface BootContext {
  runId: string;
  runDir: string;
  accel: QemuAccel;
  /** Overrides the matrix's boot timeout. */
  timeoutSec?: number;
  live?: Writable;
  signal?: AbortSignal;
  /** Which of the cell's repeated boots this is; each gets a folder of its own. */
  boot?: BootIndex;
  /** The run folder keeps what its cells boot (a nested host's base archive too). */
  keepArtifacts?: boolean;
  /** The kernel's own list of its tests, to name those a crash cut off (the kinds ask only then). */
  listing?: (obs: ConsoleObservation) => Promise<Map<string, string[]> | null>;
}

/** cells/<kernel>/<vmm>/<transport>, and boot-<n> under it when the cell is booted more than once. */
export function cellDir(runDir: string, cell: Cell, boot?: BootIndex): string {
  const dir = join(runDir, 'cells', ...cell.id.split('/'));
  return boot && boot.of > 1 ? join(dir, `boot-${boot.index}`) : dir;
}

/**
 * Boots one QEMU cell: disks and reproduce script in the cell's folder,
 * console streamed to console.log and parsed as it comes, then judged.
 */
export function bootQemuCell(
  cell: Cell & { vmm: QemuVmmSpec },
  kernel: BuiltKernel,
  guest: GuestImage,
  ctx: BootContext,
): Promise<{ judged: CellJudgement; boot: BootArtifacts }> {
  return bootDirectCell(cell, guest, ctx, (disks, initrd, local) =>
    qemuCommand(
      cell,
      { image: local(kernel.image), initrd: initrd.initrd, disks },
      { accel: ctx.accel, nonce: initrd.commandLineNonce, kernelArgs: kindKernelArgs(cell) },
    ),
  );
}

/**
 * Boots a cell whose VMM's stdout is the guest's console (QEMU, or lkvm on
 * an arm64 KVM host). `command` gets the disk image names, relative to the
 * cell folder where the VMM runs, the boot's initrd (and its nonce for the
 * command line, if it goes there), and `local`, which names a file of the
 * run folder relative to the cell folder.
 */
export async function bootDirectCell(
  cell: Cell,
  guest: GuestImage,
  ctx: BootContext,
  command: (disks: Record<string, string>, initrd: BootInitrd, local: (path: string) => string) => VmmCommand,
  spawn: Pick<LaunchOptions, 'env' | 'stdin'> = {},
): Promise<{ judged: CellJudgement; boot: BootArtifacts }> {
  const dir = cellDir(ctx.runDir, cell, ctx.boot);
  mkdirSync(dir, { recursive: true });
  // relative names keep the reproduce script working wherever the run folder is moved
  const disks: Record<string, string> = {};
  for (const slot of cell.devices.filter((d) => d.kind === 'blk')) {
    disks[slot.name] = `${slot.name}.img`;
    writeFileSync(join(dir, disks[slot.name]!), diskImage(slot.name));
  }
  const nonce = randomBytes(8).toString('hex');
  const local = (path: string) => inRunFolder(ctx.runDir, dir, path);
  const initrd = guestInitrd(cell, guest, dir, nonce, local);
  const vmmCommand = command(disks, initrd, local);
  const consolePath = join(dir, 'console.log');

  // read while the VMM runs (its console file, up to the cap, as parseConsole would read it
  // after): what is left once it has exited is its last lines
  const decoder = new StringDecoder('utf8');
  const parser = new ConsoleParser({ nonce });
  let launch;
  try {
    launch = await launchVmm(vmmCommand, {
      ...launchOptions(cell, ctx, dir),
      ...spawn,
      // commands have their own deadlines, on top of the boot's
      timeoutSec: (ctx.timeoutSec ?? cell.boot.timeoutSec) + kindAllowanceSec(cell),
      onConsole: (chunk) => parser.feed(decoder.write(chunk)),
    });
  } finally {
    initrd.done();
  }
  parser.feed(decoder.end());
  const observation = parser.finish();
  const listing = await listingIfCrashed(observation, ctx);
  const judged = judge(
    decideCell(
      cell,
      launch,
      observation,
      readKinds(cell, observation, { ...(listing ? { listing } : {}), consoleCut: launch.consoleTruncated }),
    ),
    cell.expect,
    cell.leafExpect,
    judgeOptions(cell),
  );
  const reproducePath = initrd.parts
    ? writeReproduce(
        dir,
        cell,
        ctx.runId,
        judged,
        { argv: vmmCommand.argv, inputs: [...vmmCommand.inputs.filter((f) => f !== initrd.initrd), ...initrd.parts.inputs] },
        initrd.parts.prepare,
      )
    : writeReproduce(dir, cell, ctx.runId, judged, vmmCommand);
  return {
    judged,
    boot: {
      launch,
      observation,
      console: relative(ctx.runDir, consolePath),
      reproduce: relative(ctx.runDir, reproducePath),
      command: vmmCommand.argv,
    },
  };
}

/**
 * A file of the run folder as the VMM, started in the cell folder, names
 * it: relative, so the reproduce script works wherever the run folder
 * goes. Files elsewhere (the cache, with --no-artifacts) keep their path.
 */
export function inRunFolder(runDir: string, cellFolder: string, path: string): string {
  return pathInside(runDir, path) === null ? path : relative(cellFolder, path);
}

/** The kernel's own list of its tests when a crash cut names off; null when none was, or none could be had. */
export async function listingIfCrashed(observation: ConsoleObservation, ctx: BootContext): Promise<Map<string, string[]> | null> {
  return ctx.listing ? ctx.listing(observation) : null;
}

/** How a cell's verdict is judged: narrowed to --test when it was given. */
export function judgeOptions(cell: Cell): JudgeOptions {
  return cell.only === undefined ? {} : { only: cell.only };
}

/** Console file, folder, cap, live copy and abort of a launch in the cell folder; the timeout is the caller's. */
export function launchOptions(cell: Cell, ctx: BootContext, dir: string) {
  return {
    consolePath: join(dir, 'console.log'),
    cwd: dir,
    capBytes: cell.boot.consoleCapBytes,
    ...(ctx.live ? { live: ctx.live } : {}),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  };
}

/** reproduce.sh in the cell folder; `prepare` runs first with its output to a file. */
export function writeReproduce(
  dir: string,
  cell: Cell,
  runId: string,
  judged: CellJudgement,
  command: VmmCommand,
  prepare?: ReproducePrepare,
): string {
  const path = join(dir, 'reproduce.sh');
  writeFileSync(
    path,
    renderReproduceScript({
      cellId: cell.id,
      runId,
      verdict: judged.verdict,
      expected: judged.expected,
      argv: command.argv,
      inputs: command.inputs,
      ...(prepare ? { prepare } : {}),
    }),
    { mode: 0o755 },
  );
  return path;
}
