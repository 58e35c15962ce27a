import t from 'tap';
import { loadMatrix } from '../../harness/matrix/load.js';
import { expandMatrix } from '../../harness/matrix/expand.js';
import { defaultMatrixFile } from '../../harness/host/install-paths.js';
import { bisectEnd } from '../../harness/run/bisect.js';
import { cellOnTree } from '../../harness/run/cell-on-tree.js';

const a = 'a'.repeat(40);
const b = 'b'.repeat(40);

t.test('the end of a bisect is read from what git printed', async (t) => {
  t.equal(bisectEnd(`Bisecting: 2 revisions left to test after this (roughly 1 step)\n[${a}] doc\n`), null);
  t.same(bisectEnd(`${a} is the first bad commit\ncommit ${a}\nAuthor: x\n`), { kind: 'found', commits: [a] });
  t.same(
    bisectEnd(
      `There are only 'skip'ped commits left to test.\nThe first bad commit could be any of:\n${a}\n${b}\nWe cannot bisect more!\n`,
    ),
    { kind: 'ambiguous', commits: [a, b] },
  );
});

t.test('a cell on a tree: the git kernel replaces the cell kernel, patches only when asked', async (t) => {
  const matrix = loadMatrix(defaultMatrixFile);
  const cell = expandMatrix(matrix).find((c) => c.id === 'unpatched/qemu-bridged/legacy')!;
  const on = { tree: '/src/linux', ref: 'HEAD', uncommitted: 'include' as const, withPatches: false };
  const plain = cellOnTree(matrix, cell, on);
  t.equal(plain.cell.id, cell.id, 'the cell keeps its id');
  t.same(plain.cell.kernel.source, { kind: 'git', tree: '/src/linux', remote: false, ref: 'HEAD', uncommitted: 'include' });
  t.same(plain.cell.kernel.patches, []);
  t.same(plain.cell.kernel.config, cell.kernel.config, 'the same config');
  t.equal(plain.cell.expect.verdict, 'pass');
  t.equal(plain.matrix.kernels.filter((k) => k.id === 'unpatched').length, 1);
  t.equal(
    plain.matrix.kernels.find((k) => k.id === 'unpatched'),
    plain.cell.kernel,
  );
  const patched = cellOnTree(matrix, cell, { ...on, withPatches: true });
  t.same(patched.cell.kernel.patches, cell.kernel.patches);
  t.equal(matrix.kernels.find((k) => k.id === 'unpatched')!.source.kind, 'tarball', 'the matrix itself is not changed');
});

t.test('a nested kvmtool host that was the bisected kernel keeps the matrix definition', async (t) => {
  const matrix = loadMatrix(defaultMatrixFile);
  const cell = expandMatrix(matrix).find((c) => c.id === 'patched/kvmtool/legacy')!;
  const { matrix: m, cell: c } = cellOnTree(matrix, cell, { tree: '/src/linux', ref: 'HEAD', uncommitted: 'ignore', withPatches: false });
  t.equal(c.vmm.type === 'kvmtool' && c.vmm.hostKernel, 'patched-host');
  const host = m.kernels.find((k) => k.id === 'patched-host')!;
  t.equal(host.source.kind, 'tarball', 'the host is built as the matrix says');
  t.equal(m.kernels.find((k) => k.id === 'patched')!.source.kind, 'git');
});
