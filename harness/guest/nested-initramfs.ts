import { writeCpio, type CpioEntry } from './cpio.js';
import { guestInitramfsEntries } from './initramfs.js';

/**
 * Where things sit in a nested host's initramfs. lkvm and the args file
 * must match NESTED_LKVM and NESTED_ARGS_FILE in harness/guest/agent/agent.h.
 */
export const NESTED_PATHS = {
  lkvm: '/kvmatrix/lkvm',
  image: '/kvmatrix/guest/Image',
  initrd: '/kvmatrix/guest/initramfs.cpio.gz',
  cellDir: '/kvmatrix/cell',
  args: '/kvmatrix/cell/lkvm.args',
  /** A guest that runs commands boots its own initrd: the guest's, the userspace layer, the boot's archive. */
  cellInitrd: '/kvmatrix/cell/guest-initrd.cpio',
} as const;

export interface NestedBaseInputs {
  agent: Uint8Array;
  lkvm: Uint8Array;
  guestImage: Uint8Array;
  guestInitramfs: Uint8Array;
}

/**
 * The part every cell of one guest kernel shares: the agent as init, lkvm,
 * the guest's Image and initramfs. Uncompressed, so that the host kernel
 * under TCG does not spend seconds inflating it.
 */
export function nestedBaseArchive(inputs: NestedBaseInputs): Buffer {
  return writeCpio(
    guestInitramfsEntries(inputs.agent, [
      { type: 'dir', path: 'kvmatrix' },
      { type: 'file', path: rel(NESTED_PATHS.lkvm), data: inputs.lkvm, mode: 0o755 },
      { type: 'dir', path: 'kvmatrix/guest' },
      { type: 'file', path: rel(NESTED_PATHS.image), data: inputs.guestImage },
      { type: 'file', path: rel(NESTED_PATHS.initrd), data: inputs.guestInitramfs },
    ]),
  );
}

/**
 * The cell's own part: lkvm's arguments, the disk images, and the guest's
 * initrd when the cell runs commands. The kernel unpacks concatenated cpio
 * archives one after the other, so this is appended to the shared base
 * rather than repacking it.
 */
export function nestedCellArchive(lkvmArgs: readonly string[], disks: Record<string, Uint8Array>, guestInitrd?: Uint8Array): Buffer {
  const entries: CpioEntry[] = [
    { type: 'dir', path: rel(NESTED_PATHS.cellDir) },
    { type: 'file', path: rel(NESTED_PATHS.args), data: encodeArgFile(lkvmArgs) },
    ...(guestInitrd ? [{ type: 'file' as const, path: rel(NESTED_PATHS.cellInitrd), data: guestInitrd }] : []),
  ];
  for (const [name, data] of Object.entries(disks)) {
    entries.push({ type: 'file', path: `${rel(NESTED_PATHS.cellDir)}/${diskFileName(name)}`, data });
  }
  return writeCpio(entries);
}

/** Where a slot's disk image is inside the nested host. */
export function nestedDiskPath(slotName: string): string {
  return `${NESTED_PATHS.cellDir}/${diskFileName(slotName)}`;
}

/**
 * lkvm's arguments as the host agent reads them: each one NUL-terminated,
 * so no quoting, splitting or shell is ever involved.
 */
export function encodeArgFile(args: readonly string[]): Buffer {
  for (const arg of args) {
    if (arg.includes('\0')) throw new Error(`an lkvm argument holds a NUL byte: ${JSON.stringify(arg)}`);
  }
  return Buffer.from(args.map((a) => `${a}\0`).join(''), 'utf8');
}

function diskFileName(slotName: string): string {
  if (!/^[a-z0-9]+$/.test(slotName)) throw new Error(`slot name ${JSON.stringify(slotName)} cannot name a disk file`);
  return `${slotName}.img`;
}

function rel(path: string): string {
  return path.replace(/^\/+/, '');
}
