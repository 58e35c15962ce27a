import t from 'tap';
import { kvmatrix } from '../support/cli.js';

t.test('boot takes exactly one cell: a selector matching several is exit 2 naming them', async (t) => {
  const run = await kvmatrix(['boot', 'patched/*/legacy', '--out', '/nonexistent/never-written']);
  t.equal(run.code, 2);
  t.match(run.stderr, /^kvmatrix: "patched\/\*\/legacy" selects 3 cells \(patched\/qemu-flat\/legacy, patched\/qemu-bridged\/legacy, patched\/kvmtool\/legacy\); boot takes exactly one$/m);
});

t.test('boot of a cell the matrix does not have is exit 2', async (t) => {
  const run = await kvmatrix(['boot', 'patched/qemu-flat/sideways']);
  t.equal(run.code, 2);
  t.match(run.stderr, /sideways/);
});
