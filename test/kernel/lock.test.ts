/**
 * Cache locks, with proper-lockfile underneath, in one process: nested locks
 * of different names, and two holders of one name taking turns.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { cacheLayout, ensureCacheDirs } from '../../harness/kernel/cache.js';
import { withLock, type LockTiming } from '../../harness/kernel/lock.js';
import { tempTree } from '../support/temp-tree.js';

// proper-lockfile's smallest: refresh every second, stale after two
const fast: LockTiming = { staleMs: 2_000, updateMs: 1_000 };

t.test('a lock released inside another leaves the outer one held and refreshed', async (t) => {
  const layout = cacheLayout(tempTree({}));
  ensureCacheDirs(layout);
  const thrown: unknown[] = [];
  const onThrow = (err: unknown) => thrown.push(err);
  process.on('uncaughtException', onThrow);
  t.teardown(() => process.off('uncaughtException', onThrow));

  await withLock(
    layout,
    'kernel-outer',
    async () => {
      await withLock(layout, 'source-inner', async () => undefined, fast);
      t.notOk(existsSync(join(layout.locks, 'source-inner.lock')), 'the inner lock is gone');
      // outlive two refreshes of the outer lock
      await sleep(2_500);
      t.ok(existsSync(join(layout.locks, 'kernel-outer.lock')), 'the outer lock is still there');
    },
    fast,
  );
  t.same(thrown, [], 'no refresh threw');
  t.notOk(existsSync(join(layout.locks, 'kernel-outer.lock')));
});

t.test('two holders of one name take turns', async (t) => {
  const layout = cacheLayout(tempTree({}));
  ensureCacheDirs(layout);
  const order: string[] = [];
  const holder = (who: string) =>
    withLock(
      layout,
      'kernel-same',
      async () => {
        order.push(`${who} in`);
        await sleep(300);
        order.push(`${who} out`);
      },
      fast,
    );
  await Promise.all([holder('a'), holder('b')]);
  t.equal(order.length, 4);
  t.equal(order[0]!.split(' ')[0], order[1]!.split(' ')[0], 'the first holder leaves before the second enters');
  t.equal(order[2]!.split(' ')[0], order[3]!.split(' ')[0]);
});
