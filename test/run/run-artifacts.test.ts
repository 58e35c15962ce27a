/**
 * What a run keeps of what it booted: hard links from the cache where the
 * filesystem allows, whole copies elsewhere, never a half file; paths the
 * VMM is given relative to the cell folder.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { appliedPatchTexts } from '../../harness/kernel/applied-patches.js';
import { sha256 } from '../../harness/kernel/keys.js';
import { projectRoot } from '../../harness/host/install-paths.js';
import { inRunFolder } from '../../harness/run/boot-cell.js';
import { failedKernelArtifacts, pathInside, placeFile, placeGuest, placeKernel, placeTree } from '../../harness/run/run-artifacts.js';
import { smallDisk } from '../support/tmpfs.js';
import { tempTree } from '../support/temp-tree.js';

t.test('on one filesystem a placed file is a hard link: the same inode, no space taken', async (t) => {
  const dir = tempTree({ 'cache/Image': 'kernel bytes' });
  placeFile(join(dir, 'cache/Image'), join(dir, 'run/kernels/k/Image'));
  const [from, to] = [statSync(join(dir, 'cache/Image')), statSync(join(dir, 'run/kernels/k/Image'))];
  t.equal(to.ino, from.ino);
  t.equal(from.nlink, 2);
  writeFileSync(join(dir, 'other'), 'other bytes');
  placeFile(join(dir, 'other'), join(dir, 'run/kernels/k/Image'));
  t.equal(readFileSync(join(dir, 'run/kernels/k/Image'), 'utf8'), 'kernel bytes', 'a file already placed is kept');
});

const otherDisk = smallDisk('1m');
if (!('skip' in otherDisk)) t.teardown(otherDisk.unmount);

t.test(
  'across filesystems it is copied whole; a copy that does not fit leaves nothing behind',
  { skip: 'skip' in otherDisk ? otherDisk.skip : false },
  async (t) => {
    const disk = otherDisk as { dir: string };
    const dir = tempTree({});
    const image = randomBytes(300 * 1024);
    writeFileSync(join(dir, 'Image'), image);
    placeFile(join(dir, 'Image'), join(disk.dir, 'run/kernels/k/Image'));
    t.ok(readFileSync(join(disk.dir, 'run/kernels/k/Image')).equals(image), 'the same bytes');
    t.not(statSync(join(disk.dir, 'run/kernels/k/Image')).ino, statSync(join(dir, 'Image')).ino, 'a file of its own');

    writeFileSync(join(dir, 'Big'), randomBytes(2 * 1024 * 1024));
    t.throws(() => placeFile(join(dir, 'Big'), join(disk.dir, 'run/kernels/k/Big')), /ENOSPC/);
    t.same(readdirSync(join(disk.dir, 'run/kernels/k')), ['Image'], 'no partial file');
  },
);

t.test("a kernel's Image, config, build log and patches as applied land in kernels/<id>/, and it boots from there", async (t) => {
  const dir = tempTree({ 'cache/Image': 'image', 'cache/config': 'CONFIG_PCI=y\n', 'cache/build.log': 'make\n' });
  const patch = join(projectRoot, 'patches', 'murray-ioport-map.patch');
  const texts = appliedPatchTexts([{ path: patch, direction: 'reverse' }]);
  const run = join(dir, 'run');
  const placed = placeKernel(
    run,
    {
      kernelId: 'unpatched',
      key: 'k',
      source: 's',
      image: join(dir, 'cache/Image'),
      config: join(dir, 'cache/config'),
      buildLog: join(dir, 'cache/build.log'),
      cached: true,
      durationMs: 0,
    },
    texts,
  );
  t.same(placed.artifacts, {
    image: 'kernels/unpatched/Image',
    config: 'kernels/unpatched/config',
    buildLog: 'kernels/unpatched/build.log',
  });
  t.equal(placed.kernel.image, join(run, 'kernels/unpatched/Image'));
  t.equal(placed.kernel.config, join(run, 'kernels/unpatched/config'));
  t.same(
    placed.patches.map((p) => p.path),
    ['kernels/unpatched/patches/01-murray-ioport-map.patch'],
  );
  t.equal(
    sha256(readFileSync(join(run, placed.patches[0]!.path!))),
    placed.patches[0]!.sha256,
    'the file is the diff the recorded hash is of: the reversed one',
  );
  t.not(readFileSync(join(run, placed.patches[0]!.path!), 'utf8'), readFileSync(patch, 'utf8'));

  writeFileSync(join(run, 'kernels/unpatched/build.log'), 'this run built it\n', { flag: 'w' });
  const again = placeKernel(
    run,
    {
      kernelId: 'unpatched',
      key: 'k',
      source: 's',
      image: join(dir, 'cache/Image'),
      config: null,
      buildLog: join(dir, 'cache/build.log'),
      cached: false,
      durationMs: 0,
    },
    [],
  );
  t.equal(readFileSync(join(run, 'kernels/unpatched/build.log'), 'utf8'), 'this run built it\n', "the run's own build log is kept");
  t.equal(again.kernel.config, null, 'a kernel without a config keeps none');
});

t.test("a user's own Image (an image: kernel) is copied, not linked: their next build rewrites it in place", async (t) => {
  const dir = tempTree({ 'linux/arch/arm64/boot/Image': 'first build' });
  const image = join(dir, 'linux/arch/arm64/boot/Image');
  placeKernel(
    join(dir, 'run'),
    {
      kernelId: 'mine',
      key: 'image:sha256:aa',
      source: 'image:sha256:aa',
      image,
      config: null,
      buildLog: null,
      cached: true,
      durationMs: 0,
    },
    [],
  );
  writeFileSync(image, 'second build');
  t.equal(readFileSync(join(dir, 'run/kernels/mine/Image'), 'utf8'), 'first build', 'the run keeps what it booted');
});

t.test('the guest initramfs under its key; a failed build keeps its log only when the run folder holds it', async (t) => {
  const dir = tempTree({ 'agent/initramfs.cpio.gz': 'cpio', 'run/kernels/bad/build.log': 'error\n' });
  const guest = placeGuest(join(dir, 'run'), {
    agent: join(dir, 'agent/agent'),
    initramfs: join(dir, 'agent/initramfs.cpio.gz'),
    key: 'ab'.repeat(32),
  });
  t.equal(guest.initramfs, join(dir, 'run/guest/abababababababab/initramfs.cpio.gz'));
  t.same(failedKernelArtifacts(join(dir, 'run'), join(dir, 'run/kernels/bad/build.log')), { buildLog: 'kernels/bad/build.log' });
  t.equal(failedKernelArtifacts(join(dir, 'run'), join(dir, 'agent/initramfs.cpio.gz')), undefined, 'a log outside the run folder');
  t.equal(failedKernelArtifacts(join(dir, 'run'), undefined), undefined);
});

t.test('a run-folder file is named relative to the cell folder; a cache file keeps its path', async (t) => {
  t.equal(inRunFolder('/r/run', '/r/run/cells/k/qemu/legacy', '/r/run/kernels/k/Image'), '../../../../kernels/k/Image');
  t.equal(
    inRunFolder('/r/run', '/r/run/cells/k/qemu/legacy/boot-2', '/r/run/guest/ab/initramfs.cpio.gz'),
    '../../../../../guest/ab/initramfs.cpio.gz',
  );
  t.equal(inRunFolder('/r/run', '/r/run/cells/k/qemu/legacy', '/cache/kernels/ab/Image'), '/cache/kernels/ab/Image');
  t.equal(
    inRunFolder('/r/run', '/r/run/cells/k/qemu/legacy', '/r/run-2/kernels/k/Image'),
    '/r/run-2/kernels/k/Image',
    'a sibling folder is not inside',
  );
  t.equal(pathInside('/r/run', '/r/run/..notes/x'), '..notes/x', 'a name that starts with two dots is inside');
  t.equal(pathInside('/r/run', '/r/run'), '');
  t.equal(pathInside('/r/run', '/r'), null);
});

t.test('placeTree carries a folder across as links, its symbolic links as they are', async (t) => {
  const dir = tempTree({ 'a/cells/x/console.log': 'log', 'a/kernels/k/Image': 'img' });
  symlinkSync('console.log', join(dir, 'a/cells/x/latest.log'));
  placeTree(join(dir, 'a'), join(dir, 'b'));
  t.equal(statSync(join(dir, 'b/kernels/k/Image')).ino, statSync(join(dir, 'a/kernels/k/Image')).ino);
  t.equal(readlinkSync(join(dir, 'b/cells/x/latest.log')), 'console.log');
  placeTree(join(dir, 'a'), join(dir, 'b'));
  t.equal(readFileSync(join(dir, 'b/cells/x/console.log'), 'utf8'), 'log', 'placed twice: unchanged');
});
