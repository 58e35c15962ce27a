import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { patchesApplyInPlace } from '../../harness/kernel/patch.js';
import { tempTree } from '../support/temp-tree.js';

/** A unified diff of one file from `before` to `after`, to apply with -p1 as a kernel patch is. */
function diffOf(path: string, before: string, after: string): string {
  const dir = tempTree({ [`a/${path}`]: before, [`b/${path}`]: after });
  try {
    execFileSync('git', ['diff', '--no-index', '--no-prefix', '--', `a/${path}`, `b/${path}`], { cwd: dir, encoding: 'utf8' });
  } catch (error) {
    // git diff --no-index exits 1 when the files differ
    return (error as { stdout: string }).stdout;
  }
  throw new Error('no difference');
}

t.test('one patch is checked in place without writing the tree; several are left to a copy', async (t) => {
  const v1 = 'one\ntwo\nthree\n';
  const v2 = 'one\nTWO\nthree\n';
  const v3 = 'one\nTWO\nthree\nfour\n';
  const tree = tempTree({ 'src/file.c': v1 });
  const patches = tempTree({ 'first.patch': diffOf('src/file.c', v1, v2), 'second.patch': diffOf('src/file.c', v2, v3) });
  const log = join(patches, 'log');
  const p = (name: string, direction: 'forward' | 'reverse' = 'forward') => ({ path: join(patches, name), direction });

  t.equal(await patchesApplyInPlace(tree, [p('first.patch')], log), true, 'a patch that applies');
  t.equal(readFileSync(join(tree, 'src/file.c'), 'utf8'), v1, 'and the tree is as it was');
  t.equal(await patchesApplyInPlace(tree, [p('second.patch')], log), false, 'one that does not');
  t.equal(await patchesApplyInPlace(tree, [p('first.patch', 'reverse')], log), false, 'nor in reverse');
  // git would check the second against the tree, not after the first
  t.equal(await patchesApplyInPlace(tree, [p('first.patch'), p('second.patch')], log), null, 'two: not checked here');

  writeFileSync(join(tree, 'src/file.c'), v2);
  t.equal(await patchesApplyInPlace(tree, [p('first.patch', 'reverse')], log), true, 'in reverse, where it was applied');
  t.equal(readFileSync(join(tree, 'src/file.c'), 'utf8'), v2);
});
