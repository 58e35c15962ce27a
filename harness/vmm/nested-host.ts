import type { Cell, KvmtoolVmmSpec } from '../matrix/types.js';
import { guestCommandLine, qemuBootArgs, qemuMachineArgs } from './qemu.js';
import type { VmmCommand } from './types.js';

/**
 * Seconds a nested host gets on top of its guest's timeout: booting the
 * host kernel under TCG, unpacking its initramfs, powering off.
 */
export const NESTED_HOST_ALLOWANCE_SEC = 60;

export interface NestedHostFiles {
  /** The host kernel's Image: it must have KVM. */
  image: string;
  /** The host initramfs: agent as init, lkvm, the guest's kernel and initramfs, the cell's files. */
  initrd: string;
}

export interface NestedHostOptions {
  /** The host agent's own nonce; the guest has another. */
  nonce: string;
  /** The guest's boot timeout, enforced by the host agent on lkvm. */
  guestTimeoutSec: number;
}

/** Host memory: the guest's, plus room for the host kernel, its initramfs and lkvm. */
export function nestedHostMemoryMiB(cell: Cell & { vmm: KvmtoolVmmSpec }): number {
  return cell.vmm.hostMemoryMiB ?? cell.boot.memoryMiB + 512;
}

/**
 * qemu-system-aarch64 booting a virt machine with EL2, whose init (the
 * kvmatrix agent, kvmatrix.role=host) runs lkvm for the cell.
 */
export function nestedHostCommand(cell: Cell & { vmm: KvmtoolVmmSpec }, files: NestedHostFiles, options: NestedHostOptions): VmmCommand {
  const guestTimeout = Math.max(1, Math.ceil(options.guestTimeoutSec));
  const append = `${guestCommandLine('ttyAMA0', options.nonce)} kvmatrix.role=host kvmatrix.guest_timeout=${guestTimeout}`;
  return {
    argv: [
      cell.vmm.qemuBinary,
      ...qemuMachineArgs('tcg', { virtualization: true }),
      ...qemuBootArgs({ memoryMiB: nestedHostMemoryMiB(cell), cpus: cell.boot.cpus, image: files.image, initrd: files.initrd }),
      '-append',
      append,
    ],
    inputs: [files.image, files.initrd],
  };
}
