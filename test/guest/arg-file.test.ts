/**
 * The nested host's reader of lkvm.args, the C code itself: built for this
 * machine from harness/guest/agent/arg-file.c and a small driver, and fed
 * the files the harness writes (encodeArgFile) and files it never should.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { projectRoot } from '../../harness/host/install-paths.js';
import { encodeArgFile, NESTED_PATHS, nestedDiskPath } from '../../harness/guest/nested-initramfs.js';
import { lkvmRunArgs } from '../../harness/vmm/kvmtool.js';
import { kvmtoolCell } from '../support/cells.js';
import { tempTree } from '../support/temp-tree.js';

const dir = tempTree({}, 'kvmatrix-arg-file-');
const reader = join(dir, 'read-arg-file');
const agentDir = join(projectRoot, 'harness', 'guest', 'agent');
execFileSync('gcc', [
  '-O1',
  '-Wall',
  '-Wextra',
  '-Werror',
  `-I${agentDir}`,
  '-o',
  reader,
  join(agentDir, 'arg-file.c'),
  join(projectRoot, 'test', 'support', 'agent', 'read-arg-file.c'),
]);

/** The real nested host's sizes: arg-file's caller in nested-host.c. */
const HOST = { bytes: 65536, args: 256 };

function read(file: Buffer | null, limits = HOST): { ok: true; argv: (string | null)[] } | { ok: false; why: string } {
  const path = join(dir, 'lkvm.args');
  if (file) writeFileSync(path, file);
  const run = spawnSync(reader, [file ? path : join(dir, 'missing.args'), String(limits.bytes), String(limits.args)], { encoding: 'utf8' });
  const lines = run.stdout.trimEnd().split('\n');
  if (run.status !== 0) return { ok: false, why: lines[0]!.replace(/^error: /, '').replace(dir, '<dir>') };
  return { ok: true, argv: lines.map((l) => (l === 'NULL' ? null : Buffer.from(l, 'hex').toString('utf8'))) };
}

t.test("the arguments the harness writes for a cell come back as lkvm's argv, after its path", async (t) => {
  const args = lkvmRunArgs(
    kvmtoolCell('legacy'),
    { image: NESTED_PATHS.image, initrd: NESTED_PATHS.initrd, disks: { blk1: nestedDiskPath('blk1') } },
    { nonce: 'n', era: 'virtio-transport', irqchip: 'gicv3' },
  );
  t.same(read(encodeArgFile(args)), { ok: true, argv: ['/kvmatrix/lkvm', ...args, null] });
});

t.test('spaces, quotes, shell syntax, empty and non-ASCII arguments are kept as they are', async (t) => {
  const args = ['run', '--params', 'a b "c" $(d) `e` ; f | g\\n', '', 'ünï'];
  t.same(read(encodeArgFile(args)), { ok: true, argv: ['/kvmatrix/lkvm', ...args, null] });
});

t.test('a file that is missing, empty or not NUL-terminated is refused with the reason', async (t) => {
  t.same(read(null), { ok: false, why: '<dir>/missing.args: No such file or directory' });
  t.same(read(Buffer.alloc(0)), { ok: false, why: '<dir>/lkvm.args is empty' });
  t.same(read(Buffer.from('run\0--rng')), { ok: false, why: '<dir>/lkvm.args does not end with a NUL byte' });
});

t.test('a file larger than the buffer is refused, not cut', async (t) => {
  const file = encodeArgFile(['run', 'x'.repeat(20)]);
  t.equal(file.length, 25);
  t.same(
    read(file, { bytes: 25, args: 8 }),
    { ok: true, argv: ['/kvmatrix/lkvm', 'run', 'x'.repeat(20), null] },
    'exactly the buffer fits',
  );
  t.same(read(file, { bytes: 24, args: 8 }), { ok: false, why: '<dir>/lkvm.args is larger than 24 bytes' });
  // cut right after a NUL byte, a silent cut would have looked like a shorter, valid list
  const cutAtNul = encodeArgFile(['run', 'ab', 'cd']);
  t.same(read(cutAtNul, { bytes: 7, args: 8 }), { ok: false, why: '<dir>/lkvm.args is larger than 7 bytes' });
  const big = encodeArgFile(['run', 'y'.repeat(HOST.bytes)]);
  t.same(read(big), { ok: false, why: `<dir>/lkvm.args is larger than ${HOST.bytes} bytes` }, "the nested host's own buffer");
});

t.test('more arguments than argv holds are refused, not dropped', async (t) => {
  const six = ['run', 'a', 'b', 'c', 'd', 'e'];
  t.same(
    read(encodeArgFile(six), { bytes: 64, args: 8 }),
    { ok: true, argv: ['/kvmatrix/lkvm', ...six, null] },
    'lkvm, six arguments and NULL: eight',
  );
  t.same(read(encodeArgFile([...six, 'f']), { bytes: 64, args: 8 }), {
    ok: false,
    why: '<dir>/lkvm.args holds 7 arguments, more than the 6 that fit',
  });
  const many = Array.from({ length: HOST.args }, (_, i) => `a${i}`);
  t.same(
    read(encodeArgFile(many)),
    { ok: false, why: `<dir>/lkvm.args holds ${HOST.args} arguments, more than the ${HOST.args - 2} that fit` },
    "the nested host's own argv",
  );
});
