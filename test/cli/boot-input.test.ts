import t from 'tap';
import { kvmatrix } from '../support/cli.js';

t.test('boot takes exactly one cell: a selector matching several is exit 2 naming them', async (t) => {
  const run = await kvmatrix(['boot', 'patched/*/legacy', '--out', '/nonexistent/never-written']);
  t.equal(run.code, 2);
  t.match(
    run.stderr,
    /^kvmatrix: "patched\/\*\/legacy" selects 3 cells \(patched\/qemu-flat\/legacy, patched\/qemu-bridged\/legacy, patched\/kvmtool\/legacy\); boot takes exactly one$/m,
  );
});

t.test('boot of a cell the matrix does not have is exit 2', async (t) => {
  const run = await kvmatrix(['boot', 'patched/qemu-flat/sideways']);
  t.equal(run.code, 2);
  t.match(run.stderr, /sideways/);
});

t.test('boot spelt out: a wrong part is exit 2 naming the option; a cell id and the options together are refused', async (t) => {
  const wrong = await kvmatrix(['boot', '--kernel', 'patched', '--vmm', 'qemu', '--transport', 'mmio']);
  t.equal(wrong.code, 2);
  t.match(wrong.stderr, /^kvmatrix: --transport mmio: expected one of legacy, modern$/m);
  const both = await kvmatrix(['boot', 'patched/qemu-flat/legacy', '--devices', 'rng']);
  t.equal(both.code, 2);
  t.match(both.stderr, /give a cell id or --devices, not both/);
  const neither = await kvmatrix(['boot', '--kernel', 'patched']);
  t.equal(neither.code, 2);
  t.match(neither.stderr, /boot needs a cell id, or --kernel and --vmm/);
});
