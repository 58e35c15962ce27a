/**
 * A cpio "newc" archive writer, the format the kernel unpacks as an
 * initramfs. Entries carry fixed owners and times so that the same inputs
 * always give the same bytes (and the same cache key).
 */

export type CpioEntry =
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'file'; path: string; data: Uint8Array; mode?: number }
  | { type: 'symlink'; path: string; target: string }
  | { type: 'chardev'; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFCHR = 0o020000;
const S_IFLNK = 0o120000;
const TRAILER = 'TRAILER!!!';

export function writeCpio(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  for (const entry of entries) {
    const name = entry.path.replace(/^\/+/, '');
    if (!name || name.split('/').includes('..')) {
      throw new Error(`cpio entry path ${JSON.stringify(entry.path)} is not a relative path`);
    }
    // a symbolic link's data is its target
    const data = entry.type === 'file' ? entry.data : entry.type === 'symlink' ? Buffer.from(entry.target, 'utf8') : new Uint8Array(0);
    const mode = modeOf(entry);
    const rdev = entry.type === 'chardev' ? [entry.major, entry.minor] : [0, 0];
    parts.push(header(name, ino++, mode, entry.type === 'dir' ? 2 : 1, data.length, rdev));
    parts.push(Buffer.from(data), padding(data.length));
  }
  parts.push(header(TRAILER, 0, 0, 1, 0, [0, 0]));
  return Buffer.concat(parts);
}

function modeOf(entry: CpioEntry): number {
  switch (entry.type) {
    case 'dir':
      return S_IFDIR | (entry.mode ?? 0o755);
    case 'file':
      return S_IFREG | (entry.mode ?? 0o644);
    case 'symlink':
      return S_IFLNK | 0o777;
    case 'chardev':
      return S_IFCHR | (entry.mode ?? 0o600);
  }
}

function header(name: string, ino: number, mode: number, nlink: number, size: number, [rmajor, rminor]: number[]): Buffer {
  const nameBytes = Buffer.from(`${name}\0`, 'utf8');
  const fields = [ino, mode, 0, 0, nlink, 0, size, 0, 0, rmajor!, rminor!, nameBytes.length, 0];
  const text = `070701${fields.map(hex8).join('')}`;
  const head = Buffer.concat([Buffer.from(text, 'ascii'), nameBytes]);
  return Buffer.concat([head, padding(head.length)]);
}

function hex8(value: number): string {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new Error(`cpio field ${value} does not fit in 8 hex digits`);
  }
  return value.toString(16).padStart(8, '0');
}

function padding(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}
