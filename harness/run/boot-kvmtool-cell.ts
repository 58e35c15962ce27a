import { randomBytes } from 'node:crypto';
import { copyFileSync, appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { splitNestedConsole } from '../console/nested.js';
import { parseConsole } from '../console/parse.js';
import type { GuestImage } from '../guest/build-agent.js';
import { diskImage } from '../guest/disk.js';
import { nestedHostBase } from '../guest/nested-base.js';
import { NESTED_PATHS, nestedCellArchive, nestedDiskPath } from '../guest/nested-initramfs.js';
import type { CacheLayout } from '../kernel/cache.js';
import type { BuiltKernel } from '../kernel/types.js';
import type { Cell, KvmtoolVmmSpec, LkvmEra } from '../matrix/types.js';
import { judge } from '../verdict/decide.js';
import { decideNestedCell } from '../verdict/nested.js';
import type { CellJudgement } from '../verdict/types.js';
import { lkvmIrqchip, lkvmNativeCommand, lkvmRunArgs } from '../vmm/kvmtool.js';
import { launchVmm } from '../vmm/launch.js';
import type { LkvmBinary } from '../vmm/lkvm.js';
import { NESTED_HOST_ALLOWANCE_SEC, nestedHostCommand } from '../vmm/nested-host.js';
import {
  bootDirectCell,
  cellDir,
  inRunFolder,
  judgeOptions,
  launchOptions,
  listingIfCrashed,
  writeReproduce,
  type BootContext,
} from './boot-cell.js';
import { placeNestedBase } from './run-artifacts.js';
import { commandBootArchive, commandInitrd } from './guest-initrd.js';
import { runsUserspace } from '../test-kinds/registry.js';
import { kindAllowanceSec, kindKernelArgs, readKinds } from '../test-kinds/registry.js';
import type { BootArtifacts, KvmtoolArtifacts } from './cell-record.js';

export type KvmtoolPlan =
  | { mode: 'native'; lkvm: LkvmBinary; era: LkvmEra }
  | { mode: 'nested'; lkvm: LkvmBinary; era: LkvmEra; host: BuiltKernel; layout: CacheLayout };

/**
 * Boots one kvmtool cell, natively or inside a nested QEMU host, and judges
 * it. The nested host's combined initramfs is removed after the boot (it
 * is megabytes per cell); reproduce.sh puts it together again.
 */
export async function bootKvmtoolCell(
  cell: Cell & { vmm: KvmtoolVmmSpec },
  kernel: BuiltKernel,
  guest: GuestImage,
  plan: KvmtoolPlan,
  ctx: BootContext,
): Promise<{ judged: CellJudgement; boot: BootArtifacts }> {
  if (plan.mode === 'native') {
    // lkvm keeps a control socket per guest under $HOME/.lkvm and leaves it
    // behind when killed: a private HOME, removed after the boot, keeps the
    // user's own (and its 108-byte socket path limit) out of it
    const home = mkdtempSync(join(tmpdir(), 'kvmatrix-lkvm-'));
    let native;
    try {
      native = await bootDirectCell(
        cell,
        guest,
        ctx,
        (disks, initrd, local) =>
          lkvmNativeCommand(
            cell,
            plan.lkvm.path,
            { image: local(kernel.image), initrd: initrd.initrd, disks },
            { nonce: initrd.commandLineNonce, era: plan.era, irqchip: lkvmIrqchip(cell.vmm, 'native'), kernelArgs: kindKernelArgs(cell) },
          ),
        { env: { HOME: home }, stdin: 'held-open' },
      );
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
    const kvmtool: KvmtoolArtifacts = {
      mode: 'native',
      lkvm: { path: plan.lkvm.path, from: plan.lkvm.from },
      lkvmArgs: native.boot.command.slice(1),
    };
    return { judged: native.judged, boot: { ...native.boot, kvmtool } };
  }

  // nested: the shared base from the cache, the cell's part written here
  const dir = cellDir(ctx.runDir, cell, ctx.boot);
  mkdirSync(dir, { recursive: true });
  const consolePath = join(dir, 'console.log');
  // commands have their own deadlines, on top of the boot's
  const timeoutSec = (ctx.timeoutSec ?? cell.boot.timeoutSec) + kindAllowanceSec(cell);
  const disks = Object.fromEntries(cell.devices.filter((d) => d.kind === 'blk').map((d) => [d.name, diskImage(d.name)]));
  const guestNonce = randomBytes(8).toString('hex');
  const cachedBase = nestedHostBase(plan.layout, guest, plan.lkvm, kernel);
  const base = ctx.keepArtifacts ? placeNestedBase(ctx.runDir, cachedBase) : cachedBase;
  // a guest that runs commands boots the layer and its own archive after its initramfs, its nonce off the command line
  const guestInitrd = runsUserspace(cell) ? commandInitrd(cell, guest, commandBootArchive(cell, guestNonce)) : undefined;
  const args = lkvmRunArgs(
    cell,
    {
      image: NESTED_PATHS.image,
      initrd: guestInitrd ? NESTED_PATHS.cellInitrd : NESTED_PATHS.initrd,
      disks: Object.fromEntries(Object.keys(disks).map((n) => [n, nestedDiskPath(n)])),
    },
    { nonce: guestInitrd ? null : guestNonce, era: plan.era, irqchip: lkvmIrqchip(cell.vmm, 'nested'), kernelArgs: kindKernelArgs(cell) },
  );
  const cellPart = nestedCellArchive(args, disks, guestInitrd);
  writeFileSync(join(dir, 'nested-cell.cpio'), cellPart);
  const initrd = join(dir, 'host-initramfs.cpio');
  copyFileSync(base, initrd);
  appendFileSync(initrd, cellPart);

  const hostNonce = randomBytes(8).toString('hex');
  const local = (path: string) => inRunFolder(ctx.runDir, dir, path);
  const command = nestedHostCommand(
    cell,
    { image: local(plan.host.image), initrd: 'host-initramfs.cpio' },
    { nonce: hostNonce, guestTimeoutSec: timeoutSec },
  );
  let launch;
  try {
    launch = await launchVmm(command, { ...launchOptions(cell, ctx, dir), timeoutSec: timeoutSec + NESTED_HOST_ALLOWANCE_SEC });
  } finally {
    rmSync(initrd, { force: true });
  }
  const split = splitNestedConsole(readFileSync(consolePath).toString('utf8'));
  const guestConsolePath = join(dir, 'guest-console.log');
  writeFileSync(guestConsolePath, split.guest);
  const host = parseConsole(split.host, { nonce: hostNonce });
  const observation = parseConsole(split.guest, { nonce: guestNonce });
  const listing = await listingIfCrashed(observation, ctx);
  const nested = decideNestedCell(
    cell,
    launch,
    { host, guest: observation, lkvmStderr: split.lkvm },
    readKinds(cell, observation, { ...(listing ? { listing } : {}), consoleCut: launch.consoleTruncated }),
  );
  const judged = judge(nested, cell.expect, cell.leafExpect, judgeOptions(cell));
  const reproduce = writeReproduce(
    dir,
    cell,
    ctx.runId,
    judged,
    { argv: command.argv, inputs: [local(plan.host.image), local(base), 'nested-cell.cpio'] },
    { argv: ['cat', local(base), 'nested-cell.cpio'], stdout: 'host-initramfs.cpio' },
  );
  const kvmtool: KvmtoolArtifacts = {
    mode: 'nested',
    lkvm: { path: plan.lkvm.path, from: plan.lkvm.from },
    lkvmArgs: args,
    hostKernel: plan.host.kernelId,
    kvm: host.agent.kvm,
    lkvmEnd: host.agent.lkvm,
    lkvmStderr: split.lkvm.slice(-20),
    hostIncidents: host.incidents.map(({ kind, line, summary }) => ({ kind, line, summary })),
    guestConsole: relative(ctx.runDir, guestConsolePath),
  };
  return {
    judged,
    boot: {
      launch,
      observation,
      console: relative(ctx.runDir, consolePath),
      reproduce: relative(ctx.runDir, reproduce),
      command: command.argv,
      kvmtool,
    },
  };
}
