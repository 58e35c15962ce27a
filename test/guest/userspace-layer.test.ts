/**
 * The guest's userspace layer, its pure parts: apt's stanza, the ELF check,
 * the entries. test/integration/guest-userspace.test.ts proves the layer
 * in a real guest.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import t from 'tap';
import { cacheLayout } from '../../harness/kernel/cache.js';
import { tempTree } from '../support/temp-tree.js';
import { bootArchiveEntries } from '../../harness/guest/boot-archive.js';
import {
  GLIBC_RUNTIME,
  glibcDir,
  installedBusybox,
  parsePackageStanza,
  staticArm64Problem,
  userspaceLayer,
  userspaceLayerEntries,
} from '../../harness/guest/userspace-layer.js';

t.test("apt's stanza gives the version and the sha256 to check the download against", async (t) => {
  const stanza = [
    'Package: busybox-static',
    'Architecture: arm64',
    'Version: 1:1.35.0-4+deb12u1+b1',
    'Filename: pool/main/b/busybox/x.deb',
    `SHA256: ${'a'.repeat(64)}`,
  ];
  t.same(parsePackageStanza(stanza), { version: '1:1.35.0-4+deb12u1+b1', sha256: 'a'.repeat(64) });
  t.equal(parsePackageStanza(stanza.slice(0, 4)), null, 'no sha256: nothing to check against');
  t.equal(parsePackageStanza([...stanza.slice(0, 4), 'SHA256: not-a-hash']), null);
});

t.test('busybox must be a static arm64 executable', async (t) => {
  const host = readFileSync(process.execPath);
  t.match(staticArm64Problem(host), /not an arm64 executable|linked dynamically/, "this machine's node is not");
  t.match(staticArm64Problem(Buffer.from('#!/bin/sh\n')), /^is not an ELF/);
});

t.test("an arm64 host's installed static busybox is taken as it is, without apt; a dynamic or missing one is not", async (t) => {
  const dir = tempTree({ 'main.c': 'int main(void) { return 0; }\n' });
  const compile = (out: string, ...flags: string[]) =>
    execFileSync('aarch64-linux-gnu-gcc', [...flags, '-o', join(dir, out), join(dir, 'main.c')]);
  compile('static-busybox', '-static');
  compile('dynamic-busybox');
  t.ok(installedBusybox(join(dir, 'static-busybox')), 'a static arm64 executable');
  t.equal(installedBusybox(join(dir, 'dynamic-busybox')), null, "Debian's dynamic busybox package is not enough");
  t.equal(installedBusybox(join(dir, 'none')), null, 'not installed');

  // glibc stand-ins: the layer only carries them
  const libs = tempTree(Object.fromEntries(GLIBC_RUNTIME.map((name) => [name, `${name}\n`])));
  const layout = cacheLayout(join(dir, 'cache'));
  // apt is not asked: with PATH empty it could not be
  const path = process.env.PATH;
  process.env.PATH = join(dir, 'empty');
  try {
    const layer = await userspaceLayer(layout, libs, join(dir, 'static-busybox'));
    t.equal(layer.busybox, `installed ${join(dir, 'static-busybox')}`);
    const archive = gunzipSync(readFileSync(layer.archive));
    t.ok(archive.includes(readFileSync(join(dir, 'static-busybox'))), "the installed binary is the guest's busybox");
    t.equal((await userspaceLayer(layout, libs, join(dir, 'static-busybox'))).key, layer.key, 'cached by its content');
    writeFileSync(join(libs, 'libc.so.6'), 'another libc\n');
    t.not((await userspaceLayer(layout, libs, join(dir, 'static-busybox'))).key, layer.key, 'and by the libraries');
  } finally {
    process.env.PATH = path;
  }
});

t.test('the arm64 glibc is where this host keeps it', async (t) => {
  t.equal(glibcDir('x64'), '/usr/aarch64-linux-gnu/lib');
  t.equal(glibcDir('arm64'), '/lib/aarch64-linux-gnu');
  t.ok(userspaceLayerEntries(Buffer.from('bb'), []).some((e) => e.type === 'symlink' && e.path === 'bin/sh'));
});

t.test("a boot's archive: the key, then each command as the agent reads it", async (t) => {
  const entries = bootArchiveEntries('0123abcd', [
    { name: 'one', argv: ['sh', '-c', 'echo a b'], timeoutSec: 2.5, capBytes: 100 },
    { name: 'two', argv: ['/bin/true'], timeoutSec: 1, capBytes: 1 },
  ]);
  const text = (path: string) => {
    const e = entries.find((x) => x.path === path);
    return e?.type === 'file' ? Buffer.from(e.data).toString('utf8') : undefined;
  };
  t.equal(text('kvmatrix/key'), '0123abcd\n');
  t.equal(text('kvmatrix/commands/01/program'), 'sh\n');
  t.equal(text('kvmatrix/commands/01/args'), '-c\0echo a b\0', 'arguments NUL-terminated, spaces kept');
  t.equal(text('kvmatrix/commands/01/limits'), '3 100\n', 'whole seconds, rounded up');
  t.equal(text('kvmatrix/commands/02/args'), undefined, 'no arguments: no file');
  t.same(
    bootArchiveEntries('k', []).map((e) => e.path),
    ['kvmatrix', 'kvmatrix/key'],
    'no commands: the key alone',
  );
  t.throws(() => bootArchiveEntries('k', [{ name: 'x', argv: ['sh', 'a\0b'], timeoutSec: 1, capBytes: 1 }]), /NUL byte/);
  t.throws(
    () => bootArchiveEntries('k', [{ name: 'x', argv: ['sh', ...Array(255).fill('a')], timeoutSec: 1, capBytes: 1 }]),
    /more than the agent takes/,
  );
});
