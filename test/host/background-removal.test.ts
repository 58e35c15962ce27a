import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { backgroundRemovalsDone, removeInBackground } from '../../harness/host/background-removal.js';
import { runInterruptCleanups } from '../../harness/host/interrupt-cleanup.js';
import { tempTree } from '../support/temp-tree.js';

/** A folder of `n` small files in nested folders, like a build folder in miniature. */
function filledFolder(n: number): string {
  const dir = tempTree({});
  for (let i = 0; i < n; i++) {
    const sub = join(dir, `d${i % 10}`);
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `f${i}.o`), 'x');
  }
  return dir;
}

t.test('the caller goes on at once; waiting for the removals finds the folders gone', async (t) => {
  const a = filledFolder(500);
  const b = filledFolder(50);
  removeInBackground(a);
  removeInBackground(b);
  t.ok(existsSync(a), 'still there right after the call: nothing was waited for');
  t.same(await backgroundRemovalsDone(), [], 'no failure');
  t.notOk(existsSync(a));
  t.notOk(existsSync(b));
  t.same(await backgroundRemovalsDone(), [], 'nothing pending: returns at once');
});

t.test('a removal that fails is said once, with its folder', async (t) => {
  const file = join(tempTree({ 'plain-file': 'x' }), 'plain-file');
  removeInBackground(join(file, 'not-a-folder'));
  const failures = await backgroundRemovalsDone();
  t.equal(failures.length, 1);
  t.match(failures[0], /^cannot remove .*plain-file\/not-a-folder: ENOTDIR/);
  t.same(await backgroundRemovalsDone(), [], 'said once');
});

t.test('stopped by a signal while a removal runs: the interrupt cleanup removes the folder synchronously', async (t) => {
  const dir = filledFolder(2000);
  removeInBackground(dir);
  runInterruptCleanups((message) => t.fail(message));
  t.notOk(existsSync(dir), 'gone before the cleanup returned');
  t.same(await backgroundRemovalsDone(), []);
});
