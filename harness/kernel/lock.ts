import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import type { CacheLayout } from './cache.js';

/**
 * Holds the lock named `name` while `work` runs. Two runs that need the
 * same cache entry take turns: the second waits, then finds the entry the
 * first published. A lock whose holder died goes stale after 30 s (the
 * holder refreshes it every 15 s) and is taken over.
 */
export async function withLock<T>(layout: CacheLayout, name: string, work: () => Promise<T>): Promise<T> {
  const release = await lockfile.lock(layout.locks, {
    lockfilePath: join(layout.locks, `${name}.lock`),
    realpath: false,
    stale: 30_000,
    update: 15_000,
    retries: { retries: 100_000, factor: 1.2, minTimeout: 100, maxTimeout: 2_000 },
  });
  try {
    return await work();
  } finally {
    await release().catch(() => undefined);
  }
}
