import { execFileSync } from 'node:child_process';
import t from 'tap';
import { encodeArgFile, nestedBaseArchive, nestedCellArchive, nestedDiskPath, NESTED_PATHS } from '../../harness/guest/nested-initramfs.js';
import { diskImage } from '../../harness/guest/disk.js';
import { lkvmRunArgs } from '../../harness/vmm/kvmtool.js';
import { kvmtoolCell } from '../support/cells.js';

const list = (archive: Buffer) => execFileSync('cpio', ['-itv', '--quiet'], { input: archive }).toString();
const extract = (archive: Buffer, path: string) => execFileSync('cpio', ['-i', '--to-stdout', '--quiet', path], { input: archive });

t.test('the shared part: agent as init, an executable lkvm, the guest kernel and initramfs', async (t) => {
  const inputs = {
    agent: Buffer.from('agent'),
    lkvm: Buffer.from('lkvm bytes'),
    guestImage: Buffer.from('Image bytes!'),
    guestInitramfs: Buffer.from('initramfs'),
  };
  const base = nestedBaseArchive(inputs);
  t.equal(base.length % 4, 0, 'a cell part appended to it starts aligned');
  const listing = list(base);
  t.match(listing, /^-rwxr-xr-x .* init$/m);
  t.match(listing, /^-rwxr-xr-x .* kvmatrix\/lkvm$/m);
  t.match(listing, /^crw------- .* dev\/console$/m);
  t.same(extract(base, 'kvmatrix/lkvm'), inputs.lkvm);
  t.same(extract(base, NESTED_PATHS.image.slice(1)), inputs.guestImage);
  t.same(extract(base, NESTED_PATHS.initrd.slice(1)), inputs.guestInitramfs);
});

t.test('the cell part: lkvm arguments as a NUL-separated file, and the disks', async (t) => {
  const cell = kvmtoolCell('legacy');
  const args = lkvmRunArgs(
    cell,
    { image: NESTED_PATHS.image, initrd: NESTED_PATHS.initrd, disks: { blk1: nestedDiskPath('blk1') } },
    { nonce: 'n', era: 'virtio-transport', irqchip: 'gicv3' },
  );
  const part = nestedCellArchive(args, { blk1: diskImage('blk1') });
  t.match(list(part), /kvmatrix\/cell\/lkvm\.args/);
  t.same(
    extract(part, 'kvmatrix/cell/lkvm.args'),
    encodeArgFile(args),
    'the argument file test/guest/arg-file.test.ts reads with the C reader',
  );
  t.same(extract(part, 'kvmatrix/cell/blk1.img'), diskImage('blk1'));
  t.equal(nestedDiskPath('blk1'), '/kvmatrix/cell/blk1.img');
});

t.test('an argument holding a NUL byte cannot be written', async (t) => {
  t.equal(encodeArgFile(['run', '']).at(-1), 0);
  t.throws(() => encodeArgFile(['a\0b']), /NUL byte/);
});

t.test('slot names that could climb out of the cell folder are refused', async (t) => {
  t.throws(() => nestedDiskPath('../x'), /cannot name a disk file/);
});
