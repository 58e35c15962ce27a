import { join } from 'node:path';
import t from 'tap';
import { defaultMatrixFile } from '../../harness/host/install-paths.js';
import { explicitCell } from '../../harness/matrix/explicit-cell.js';
import { InputError } from '../../harness/matrix/input-error.js';
import { loadMatrix } from '../../harness/matrix/load.js';
import { tempTree } from '../support/temp-tree.js';

const matrix = loadMatrix(defaultMatrixFile);

t.test('matrix ids: the matrix cell, with its expectation', async (t) => {
  const { cell } = explicitCell(matrix, { kernel: 'unpatched', vmm: 'qemu-bridged', transport: 'legacy' });
  t.equal(cell.id, 'unpatched/qemu-bridged/legacy');
  t.equal(cell.expect.verdict, 'fail', "the matrix's expectation applies");
  t.equal(cell.devices.length, 6, 'six ports, one device behind each');
});

t.test('types and options: a qemu VMM of the asked topology, the asked devices', async (t) => {
  const { cell, matrix: m } = explicitCell(matrix, {
    kernel: 'patched',
    vmm: 'qemu',
    transport: 'modern',
    topology: 'bridged',
    devices: 'rng,blk',
  });
  t.equal(cell.id, 'patched/qemu-bridged/modern');
  t.equal(cell.vmm.type === 'qemu' && cell.vmm.topology, 'bridged');
  t.same(
    cell.devices.map((d) => d.name),
    ['rng1', 'blk1', 'rng2', 'blk2', 'rng3', 'blk3'],
  );
  t.ok(m.vmms.some((v) => v.id === cell.vmm.id));
  const flat = explicitCell(matrix, { kernel: 'patched', vmm: 'qemu-bridged', topology: 'flat', devices: 'net' }).cell;
  t.equal(flat.id, 'patched/qemu-bridged-flat/legacy', 'a matrix VMM with another topology gets an id of its own');
  t.same(
    flat.devices.map((d) => d.name),
    ['net1'],
  );
});

t.test('an Image file as the kernel', async (t) => {
  const image = join(tempTree({ Image: 'not really' }), 'Image');
  const { cell, matrix: m } = explicitCell(matrix, { kernel: image, vmm: 'kvmtool' });
  t.equal(cell.id, 'image/kvmtool/legacy');
  t.same(cell.kernel.source, { kind: 'image', path: image });
  t.same(cell.kernel.patches, []);
  t.ok(m.kernels.some((k) => k.id === 'image'));
  t.equal(cell.vmm.type === 'kvmtool' && cell.vmm.hostKernel, 'patched', 'the nested host is the matrix kernel it always is');
});

t.test('every wrong part is one InputError naming the option and the choices', async (t) => {
  const cases: [Parameters<typeof explicitCell>[1], RegExp][] = [
    [{ kernel: 'nope', vmm: 'qemu' }, /^--kernel nope is neither a kernel of matrix murray \(unpatched, patched\) nor an Image file$/],
    [
      { kernel: 'patched', vmm: 'xen' },
      /^--vmm xen is neither a VMM of matrix murray \(qemu-flat, qemu-bridged, kvmtool\) nor qemu or kvmtool$/,
    ],
    [{ kernel: 'patched', vmm: 'qemu', transport: 'mmio' }, /^--transport mmio: expected one of legacy, modern$/],
    [{ kernel: 'patched', vmm: 'qemu', topology: 'ring' }, /^--topology ring: expected one of flat, bridged$/],
    [{ kernel: 'patched', vmm: 'qemu', devices: 'rng,gpu' }, /^--devices gpu: expected one of rng, net, blk$/],
    [{ kernel: 'patched', vmm: 'qemu', devices: ',' }, /names no device/],
    [{ kernel: 'patched', vmm: 'kvmtool', topology: 'bridged' }, /only flat exists under kvmtool/],
  ];
  for (const [choice, message] of cases) {
    t.throws(() => explicitCell(matrix, choice), InputError);
    t.throws(() => explicitCell(matrix, choice), { message }, JSON.stringify(choice));
  }
});
