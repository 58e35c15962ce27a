import { runCommand, succeeded } from '../host/command.js';
import { findOnPath } from '../host/find-on-path.js';
import { commandFilesIdentity, rememberedAnswer } from '../host/remembered-answer.js';
import type { CacheLayout } from './cache.js';

const known = new Map<string, Promise<string | null>>();

/**
 * The cross toolchain's identity for cache keys: the first line of
 * `<cross>gcc --version` and `<cross>ld --version`. Null when the compiler
 * is not installed. Asked once per process and once per installed
 * compiler: remembered in the cache by the files' path, size, mtime and
 * inode, so that a kernel found in the cache costs no process start (an
 * upgrade replaces the files, and the next call asks them again).
 */
export function toolchainVersion(crossCompile: string, layout: CacheLayout): Promise<string | null> {
  let pending = known.get(crossCompile);
  if (!pending) {
    pending = rememberedToolchainVersion(crossCompile, layout);
    known.set(crossCompile, pending);
  }
  return pending;
}

export async function rememberedToolchainVersion(crossCompile: string, layout: CacheLayout): Promise<string | null> {
  const identity = commandFilesIdentity([`${crossCompile}gcc`, `${crossCompile}ld`]);
  if (identity === null) return null;
  return rememberedAnswer(layout.fingerprints, 'toolchain', identity, () => askToolchainVersion(crossCompile));
}

async function askToolchainVersion(crossCompile: string): Promise<string | null> {
  const [gcc, ld] = await Promise.all([
    runCommand([`${crossCompile}gcc`, '--version'], { tailLines: 100 }),
    runCommand([`${crossCompile}ld`, '--version'], { tailLines: 100 }),
  ]);
  if (!succeeded(gcc) || !succeeded(ld)) return null;
  return `${gcc.tail[0] ?? ''} | ${ld.tail[0] ?? ''}`;
}

/**
 * Whether ccache is installed: an executable of that name on PATH. Looked
 * up, not run: every command that may build asks, and a kernel found in
 * the cache should not pay for a process start.
 */
export function ccacheAvailable(): Promise<boolean> {
  return Promise.resolve(findOnPath('ccache') !== null);
}
