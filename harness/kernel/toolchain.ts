import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand, succeeded } from '../host/command.js';
import { findOnPath } from '../host/find-on-path.js';
import { writeFileAtomic, type CacheLayout } from './cache.js';
import { sha256 } from './keys.js';

const known = new Map<string, Promise<string | null>>();

/**
 * The cross toolchain's identity for cache keys: the first line of
 * `<cross>gcc --version` and `<cross>ld --version`. Null when the compiler
 * is not installed. Asked once per process and, given the cache, once per
 * installed compiler: remembered there by the files' path, size, mtime and
 * inode, so that a kernel found in the cache costs no process start (an
 * upgrade replaces the files, and the next call asks them again).
 */
export function toolchainVersion(crossCompile: string, layout?: CacheLayout): Promise<string | null> {
  let pending = known.get(crossCompile);
  if (!pending) {
    pending = layout ? rememberedToolchainVersion(crossCompile, layout) : askToolchainVersion(crossCompile);
    known.set(crossCompile, pending);
  }
  return pending;
}

export async function rememberedToolchainVersion(crossCompile: string, layout: CacheLayout): Promise<string | null> {
  const files = ['gcc', 'ld'].map((tool) => locate(`${crossCompile}${tool}`));
  if (files.some((f) => f === null)) return null;
  const identity = files.map((file) => {
    const real = realpathSync(file!);
    const st = statSync(real);
    return `${real}\0${st.size}\0${st.mtimeMs}\0${st.ino}`;
  });
  const memo = join(layout.fingerprints, `toolchain-${sha256(identity.join('\0')).slice(0, 32)}`);
  if (existsSync(memo)) {
    const version = readFileSync(memo, 'utf8').trim();
    if (version.length > 0) return version;
  }
  const version = await askToolchainVersion(crossCompile);
  if (version !== null) writeFileAtomic(memo, `${version}\n`);
  return version;
}

async function askToolchainVersion(crossCompile: string): Promise<string | null> {
  const [gcc, ld] = await Promise.all([
    runCommand([`${crossCompile}gcc`, '--version'], { tailLines: 100 }),
    runCommand([`${crossCompile}ld`, '--version'], { tailLines: 100 }),
  ]);
  if (!succeeded(gcc) || !succeeded(ld)) return null;
  return `${gcc.tail[0] ?? ''} | ${ld.tail[0] ?? ''}`;
}

/** A command as the shell would find it: a path when it names a folder, else on PATH. */
function locate(command: string): string | null {
  if (!command.includes('/')) return findOnPath(command);
  try {
    return statSync(command).isFile() ? command : null;
  } catch {
    return null;
  }
}

/**
 * Whether ccache is installed: an executable of that name on PATH. Looked
 * up, not run: every command that may build asks, and a kernel found in
 * the cache should not pay for a process start.
 */
export function ccacheAvailable(): Promise<boolean> {
  return Promise.resolve(findOnPath('ccache') !== null);
}
