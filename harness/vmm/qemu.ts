import { DEFAULT_TCG_CPU, type Cell, type DeviceSlot, type QemuVmmSpec, type Transport } from '../matrix/types.js';
import type { VmmCommand } from './types.js';

export type QemuAccel = 'tcg' | 'kvm';

export interface QemuBootFiles {
  image: string;
  initrd: string;
  /** One raw disk image per blk slot, by slot name. */
  disks: Record<string, string>;
}

export interface QemuOptions {
  accel: QemuAccel;
  /** The boot's nonce, or null when the boot's own archive carries it (a boot that runs commands). */
  nonce: string | null;
  /** What the cell's tests add to the kernel command line (kunit.filter_glob=...). */
  kernelArgs?: readonly string[];
}

/**
 * The kernel command line of a guest boot: the harness's own parameters,
 * what the cell's tests ask for (kunit.filter_glob=...), then `append`,
 * last so that it can override them.
 */
export function guestCommandLine(console: string, nonce: string | null, append = '', tests: readonly string[] = []): string {
  // panic=-1 reboots at once on a panic, and -no-reboot turns that into an exit
  return [
    `console=${console} panic=-1`,
    ...(nonce === null ? [] : [`kvmatrix.nonce=${nonce}`]),
    ...tests,
    ...(append ? [append] : []),
  ].join(' ');
}

/**
 * The qemu-system-aarch64 argv for one cell. The console is the first
 * serial port on stdio, so the launcher can cap and stream it; nothing else
 * is attached to stdio.
 */
export function qemuCommand(cell: Cell & { vmm: QemuVmmSpec }, files: QemuBootFiles, options: QemuOptions): VmmCommand {
  const { vmm, boot } = cell;
  const argv: [string, ...string[]] = [
    vmm.binary,
    ...qemuMachineArgs(options.accel, { tcgCpu: vmm.tcgCpu }),
    ...qemuBootArgs({ memoryMiB: boot.memoryMiB, cpus: boot.cpus, image: files.image, initrd: files.initrd }),
    '-append',
    guestCommandLine('ttyAMA0', options.nonce, boot.append, options.kernelArgs),
  ];
  if (vmm.topology === 'bridged') {
    for (let port = 1; port <= vmm.ports; port++) {
      argv.push('-device', `pcie-root-port,id=rp${port},chassis=${port},slot=${port},bus=pcie.0,addr=${hexAddr(port)}`);
    }
  }
  for (const slot of cell.devices) {
    const bus = vmm.topology === 'bridged' ? `bus=rp${slot.position}` : `bus=pcie.0,addr=${hexAddr(slot.position)}`;
    argv.push(...deviceArgs(slot, cell.transport, bus, files));
  }
  return { argv, inputs: [files.image, files.initrd, ...Object.values(files.disks)] };
}

/**
 * The virt machine, accelerator and CPU. `virtualization` gives the guest
 * EL2, so that it can run KVM itself (a nested kvmtool host); that needs TCG.
 */
export function qemuMachineArgs(accel: QemuAccel, options: { virtualization?: boolean; tcgCpu?: string } = {}): string[] {
  if (accel === 'kvm') return ['-M', 'virt,gic-version=max', '-accel', 'kvm', '-cpu', 'host'];
  return [
    '-M',
    `virt,gic-version=3${options.virtualization ? ',virtualization=on' : ''}`,
    '-accel',
    'tcg',
    '-cpu',
    options.tcgCpu ?? DEFAULT_TCG_CPU,
  ];
}

/** Memory, cpus, no display or defaults, the console on stdio, and the kernel to boot. */
export function qemuBootArgs(boot: { memoryMiB: number; cpus: number; image: string; initrd: string }): string[] {
  return [
    '-m',
    String(boot.memoryMiB),
    '-smp',
    String(boot.cpus),
    '-display',
    'none',
    '-nodefaults',
    '-no-user-config',
    '-no-reboot',
    '-chardev',
    'stdio,id=console',
    '-serial',
    'chardev:console',
    '-kernel',
    boot.image,
    '-initrd',
    boot.initrd,
  ];
}

function deviceArgs(slot: DeviceSlot, transport: Transport, bus: string, files: QemuBootFiles): string[] {
  const mode = transport === 'legacy' ? 'disable-modern=on,disable-legacy=off' : 'disable-legacy=on,disable-modern=off';
  const id = `id=${slot.name}`;
  switch (slot.kind) {
    case 'rng':
      return ['-device', `virtio-rng-pci,${id},${mode},${bus}`];
    case 'net':
      // romfile= : the guest boots its kernel directly and never runs the iPXE
      // option ROM, so QEMU need not find it (Debian ships it apart, as ipxe-qemu)
      return ['-netdev', `user,id=${slot.name}-net`, '-device', `virtio-net-pci,${id},netdev=${slot.name}-net,${mode},${bus},romfile=`];
    case 'blk': {
      const disk = files.disks[slot.name];
      if (!disk) throw new Error(`no disk image given for ${slot.name}`);
      return [
        '-drive',
        `file=${qemuOptionValue(disk)},format=raw,if=none,id=${slot.name}-drive,readonly=on`,
        '-device',
        `virtio-blk-pci,${id},drive=${slot.name}-drive,${mode},${bus}`,
      ];
    }
  }
}

/** QEMU option values escape a comma by doubling it. */
export function qemuOptionValue(value: string): string {
  return value.replace(/,/g, ',,');
}

function hexAddr(slot: number): string {
  return `0x${slot.toString(16)}`;
}
