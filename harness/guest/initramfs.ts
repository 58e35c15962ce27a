import { gzipSync } from 'node:zlib';
import { writeCpio, type CpioEntry } from './cpio.js';

/**
 * The guest initramfs: the agent as /init and the nodes it needs before it
 * can mount devtmpfs. /dev/console must exist in the archive, or the kernel
 * starts init with no console and its records are lost.
 */
export function guestInitramfsEntries(agent: Uint8Array, extra: CpioEntry[] = []): CpioEntry[] {
  return [
    { type: 'dir', path: 'dev' },
    { type: 'chardev', path: 'dev/console', major: 5, minor: 1, mode: 0o600 },
    { type: 'dir', path: 'proc', mode: 0o555 },
    { type: 'dir', path: 'sys', mode: 0o555 },
    { type: 'dir', path: 'tmp', mode: 0o1777 },
    { type: 'file', path: 'init', data: agent, mode: 0o755 },
    ...extra,
  ];
}

export function packInitramfs(entries: readonly CpioEntry[]): Buffer {
  // level 6: level 9 took twice as long for a few KiB less
  return gzipSync(writeCpio(entries), { level: 6 });
}
