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
  const run = await kvmatrix(['run', '--lkvm', process.execPath, '--filter', 'type=kvmtool', '--out', out]);
  t.equal(run.code, 2);
  t.equal(run.stderr.trim(), `kvmatrix: lkvm ${process.execPath} (from --lkvm) is built for x86-64; kvmatrix needs an arm64 (AArch64) lkvm`);
  t.notOk(existsSync(out), 'nothing written');
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
  t.match(good.stdout, /^qemu: qemu-system-aarch64: QEMU emulator version /m);
  t.match(good.stdout, /^kvmtool kvmtool: .*no lkvm given/m);
  const bad = await kvmatrix(['doctor', '--lkvm', process.execPath]);
  t.equal(bad.code, 3);
  t.match(bad.stdout, /\(from --lkvm\) is built for x86-64/);
});
