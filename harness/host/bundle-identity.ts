import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// true in the bundled CLI (harness/cli/bundle.mjs defines it); undeclared in
// tsc's output and under tsx
declare const KVMATRIX_BUNDLE: boolean | undefined;

/**
 * The bundled CLI this code runs in, as `<size>-<mtime>-<inode>` of the
 * bundle file (the bin names its kept code the same way), or null outside
 * the bundle: what is kept per build needs one file that changes with every
 * build to key it by, and tsc's output or the sources change file by file.
 */
export function bundleIdentity(): string | null {
  if (typeof KVMATRIX_BUNDLE === 'undefined') return null;
  // the bundle defines import.meta.url as its own
  const bundle = statSync(fileURLToPath(import.meta.url));
  return `${bundle.size}-${Math.trunc(bundle.mtimeMs)}-${bundle.ino}`;
}
