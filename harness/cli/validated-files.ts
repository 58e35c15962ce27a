import { join } from 'node:path';
import { bundleIdentity } from '../host/bundle-identity.js';
import { resolveCacheRoot } from '../kernel/cache.js';
import type { ValidatedMemo } from '../matrix/validated-memo.js';

/**
 * Where the CLI keeps the matrix and kernel files it validated: parsed/ in
 * the kvmatrix cache, beside the bin's kept code and like it per build and
 * not per --cache. Outside the bundle (tsc's output, tsx) there is no build
 * to key them by, and every file is checked each time.
 */
export function validatedFiles(env: NodeJS.ProcessEnv = process.env): ValidatedMemo | null {
  const build = bundleIdentity();
  return build ? { dir: join(resolveCacheRoot(undefined, env), 'parsed'), build } : null;
}
