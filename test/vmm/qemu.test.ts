import t from 'tap';
import { flagValues } from '../support/argv.js';
import { nestedHostCommand } from '../../harness/vmm/nested-host.js';
import { guestCommandLine, qemuCommand, qemuMachineArgs, qemuOptionValue } from '../../harness/vmm/qemu.js';
import { kvmtoolCell, qemuCell } from '../support/cells.js';

const files = { image: '/cache/Image', initrd: '/cache/initramfs.cpio.gz', disks: { blk1: 'blk1.img', blk2: 'blk2.img' } };

const values = flagValues;

t.test('flat legacy: one device per root-bus slot, legacy only', async (t) => {
  const { argv, inputs } = qemuCommand(qemuCell('flat', 'legacy'), files, { accel: 'tcg', nonce: 'n1' });
  t.equal(argv[0], 'qemu-system-aarch64');
  t.same(values(argv, '-M'), ['virt,gic-version=3']);
  t.same(values(argv, '-accel'), ['tcg']);
  t.same(values(argv, '-cpu'), ['max,pauth-impdef=on']);
  t.same(values(argv, '-kernel'), ['/cache/Image']);
  t.same(values(argv, '-append'), ['console=ttyAMA0 panic=-1 kvmatrix.nonce=n1']);
  t.ok(argv.includes('-no-reboot'), 'a guest reboot ends QEMU');
  t.ok(argv.includes('-nodefaults'));
  t.same(values(argv, '-device'), [
    'virtio-rng-pci,id=rng1,disable-modern=on,disable-legacy=off,bus=pcie.0,addr=0x1',
    'virtio-net-pci,id=net1,netdev=net1-net,disable-modern=on,disable-legacy=off,bus=pcie.0,addr=0x2,romfile=',
    'virtio-blk-pci,id=blk1,drive=blk1-drive,disable-modern=on,disable-legacy=off,bus=pcie.0,addr=0x3',
  ]);
  t.same(values(argv, '-netdev'), ['user,id=net1-net']);
  t.same(values(argv, '-drive'), ['file=blk1.img,format=raw,if=none,id=blk1-drive,readonly=on']);
  t.same(inputs, ['/cache/Image', '/cache/initramfs.cpio.gz', 'blk1.img', 'blk2.img']);
});

t.test('bridged modern: N root ports, one device behind each, modern only', async (t) => {
  const { argv } = qemuCommand(qemuCell('bridged', 'modern'), files, { accel: 'tcg', nonce: 'n2' });
  const devices = values(argv, '-device');
  t.same(
    devices.filter((d) => d.startsWith('pcie-root-port')),
    [1, 2, 3, 4, 5, 6].map((n) => `pcie-root-port,id=rp${n},chassis=${n},slot=${n},bus=pcie.0,addr=0x${n}`),
  );
  const virtio = devices.filter((d) => d.startsWith('virtio'));
  t.equal(virtio.length, 6);
  virtio.forEach((d, i) => {
    t.match(d, /disable-legacy=on,disable-modern=off/);
    t.match(d, new RegExp(`,bus=rp${i + 1}(,|$)`));
  });
  t.match(virtio[3]!, /^virtio-rng-pci,id=rng2,/);
  // no option ROM: a fresh host without ipxe-qemu still boots net cells
  t.ok(virtio.filter((d) => d.startsWith('virtio-net-pci')).every((d) => d.endsWith(',romfile=')));
  t.same(values(argv, '-netdev'), ['user,id=net1-net', 'user,id=net2-net']);
  t.same(
    values(argv, '-drive').map((d) => d.split(',')[0]),
    ['file=blk1.img', 'file=blk2.img'],
  );
});

t.test('bridged with other port counts and a single device kind', async (t) => {
  const { argv } = qemuCommand(qemuCell('bridged', 'legacy', ['rng'], 8), files, { accel: 'tcg', nonce: 'n' });
  const devices = values(argv, '-device');
  t.equal(devices.filter((d) => d.startsWith('pcie-root-port')).length, 8);
  t.equal(devices.filter((d) => d.startsWith('virtio-rng-pci')).length, 8);
  t.match(devices.at(-1)!, /id=rng8,.*bus=rp8$/);
  t.equal(values(argv, '-netdev').length, 0);
});

t.test('kvm on an arm64 host uses the host CPU', async (t) => {
  const { argv } = qemuCommand(qemuCell('flat', 'legacy'), files, { accel: 'kvm', nonce: 'n' });
  t.same(values(argv, '-accel'), ['kvm']);
  t.same(values(argv, '-cpu'), ['host']);
  t.same(values(argv, '-M'), ['virt,gic-version=max'], "the host's own GIC (GICv3-only hosts have no GICv2 to emulate)");
});

t.test("tcg_cpu is QEMU's -cpu under TCG; under KVM the guest has the host's CPU", async (t) => {
  const cell = qemuCell('flat', 'modern');
  t.same(
    values(qemuCommand(cell, files, { accel: 'tcg', nonce: 'n' }).argv, '-cpu'),
    ['max,pauth-impdef=on'],
    'the default: every feature, the quick pointer authentication',
  );
  const a57 = { ...cell, vmm: { ...cell.vmm, tcgCpu: 'cortex-a57' } };
  t.same(values(qemuCommand(a57, files, { accel: 'tcg', nonce: 'n' }).argv, '-cpu'), ['cortex-a57']);
  t.same(values(qemuCommand(a57, files, { accel: 'kvm', nonce: 'n' }).argv, '-cpu'), ['host']);
  t.same(
    qemuMachineArgs('tcg', { virtualization: true }).slice(-2),
    ['-cpu', 'max,pauth-impdef=on'],
    'a nested host keeps the CPU with EL2 and every feature',
  );
});

t.test('virtualization=on goes only with TCG: KVM on arm64 offers no nested EL2 and QEMU refuses it', async (t) => {
  t.same(qemuMachineArgs('kvm', { virtualization: true }).slice(0, 2), ['-M', 'virt,gic-version=max']);
  t.same(qemuMachineArgs('tcg', { virtualization: true }).slice(0, 2), ['-M', 'virt,gic-version=3,virtualization=on']);
  const nested = nestedHostCommand(kvmtoolCell('legacy'), { image: 'Image', initrd: 'i' }, { nonce: 'n', guestTimeoutSec: 60 });
  t.same(values(nested.argv, '-accel'), ['tcg'], 'a nested host is emulated even on a KVM host, so that it has EL2');
});

t.test('paths with commas or shell metacharacters stay one argument', async (t) => {
  const odd = { ...files, image: '/c/a b;$(rm -rf)/Image', disks: { blk1: 'x,y.img' } };
  const { argv } = qemuCommand(qemuCell('flat', 'legacy', ['blk']), odd, { accel: 'tcg', nonce: 'n' });
  t.same(values(argv, '-kernel'), ['/c/a b;$(rm -rf)/Image']);
  t.same(values(argv, '-drive'), ['file=x,,y.img,format=raw,if=none,id=blk1-drive,readonly=on']);
  t.equal(qemuOptionValue('a,b,,c'), 'a,,b,,,,c');
});

t.test('a blk slot without a disk is a programming error, not a silent boot', async (t) => {
  t.throws(
    () => qemuCommand(qemuCell('flat', 'legacy', ['blk']), { ...files, disks: {} }, { accel: 'tcg', nonce: 'n' }),
    /no disk image given for blk1/,
  );
});

t.test('appended kernel parameters come last so they can override', async (t) => {
  t.equal(guestCommandLine('ttyAMA0', 'abc', 'panic=0 loglevel=8'), 'console=ttyAMA0 panic=-1 kvmatrix.nonce=abc panic=0 loglevel=8');
});
