import type { Cell, KvmtoolVmmSpec, LkvmEra, LkvmIrqchip } from '../matrix/types.js';
import { guestCommandLine } from './qemu.js';
import type { VmmCommand } from './types.js';

export interface LkvmBootFiles {
  image: string;
  initrd: string;
  /** One raw disk image per blk slot, by slot name. */
  disks: Record<string, string>;
}

export interface LkvmOptions {
  /** The boot's nonce, or null when the boot's own archive carries it (a boot that runs commands). */
  nonce: string | null;
  /** The lkvm's era (vmm/lkvm-era.ts resolveLkvmEra): how it is told which virtio-pci to give. */
  era: LkvmEra;
  /** What the cell's tests add to the kernel command line (kunit.filter_glob=...). */
  kernelArgs?: readonly string[];
  /** lkvm's --irqchip, or none to let lkvm choose (lkvmIrqchip says which). */
  irqchip?: LkvmIrqchip;
}

/**
 * The interrupt controller a cell asks lkvm for: the matrix's `irqchip`,
 * else in a nested host gicv3 (QEMU's virt GICv3 has no GICv2
 * compatibility), else none, and lkvm picks what the host has.
 */
export function lkvmIrqchip(vmm: KvmtoolVmmSpec, mode: 'native' | 'nested'): LkvmIrqchip | undefined {
  return vmm.irqchip ?? (mode === 'nested' ? 'gicv3' : undefined);
}

/**
 * Why lkvm cannot boot this cell, or null. kvmtool has one virtio-rng at
 * most, and its --force-pci era knew only legacy virtio-pci.
 */
export function lkvmCellProblem(cell: Cell & { vmm: KvmtoolVmmSpec }, era: LkvmEra): string | null {
  if (cell.devices.filter((d) => d.kind === 'rng').length > 1) return 'kvmtool emulates at most one virtio-rng device';
  if (cell.transport === 'modern' && era === 'force-pci') {
    return 'this lkvm is of the force-pci era (kvmtool before July 2022), which knows only legacy virtio-pci';
  }
  return null;
}

/** The options that give a cell its virtio-pci transport in an era; the middle era's --virtio-legacy must follow --force-pci. */
export function lkvmTransportArgs(transport: Cell['transport'], era: LkvmEra): string[] {
  switch (era) {
    case 'virtio-transport':
      return ['--virtio-transport', transport === 'legacy' ? 'pci-legacy' : 'pci'];
    case 'virtio-legacy':
      return transport === 'legacy' ? ['--force-pci', '--virtio-legacy'] : ['--force-pci'];
    case 'force-pci':
      return ['--force-pci'];
  }
}

/**
 * The arguments of `lkvm run` for one cell, program name not included.
 * kvmtool places every device on its root bus, in the order its device
 * families initialise (disks, then net, then rng), whatever the order here.
 */
export function lkvmRunArgs(cell: Cell & { vmm: KvmtoolVmmSpec }, files: LkvmBootFiles, options: LkvmOptions): string[] {
  const problem = lkvmCellProblem(cell, options.era);
  if (problem) throw new Error(`cannot boot ${cell.id} under kvmtool: ${problem}`);
  const { boot } = cell;
  const args = [
    'run',
    '--kernel',
    files.image,
    '--initrd',
    files.initrd,
    // kvmtool's own console is an 8250 UART: ttyS0
    '--params',
    guestCommandLine('ttyS0', options.nonce, boot.append, options.kernelArgs),
    '--mem',
    String(boot.memoryMiB),
    '--cpus',
    String(boot.cpus),
    ...lkvmTransportArgs(cell.transport, options.era),
    ...(options.irqchip ? [`--irqchip=${options.irqchip}`] : []),
  ];
  for (const slot of cell.devices) {
    switch (slot.kind) {
      case 'rng':
        args.push('--rng');
        break;
      case 'net':
        args.push('--network', 'mode=user');
        break;
      case 'blk': {
        const disk = files.disks[slot.name];
        if (!disk) throw new Error(`no disk image given for ${slot.name}`);
        if (disk.includes(',')) throw new Error(`disk image path ${disk} has a comma, which lkvm's --disk cannot take`);
        args.push('--disk', `${disk},ro`);
        break;
      }
    }
  }
  return args;
}

/** lkvm run directly on an arm64 host with a usable /dev/kvm. */
export function lkvmNativeCommand(
  cell: Cell & { vmm: KvmtoolVmmSpec },
  lkvm: string,
  files: LkvmBootFiles,
  options: LkvmOptions,
): VmmCommand {
  return {
    argv: [lkvm, ...lkvmRunArgs(cell, files, options)],
    inputs: [lkvm, files.image, files.initrd, ...Object.values(files.disks)],
  };
}
