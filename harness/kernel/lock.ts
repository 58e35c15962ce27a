import { join } from 'node:path';
import type { CacheLayout } from './cache.js';

export interface LockTiming {
  /** A lock not refreshed for this long is taken over (its holder died). */
  staleMs: number;
  /** How often the holder refreshes its lock. */
  updateMs: number;
}

const defaultTiming: LockTiming = { staleMs: 30_000, updateMs: 15_000 };

/**
 * Holds the lock named `name` while `work` runs. Two runs that need the
 * same cache entry take turns: the second waits, then finds the entry the
 * first published. A lock whose holder died goes stale and is taken over.
 */
export async function withLock<T>(
  layout: CacheLayout,
  name: string,
  work: () => Promise<T>,
  timing: LockTiming = defaultTiming,
): Promise<T> {
  // proper-lockfile keeps one record per locked *file* in the process: each
  // name must be its own file, or a nested lock's release drops the outer
  // lock's record and its next refresh throws (seen: a source lock inside a
  // kernel lock crashed the run 15 s later).
  // Loaded here: a run that finds everything in the cache takes no lock, and
  // proper-lockfile with graceful-fs costs it a few ms of start-up.
  const { default: lockfile } = await import('proper-lockfile');
  const release = await lockfile.lock(join(layout.locks, name), {
    realpath: false,
    stale: timing.staleMs,
    update: timing.updateMs,
    retries: { retries: 100_000, factor: 1.2, minTimeout: 100, maxTimeout: 2_000 },
  });
  try {
    return await work();
  } finally {
    await release().catch(() => undefined);
  }
}
