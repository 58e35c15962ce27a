import { execFileSync } from 'node:child_process';
import { tempTree } from './temp-tree.js';

/**
 * A small tmpfs of this test's own, to run a disk out of space. Needs
 * root (CI and these machines run as root); elsewhere the caller skips,
 * saying why.
 */
export function smallDisk(size: string): { dir: string; unmount(): void } | { skip: string } {
  const dir = tempTree({}, 'kvmatrix-full-disk-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    return { skip: `cannot mount a ${size} tmpfs to fill (needs root): ${(error as Error).message.split('\n')[0]}` };
  }
  return { dir, unmount: () => execFileSync('umount', [dir]) };
}
