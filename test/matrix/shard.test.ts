import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { defaultMatrixFile, projectRoot } from '../../harness/host/install-paths.js';
import { matrixDigest } from '../../harness/matrix/digest.js';
import { expandMatrix } from '../../harness/matrix/expand.js';
import { InputError } from '../../harness/matrix/input-error.js';
import { loadMatrix } from '../../harness/matrix/load.js';
import { parseShard, shardCells } from '../../harness/matrix/shard.js';
import { selectCells } from '../../harness/matrix/select.js';
import { tempTree } from '../support/temp-tree.js';
import type { Cell } from '../../harness/matrix/types.js';

const matrix = loadMatrix(defaultMatrixFile);
const all = expandMatrix(matrix);

t.test('k/n parses; anything else is one InputError naming --shard', async (t) => {
  t.same(parseShard('2/4'), { index: 2, count: 4 });
  t.same(parseShard('1/1'), { index: 1, count: 1 });
  for (const bad of ['0/4', '5/4', '1/0', '2', '2/4/8', 'a/b', '-1/4', '1.5/4', ' 1/2']) {
    t.throws(() => parseShard(bad), new InputError(`--shard ${bad}: expected k/n with 1 <= k <= n, such as 2/4`), bad);
  }
});

t.test('for every n, the shards partition the selection in order, their sizes within one of each other', async (t) => {
  for (const cells of [all, selectCells(all, { filters: ['type=qemu'] })]) {
    for (let n = 1; n <= cells.length; n++) {
      const shards = Array.from({ length: n }, (_, i) => shardCells(cells, { index: i + 1, count: n }));
      t.same(
        shards.flat().map((c) => c.id),
        cells.map((c) => c.id),
        `${cells.length} cells, ${n} shards: the union is the selection, in order`,
      );
      const sizes = shards.map((s) => s.length);
      t.ok(Math.max(...sizes) - Math.min(...sizes) <= 1 && Math.min(...sizes) >= 1, `sizes ${sizes.join(',')}`);
    }
  }
});

t.test('consecutive slices: with two shards each kernel is built by one shard only', async (t) => {
  const kernelsOf = (index: number) => new Set(shardCells(all, { index, count: 2 }).map((c) => c.kernel.id));
  t.same([...kernelsOf(1)], ['unpatched']);
  t.same([...kernelsOf(2)], ['patched']);
});

t.test('two CI jobs, each loading and expanding the matrix on its own, cut it the same way', async (t) => {
  // the second job's checkout lies elsewhere: its own copy of the matrix file, parsed afresh
  const paths = `paths:\n  kernels: ${join(projectRoot, 'kernels')}\n  patches: ${join(projectRoot, 'patches')}\n`;
  const copy = tempTree({ 'murray.yaml': `${paths}${readFileSync(defaultMatrixFile, 'utf8')}` }, 'kvmatrix-shard-');
  const jobA = (filters: string[]) => selectCells(expandMatrix(loadMatrix(defaultMatrixFile)), { filters });
  const jobB = (filters: string[]) => selectCells(expandMatrix(loadMatrix(join(copy, 'murray.yaml'))), { filters });
  for (const filters of [[], ['type=qemu']]) {
    const [a, b] = [jobA(filters), jobB(filters)];
    for (const count of [2, 3, 5]) {
      for (let index = 1; index <= count; index++) {
        t.same(
          shardCells(b, { index, count }).map((c) => c.id),
          shardCells(a, { index, count }).map((c) => c.id),
          `shard ${index}/${count} of ${a.length} cells`,
        );
      }
    }
  }
});

t.test('more shards than cells is refused, not an empty shard', async (t) => {
  const two = all.slice(0, 2);
  t.throws(() => shardCells(two, { index: 3, count: 3 }), /--shard 3\/3: the selection has only 2 cells; use at most 2 shards/);
});

t.test('the matrix digest ignores file paths and changes with what the cells ask', async (t) => {
  const byName = (path: string) => `content of ${path.split('/').pop()}`;
  const digest = matrixDigest(all, byName);
  t.match(digest, /^sha256:[0-9a-f]{64}$/);
  const moved = all.map((c) => ({
    ...c,
    kernel: { ...c.kernel, patches: c.kernel.patches.map((p) => ({ ...p, path: `/elsewhere/${p.path}` })) },
  }));
  t.equal(matrixDigest(moved, byName), digest, 'a checkout elsewhere has the same digest');
  const expectingPass = all.map((c) => ({ ...c, expect: { ...c.expect, verdict: 'pass' as const } }));
  t.not(matrixDigest(expectingPass, byName), digest, 'another expectation, another digest');
  const withDmesg = all.map((c) => ({ ...c, tests: [...c.tests, { kind: 'dmesg' as const }] }));
  t.not(matrixDigest(withDmesg, byName), digest, 'another test, another digest');
  const ruled = all.map((c) => ({ ...c, leafExpect: [{ test: 'probe.rng1', verdict: 'fail' as const, why: 'broken' }] }));
  t.not(matrixDigest(ruled, byName), digest, 'another rule for a test, another digest');

  // a command's script counts by its name and content, not its folder
  const script = (dir: string): Cell[] =>
    all.map((c) => ({
      ...c,
      tests: [{ kind: 'command', name: 'c', argv: ['sh', '/kvmatrix/files/c.sh'], files: [`${dir}/c.sh`], timeoutSec: 5, expectExit: 0 }],
    }));
  t.equal(matrixDigest(script('/a'), byName), matrixDigest(script('/b'), byName), 'the same script elsewhere');
  t.not(
    matrixDigest(script('/a'), byName),
    matrixDigest(script('/a'), () => 'edited'),
    'an edited script, another digest',
  );
});
