import { execFileSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import t from 'tap';
import { writeCpio } from '../../harness/guest/cpio.js';
import { guestInitramfsEntries, packInitramfs } from '../../harness/guest/initramfs.js';
import { diskImage, DISK_IMAGE_BYTES } from '../../harness/guest/disk.js';

t.test('GNU cpio reads the initramfs with modes, device node and contents intact', async (t) => {
  const agent = Buffer.from('#!fake agent bytes, odd length');
  const archive = gunzipSync(packInitramfs(guestInitramfsEntries(agent)));
  const listing = execFileSync('cpio', ['-itv', '--quiet'], { input: archive }).toString();
  const lines = listing.trim().split('\n');
  t.equal(lines.length, 6);
  t.match(listing, /^crw------- .* 5,\s+1 .* dev\/console$/m);
  t.match(listing, /^-rwxr-xr-x .* init$/m);
  t.match(listing, /^drwxrwxrwt .* tmp$/m);
  const init = execFileSync('cpio', ['-i', '--to-stdout', '--quiet', 'init'], { input: archive });
  t.same(init, agent);
});

t.test('GNU cpio reads a symbolic link as a link to its target', async (t) => {
  const archive = writeCpio([
    { type: 'file', path: 'bin/busybox', data: Buffer.from('bb'), mode: 0o755 },
    { type: 'symlink', path: 'bin/sh', target: 'busybox' },
  ]);
  const listing = execFileSync('cpio', ['-itv', '--quiet'], { input: archive }).toString();
  t.match(listing, /^lrwxrwxrwx .* bin\/sh -> busybox$/m);
});

t.test('the archive is padded to 4 bytes and ends with the trailer', async (t) => {
  const archive = writeCpio([{ type: 'file', path: 'a', data: Buffer.from('xyz') }]);
  t.equal(archive.length % 4, 0);
  t.match(archive.toString('latin1'), /TRAILER!!!\0*$/);
  t.equal(archive.subarray(0, 6).toString(), '070701');
});

t.test('the same entries always give the same bytes', async (t) => {
  const entries = guestInitramfsEntries(Buffer.from('agent'));
  t.same(packInitramfs(entries), packInitramfs(entries));
});

t.test('paths that climb out are refused', async (t) => {
  t.throws(() => writeCpio([{ type: 'dir', path: '../etc' }]), /not a relative path/);
  t.throws(() => writeCpio([{ type: 'dir', path: '/' }]), /not a relative path/);
});

t.test('disk images carry their slot name in sector 0', async (t) => {
  const img = diskImage('blk2');
  t.equal(img.length, DISK_IMAGE_BYTES);
  t.equal(img.subarray(0, 21).toString(), 'KVMATRIX-DISK/1 blk2\n');
});
