/**
 * An lkvm that cannot work is refused by the real CLI before anything is
 * built or written; doctor says the same and exits non-zero.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { kvmatrix } from '../support/cli.js';
import { tempTree } from '../support/temp-tree.js';

const notX64 = process.arch === 'x64' ? false : `this test hands node's own binary over as an x86-64 lkvm; node here is ${process.arch}`;

t.test('run --lkvm with an x86-64 binary: exit 2, one message, no run folder', { skip: notX64 }, async (t) => {
  const out = join(tempTree({}), 'results');
  // an empty cache: the lkvm is refused before the patch check, which would unpack the kernel source first
  const cache = join(tempTree({}), 'cache');
  const run = await kvmatrix(['run', '--lkvm', process.execPath, '--filter', 'type=kvmtool', '--out', out, '--cache', cache]);
  t.equal(run.code, 2);
  t.equal(
    run.stderr.trim(),
    `kvmatrix: lkvm ${process.execPath} (from --lkvm) is built for x86-64; kvmatrix needs an arm64 (AArch64) lkvm`,
  );
  t.notOk(existsSync(out), 'nothing written');
  t.notOk(existsSync(join(cache, 'sources')), 'no source unpacked');
});

t.test('KVMATRIX_LKVM naming a missing file: exit 2 naming the variable', async (t) => {
  const out = join(tempTree({}), 'results');
  const run = await kvmatrix(['run', '--filter', 'type=kvmtool', '--out', out], { env: { KVMATRIX_LKVM: '/nonexistent/lkvm' } });
  t.equal(run.code, 2);
  t.match(run.stderr, /lkvm \/nonexistent\/lkvm \(from KVMATRIX_LKVM\) cannot be read: ENOENT/);
  t.notOk(existsSync(out));
});

t.test('doctor names the host, QEMU and the lkvm, and fails on a wrong one', { skip: notX64 }, async (t) => {
  const good = await kvmatrix(['doctor'], { env: { KVMATRIX_LKVM: '' } });
  t.equal(good.code, 0, good.stdout);
  t.match(good.stdout, /^host: \S+, \/dev\/kvm /m);
  t.match(good.stdout, /^qemu: qemu-system-aarch64: QEMU emulator version .*; QEMU cells run with /m);
  t.match(good.stdout, /^kvmtool kvmtool: .*no lkvm given/m);
  t.match(good.stdout, /^found: qemu-system-arm: .*: \/usr\/bin\/qemu-system-aarch64$/m, 'the Debian packages a run needs');
  t.match(
    good.stdout,
    /^found: tarball \/usr\/src\/linux-source-6\.1\.tar\.xz \(kernel unpatched, patched\): present$/m,
    "each kernel's source",
  );
  t.match(good.stdout, /^found: cross compiler aarch64-linux-gnu-gcc \(kernel unpatched, patched\): \//m);
  t.match(good.stdout, /^ok: this matrix can run here$/m);
  const bad = await kvmatrix(['doctor', '--lkvm', process.execPath]);
  t.equal(bad.code, 3);
  t.match(bad.stdout, /\(from --lkvm\) is built for x86-64/);
});

t.test('doctor on a matrix whose kernel source is not here: MISSING with the fix, exit 3', async (t) => {
  const dir = tempTree({
    'kernels/elsewhere.yaml':
      'source:\n  tarball: /nonexistent/linux-9.9.tar.xz\n  package: linux-source-9.9\narch: arm64\ncross_compile: aarch64-linux-gnu-\nconfig:\n  base: tinyconfig\n',
    'matrices/m.yaml':
      'name: m\nkernels:\n  k:\n    definition: elsewhere\nvmms:\n  q:\n    type: qemu\n    topology: flat\ntransports: [legacy]\ndevices: [rng]\n',
  });
  const run = await kvmatrix(['doctor', join(dir, 'matrices', 'm.yaml')]);
  t.equal(run.code, 3, run.stderr);
  t.match(
    run.stdout,
    /^MISSING: tarball \/nonexistent\/linux-9\.9\.tar\.xz \(kernel k\): missing; fix: apt-get install linux-source-9\.9$/m,
  );
  t.match(run.stdout, /not ok: see the lines above$/, 'stdout ends with the verdict (execa strips the last newline)');
});
