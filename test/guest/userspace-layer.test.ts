/**
 * The guest's userspace layer: Debian's arm64 busybox and the cross glibc
 * in a cpio of their own, appended to a guest initramfs. Proven in a real
 * guest: a real kernel under QEMU unpacks the two archives in turn, runs
 * busybox's sh as init, and sh runs a program the cross compiler linked
 * dynamically against glibc.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import t from 'tap';
import { writeCpio } from '../../harness/guest/cpio.js';
import { GLIBC_RUNTIME, glibcDir, parsePackageStanza, staticArm64Problem, userspaceLayer, userspaceLayerEntries } from '../../harness/guest/userspace-layer.js';
import { cacheLayout, resolveCacheRoot } from '../../harness/kernel/cache.js';
import { launchVmm } from '../../harness/vmm/launch.js';
import { qemuBootArgs, qemuMachineArgs } from '../../harness/vmm/qemu.js';
import { kvmatrix } from '../support/cli.js';
import { tempTree } from '../support/temp-tree.js';

t.setTimeout(30 * 60 * 1000);

t.test("apt's stanza gives the version and the sha256 to check the download against", async (t) => {
  const stanza = ['Package: busybox-static', 'Architecture: arm64', 'Version: 1:1.35.0-4+deb12u1+b1', 'Filename: pool/main/b/busybox/x.deb', `SHA256: ${'a'.repeat(64)}`];
  t.same(parsePackageStanza(stanza), { version: '1:1.35.0-4+deb12u1+b1', sha256: 'a'.repeat(64) });
  t.equal(parsePackageStanza(stanza.slice(0, 4)), null, 'no sha256: nothing to check against');
  t.equal(parsePackageStanza([...stanza.slice(0, 4), 'SHA256: not-a-hash']), null);
});

t.test('busybox must be a static arm64 executable', async (t) => {
  const host = readFileSync(process.execPath);
  t.match(staticArm64Problem(host), /not an arm64 executable|linked dynamically/, 'this machine\'s node is not');
  t.match(staticArm64Problem(Buffer.from('#!/bin/sh\n')), /^is not an ELF/);
});

t.test('the layer in a real guest: busybox sh as init runs a program linked against the layer\'s glibc', async (t) => {
  const layout = cacheLayout(resolveCacheRoot());
  const layer = await userspaceLayer(layout);
  t.match(layer.busybox, /^1:1\.\d+/, `busybox ${layer.busybox}`);
  const again = await userspaceLayer(layout);
  t.equal(again.archive, layer.archive, 'built once, then taken from the cache');
  const listing = execFileSync('cpio', ['-itv', '--quiet'], { input: gunzipSync(readFileSync(layer.archive)) }).toString();
  t.match(listing, /bin\/sh -> busybox/);
  for (const lib of GLIBC_RUNTIME) t.match(listing, new RegExp(`lib/${lib.replaceAll('.', '\\.')}$`, 'm'), `${lib} in /lib`);

  // the default matrix's patched kernel, from the cache the other tests share
  const built = await kvmatrix(['build', 'patched']);
  t.equal(built.code, 0, built.stderr.slice(-2000));
  const image = built.stdout.trim().split('\t')[1]!;

  const dir = tempTree({ 'hello.c': '#include <gnu/libc-version.h>\n#include <stdio.h>\nint main(void) { printf("hello from glibc %s\\n", gnu_get_libc_version()); return 0; }\n' });
  execFileSync('aarch64-linux-gnu-gcc', ['-O2', '-o', join(dir, 'hello'), join(dir, 'hello.c')]);
  t.equal(staticArm64Problem(readFileSync(join(dir, 'hello'))), 'is linked dynamically (/lib/ld-linux-aarch64.so.1)', 'the program needs the loader');
  // the base a guest initramfs has (its console node), then the program, then the layer: three archives in turn
  const base = gzipSync(writeCpio([
    { type: 'dir', path: 'dev' },
    { type: 'chardev', path: 'dev/console', major: 5, minor: 1 },
    { type: 'file', path: 'hello', data: readFileSync(join(dir, 'hello')), mode: 0o755 },
  ]));
  const initrd = join(dir, 'initramfs.cpio.gz');
  writeFileSync(initrd, Buffer.concat([base, readFileSync(layer.archive)]));
  // Debian's busybox ships no applet links: busybox --install makes them (it finds itself through /proc)
  const script = 'busybox mkdir /proc; busybox mount -t proc proc /proc; busybox --install -s /bin; echo SHELL-$((6*7)); /hello; echo EXIT-$?; poweroff -f';
  const launch = await launchVmm(
    {
      argv: ['qemu-system-aarch64', ...qemuMachineArgs('tcg'), ...qemuBootArgs({ memoryMiB: 256, cpus: 1, image, initrd }), '-append', `console=ttyAMA0 panic=-1 rdinit=/bin/sh -- -c "${script}"`],
      inputs: [image, initrd],
    },
    { consolePath: join(dir, 'console.log'), timeoutSec: 60, capBytes: 1 << 20 },
  );
  const console = readFileSync(join(dir, 'console.log'), 'utf8');
  t.equal(launch.kind, 'exited', console.slice(-2000));
  t.match(console, /^SHELL-42\r?$/m, "busybox's sh ran as init and did its arithmetic");
  t.match(console, /^hello from glibc 2\.\d+\r?$/m, 'the dynamically linked program found its loader and libc in the layer');
  t.match(console, /^EXIT-0\r?$/m);
  t.notMatch(console, /not found|Attempted to kill init/, 'every applet found once installed; the guest powered off, init did not die');
  t.match(console, /reboot: Power down/);
});

t.test('the arm64 glibc is where this host keeps it', async (t) => {
  t.equal(glibcDir('x64'), '/usr/aarch64-linux-gnu/lib');
  t.equal(glibcDir('arm64'), '/lib/aarch64-linux-gnu');
  t.ok(userspaceLayerEntries(Buffer.from('bb'), []).some((e) => e.type === 'symlink' && e.path === 'bin/sh'));
});
