import t from 'tap';
import { loadMatrix } from '../../harness/matrix/load.js';
import { expandMatrix, expectationFor } from '../../harness/matrix/expand.js';
import { selectCells, parseFilter } from '../../harness/matrix/select.js';
import { InputError } from '../../harness/matrix/input-error.js';
import { defaultMatrixFile } from '../../harness/host/install-paths.js';

const cells = expandMatrix(loadMatrix(defaultMatrixFile));
const ids = (list: { id: string }[]) => list.map((c) => c.id);

t.test('no selector keeps every cell', async (t) => {
  t.equal(selectCells(cells, {}).length, 12);
});

t.test('--cell takes exact ids and globs', async (t) => {
  t.same(ids(selectCells(cells, { cells: ['unpatched/qemu-bridged/legacy'] })), ['unpatched/qemu-bridged/legacy']);
  t.same(ids(selectCells(cells, { cells: ['*/qemu-flat/modern'] })), ['unpatched/qemu-flat/modern', 'patched/qemu-flat/modern']);
});

t.test('--filter narrows, with comma-separated alternatives', async (t) => {
  const sel = selectCells(cells, { filters: ['type=qemu', 'transport=legacy', 'kernel=unpatched,patched'] });
  t.equal(sel.length, 4);
  t.same(ids(selectCells(cells, { filters: ['topology=bridged', 'kernel=patched'] })), [
    'patched/qemu-bridged/legacy',
    'patched/qemu-bridged/modern',
  ]);
});

t.test('selectors that select nothing are errors that name the option', async (t) => {
  t.throws(() => selectCells(cells, { cells: ['nosuch/cell'] }), InputError);
  t.throws(() => selectCells(cells, { cells: ['nosuch/cell'] }), /--cell nosuch\/cell matches no cell/);
  t.throws(() => selectCells(cells, { filters: ['kernel=nosuch'] }), /selects no cell/);
  t.throws(() => selectCells(cells, { cells: ['patched/*'], filters: ['kernel=unpatched'] }), /together select no cell/);
  t.throws(() => parseFilter('color=red'), /key one of kernel, vmm, transport, type, topology/);
  t.throws(() => parseFilter('kernel='), /expected key=value/);
});

t.test('the last matching expectation rule wins', async (t) => {
  const keys = { kernel: 'a', vmm: 'q', transport: 'legacy', type: 'qemu', topology: 'flat' };
  t.same(expectationFor(keys, []), { verdict: 'pass' });
  t.same(
    expectationFor(keys, [
      { when: { kernel: 'a' }, verdict: 'fail', why: 'first' },
      { when: { kernel: 'a', transport: 'legacy' }, verdict: 'pass' },
    ]),
    { verdict: 'pass', rule: 1 },
    'and it names which rule decided',
  );
  t.same(expectationFor(keys, [{ when: { kernel: 'b' }, verdict: 'fail' }]), { verdict: 'pass' });
});
