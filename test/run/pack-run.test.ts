/**
 * A run folder packed as one .tar.gz, read back by GNU tar (another
 * implementation than the one that wrote it): whole files where the folder
 * had hard links, symbolic links kept inside and never followed out,
 * nothing from outside, and no archive inside the folder it packs.
 */
import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { packRun } from '../../harness/run/pack-run.js';
import { tempTree } from '../support/temp-tree.js';

function runFolder(): { root: string; run: string } {
  const root = tempTree({
    'results/20261205-120000-abcd/results.json': '{}\n',
    'results/20261205-120000-abcd/kernels/k/Image': 'I'.repeat(100_000),
    'results/20261205-120000-abcd/cells/k/qemu/legacy/console.log': 'console\n',
    'cache/kernels/ab/Image': 'C'.repeat(1000),
    'secret.txt': 'from outside\n',
  });
  const run = join(root, 'results/20261205-120000-abcd');
  writeFileSync(join(run, 'cells/k/qemu/legacy/reproduce.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
  // the same Image twice inside the folder, and one file shared with the cache outside it
  linkSync(join(run, 'kernels/k/Image'), join(run, 'kernels/k/Image.again'));
  mkdirSync(join(run, 'guest/ab'), { recursive: true });
  linkSync(join(root, 'cache/kernels/ab/Image'), join(run, 'guest/ab/initramfs.cpio.gz'));
  symlinkSync('console.log', join(run, 'cells/k/qemu/legacy/last.log'));
  symlinkSync('../../../../../../secret.txt', join(run, 'cells/k/qemu/legacy/escape.log'));
  symlinkSync('/etc/hostname', join(run, 'kernels/k/absolute'));
  // judged by their text each stays inside; followed in turn, once unpacked, they lead out
  symlinkSync('..', join(run, 'cells/k/qemu/s'));
  symlinkSync('s/../..', join(run, 'cells/k/qemu/t'));
  // out by the parent folder and in again by the run's own name: inside here, outside wherever it is unpacked under another name
  symlinkSync('../../../../20261205-120000-abcd/results.json', join(run, 'cells/k/qemu/legacy/back-in.json'));
  execFileSync('mkfifo', [join(run, 'cells/k/qemu/legacy/pipe')]);
  symlinkSync('20261205-120000-abcd', join(root, 'results/latest'));
  return { root, run };
}

t.test('packed and unpacked by GNU tar elsewhere: the folder under its run id, whole files, links kept inside only', async (t) => {
  const { root } = runFolder();
  const file = join(root, 'run.tar.gz');
  // packed through the `latest` link, as a user would name it
  const packed = await packRun(join(root, 'results/latest'), file);
  t.equal(packed.top, '20261205-120000-abcd');
  t.same(
    packed.leftOut.map((l) => l.split(':')[0]).sort(),
    [
      '20261205-120000-abcd/cells/k/qemu/legacy/back-in.json',
      '20261205-120000-abcd/cells/k/qemu/legacy/escape.log',
      '20261205-120000-abcd/cells/k/qemu/legacy/pipe',
      '20261205-120000-abcd/cells/k/qemu/s',
      '20261205-120000-abcd/cells/k/qemu/t',
      '20261205-120000-abcd/kernels/k/absolute',
    ],
    'every link that is absolute or climbs, and the fifo, are left out, and said',
  );
  const listing = execFileSync('tar', ['-tvzf', file], { encoding: 'utf8' });
  t.match(
    listing,
    /^h.* 20261205-120000-abcd\/kernels\/k\/Image\.again link to 20261205-120000-abcd\/kernels\/k\/Image$/m,
    'the second name of a file is a hard link entry',
  );
  t.notMatch(listing, /secret|escape|absolute|pipe|cache|back-in|qemu\/[st] /, 'nothing that leads outside the folder');

  const elsewhere = tempTree({}, 'kvmatrix-unpacked-');
  execFileSync('tar', ['-xzf', file, '-C', elsewhere]);
  const unpacked = join(elsewhere, '20261205-120000-abcd');
  t.same(readdirSync(elsewhere), ['20261205-120000-abcd']);
  t.equal(readFileSync(join(unpacked, 'kernels/k/Image.again'), 'utf8'), 'I'.repeat(100_000), 'a whole file under both names');
  t.equal(
    readFileSync(join(unpacked, 'guest/ab/initramfs.cpio.gz'), 'utf8'),
    'C'.repeat(1000),
    'a file linked from the cache is stored whole',
  );
  t.equal(readlinkSync(join(unpacked, 'cells/k/qemu/legacy/last.log')), 'console.log', 'a link inside stays a link');
  t.equal(statSync(join(unpacked, 'cells/k/qemu/legacy/reproduce.sh')).mode & 0o777, 0o755, 'reproduce.sh stays executable');
  t.equal(execFileSync('sh', [join(unpacked, 'cells/k/qemu/legacy/reproduce.sh')], { encoding: 'utf8' }), 'hi\n');
  t.same(
    readdirSync(root).filter((f) => f.includes('tmp')),
    [],
    'no temporary file left beside the archive',
  );
});

t.test('an archive inside the folder it packs is refused before anything is written', async (t) => {
  const { run } = runFolder();
  await t.rejects(packRun(run, join(run, 'cells/self.tar.gz')), /would be inside the run folder it packs/);
  t.same(readdirSync(join(run, 'cells')), ['k']);
});
