import t from 'tap';
import { flagValues } from '../support/argv.js';
import { lkvmCellProblem, lkvmIrqchip, lkvmNativeCommand, lkvmRunArgs } from '../../harness/vmm/kvmtool.js';
import { nestedHostCommand, nestedHostMemoryMiB } from '../../harness/vmm/nested-host.js';
import { kvmtoolCell } from '../support/cells.js';
import type { LkvmEra } from '../../harness/matrix/types.js';

const files = { image: '/kvmatrix/guest/Image', initrd: '/kvmatrix/guest/initramfs.cpio.gz', disks: { blk1: '/kvmatrix/cell/blk1.img' } };

const values = flagValues;

t.test('legacy transport: pci-legacy, every device, the 8250 console', async (t) => {
  const args = lkvmRunArgs(kvmtoolCell('legacy'), files, { nonce: 'g1', era: 'virtio-transport' });
  t.equal(args[0], 'run');
  t.same(values(args, '--kernel'), ['/kvmatrix/guest/Image']);
  t.same(values(args, '--initrd'), ['/kvmatrix/guest/initramfs.cpio.gz']);
  t.same(values(args, '--params'), ['console=ttyS0 panic=-1 kvmatrix.nonce=g1']);
  t.same(values(args, '--mem'), ['256']);
  t.same(values(args, '--cpus'), ['1']);
  t.same(values(args, '--virtio-transport'), ['pci-legacy']);
  t.ok(args.includes('--rng'));
  t.same(values(args, '--network'), ['mode=user']);
  t.same(values(args, '--disk'), ['/kvmatrix/cell/blk1.img,ro']);
  t.notOk(
    args.some((a) => a.startsWith('--irqchip')),
    'natively lkvm picks the interrupt controller',
  );
});

t.test('modern transport: pci; nested adds --irqchip=gicv3', async (t) => {
  const args = lkvmRunArgs(kvmtoolCell('modern'), files, { nonce: 'g2', era: 'virtio-transport', irqchip: 'gicv3' });
  t.same(values(args, '--virtio-transport'), ['pci']);
  t.ok(args.includes('--irqchip=gicv3'));
});

t.test('devices map one to one; a device not asked for is not added', async (t) => {
  const rngOnly = lkvmRunArgs(kvmtoolCell('legacy', ['rng']), files, { nonce: 'g', era: 'virtio-transport' });
  t.ok(rngOnly.includes('--rng'));
  t.notOk(rngOnly.includes('--network'));
  t.notOk(rngOnly.includes('--disk'));
  const twoNets = lkvmRunArgs(kvmtoolCell('legacy', ['net', 'net']), files, { nonce: 'g', era: 'virtio-transport' });
  t.same(values(twoNets, '--network'), ['mode=user', 'mode=user']);
});

t.test("kvmtool's three eras: how each is told legacy or modern", async (t) => {
  const rng = (transport: 'legacy' | 'modern') => kvmtoolCell(transport, ['rng']);
  const transportArgs = (transport: 'legacy' | 'modern', era: LkvmEra) =>
    lkvmRunArgs(rng(transport), files, { nonce: 'g', era }).filter((a) =>
      ['--force-pci', '--virtio-legacy', '--virtio-transport', 'pci', 'pci-legacy'].includes(a),
    );
  t.same(transportArgs('legacy', 'virtio-transport'), ['--virtio-transport', 'pci-legacy']);
  t.same(transportArgs('modern', 'virtio-transport'), ['--virtio-transport', 'pci']);
  t.same(
    transportArgs('legacy', 'virtio-legacy'),
    ['--force-pci', '--virtio-legacy'],
    'the middle era: --force-pci alone would give modern devices',
  );
  t.same(transportArgs('modern', 'virtio-legacy'), ['--force-pci'], 'and modern cells run');
  t.same(transportArgs('legacy', 'force-pci'), ['--force-pci'], 'before July 2022 --force-pci was legacy');
  t.match(lkvmCellProblem(rng('modern'), 'force-pci'), /only legacy virtio-pci/);
  t.throws(() => lkvmRunArgs(rng('modern'), files, { nonce: 'g', era: 'force-pci' }), /only legacy/);
  t.equal(lkvmCellProblem(rng('legacy'), 'force-pci'), null);
  t.equal(lkvmCellProblem(rng('modern'), 'virtio-legacy'), null);
});

t.test('kvmtool has one rng at most', async (t) => {
  t.match(lkvmCellProblem(kvmtoolCell('legacy', ['rng', 'rng']), 'virtio-transport'), /at most one virtio-rng/);
});

t.test('a comma in a disk path is refused rather than split by lkvm', async (t) => {
  t.throws(
    () => lkvmRunArgs(kvmtoolCell('legacy', ['blk']), { ...files, disks: { blk1: '/a,b.img' } }, { nonce: 'g', era: 'virtio-transport' }),
    /comma/,
  );
  t.throws(
    () => lkvmRunArgs(kvmtoolCell('legacy', ['blk']), { ...files, disks: {} }, { nonce: 'g', era: 'virtio-transport' }),
    /no disk image/,
  );
});

t.test('shell metacharacters stay inside one argument', async (t) => {
  const cell = kvmtoolCell('legacy', ['rng']);
  cell.boot = { ...cell.boot, append: 'dyndbg="file virtio_pci* +p"; $(reboot)' };
  const args = lkvmRunArgs(cell, files, { nonce: 'g', era: 'virtio-transport' });
  t.same(values(args, '--params'), ['console=ttyS0 panic=-1 kvmatrix.nonce=g dyndbg="file virtio_pci* +p"; $(reboot)']);
});

t.test('native command: lkvm first, then run and its arguments', async (t) => {
  const { argv, inputs } = lkvmNativeCommand(
    kvmtoolCell('legacy'),
    '/opt/lkvm',
    { ...files, disks: { blk1: 'blk1.img' } },
    { nonce: 'g', era: 'virtio-transport' },
  );
  t.equal(argv[0], '/opt/lkvm');
  t.equal(argv[1], 'run');
  t.same(inputs, ['/opt/lkvm', files.image, files.initrd, 'blk1.img']);
});

t.test('nested host: virt with EL2 under TCG, host role, the guest timeout, more memory', async (t) => {
  const cell = kvmtoolCell('legacy');
  const { argv, inputs } = nestedHostCommand(
    cell,
    { image: '/cache/host/Image', initrd: 'host-initramfs.cpio' },
    { nonce: 'h1', guestTimeoutSec: 45.5 },
  );
  t.equal(argv[0], 'qemu-system-aarch64');
  t.same(values(argv, '-M'), ['virt,gic-version=3,virtualization=on']);
  t.same(values(argv, '-accel'), ['tcg']);
  t.same(values(argv, '-m'), ['768']);
  t.same(values(argv, '-append'), ['console=ttyAMA0 panic=-1 kvmatrix.nonce=h1 kvmatrix.role=host kvmatrix.guest_timeout=46']);
  t.same(values(argv, '-initrd'), ['host-initramfs.cpio']);
  t.same(inputs, ['/cache/host/Image', 'host-initramfs.cpio']);
  t.equal(nestedHostMemoryMiB(kvmtoolCell('legacy', ['rng'], { hostMemoryMiB: 2048 })), 2048);
});

t.test("--irqchip: the matrix's choice in either mode, else gicv3 nested and lkvm's own natively", async (t) => {
  t.equal(lkvmIrqchip(kvmtoolCell('legacy').vmm, 'nested'), 'gicv3', "QEMU's virt GICv3 has no GICv2 compatibility");
  t.equal(lkvmIrqchip(kvmtoolCell('legacy').vmm, 'native'), undefined, 'natively lkvm picks what the host has');
  const pinned = kvmtoolCell('legacy', ['rng'], { irqchip: 'gicv3' }).vmm;
  t.equal(lkvmIrqchip(pinned, 'native'), 'gicv3', 'a 2020 kvmtool must not pick the ITS');
  t.equal(lkvmIrqchip({ ...pinned, irqchip: 'gicv2' }, 'nested'), 'gicv2');
  const args = lkvmRunArgs(kvmtoolCell('legacy', ['rng'], { irqchip: 'gicv3', transportFlag: 'force-pci' }), files, {
    nonce: 'n',
    era: 'force-pci',
    irqchip: lkvmIrqchip(pinned, 'native'),
  });
  t.ok(args.includes('--irqchip=gicv3') && args.includes('--force-pci'));
});
