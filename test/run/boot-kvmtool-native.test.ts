/**
 * The native kvmtool path (an arm64 host with /dev/kvm) cannot run on the
 * x86-64 machines these tests run on. This checks its plumbing with a
 * stand-in for lkvm that records what it was given: the argv, the disk it
 * was handed, the cell folder it ran in, and that a VMM which exits without
 * a guest is judged `error`. It is not proof that native mode boots.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { bootKvmtoolCell } from '../../harness/run/boot-kvmtool-cell.js';
import { kvmtoolCell } from '../support/cells.js';
import { processRunning } from '../support/processes.js';
import { tempTree } from '../support/temp-tree.js';

t.test('native: lkvm run in the cell folder with the cell\'s disk, console kept, reproduce.sh written', async (t) => {
  const dir = tempTree({ 'Image': 'kernel', 'initramfs.cpio.gz': 'initrd' });
  const standIn = join(dir, 'lkvm');
  writeFileSync(
    standIn,
    `#!/bin/sh\nprintf '%s\\n' "$@" > '${join(dir, 'argv.txt')}'\npwd > '${join(dir, 'cwd.txt')}'\nhead -c 16 blk1.img > '${join(dir, 'disk.txt')}'\necho "  Fatal: no KVM here" >&2\nexit 1\n`,
  );
  chmodSync(standIn, 0o755);
  const cell = kvmtoolCell('legacy', ['rng', 'blk']);
  const runDir = join(dir, 'run');
  const { judged, boot } = await bootKvmtoolCell(
    cell,
    { kernelId: 'patched', key: 'k', source: 'image:sha256:k', image: join(dir, 'Image'), config: null, buildLog: null, cached: true, durationMs: 0 },
    { agent: join(dir, 'agent'), initramfs: join(dir, 'initramfs.cpio.gz'), key: 'g' },
    { mode: 'native', lkvm: { path: standIn, from: '--lkvm', sha256: 'x' } },
    { runId: 'r1', runDir, accel: 'kvm' },
  );
  const argv = readFileSync(join(dir, 'argv.txt'), 'utf8').trim().split('\n');
  t.equal(argv[0], 'run');
  t.same(argv.slice(argv.indexOf('--kernel'), argv.indexOf('--kernel') + 2), ['--kernel', join(dir, 'Image')]);
  t.ok(argv.includes('--rng'));
  t.same(argv.slice(argv.indexOf('--disk'), argv.indexOf('--disk') + 2), ['--disk', 'blk1.img,ro']);
  t.notOk(argv.some((a) => a.startsWith('--irqchip')), 'natively lkvm chooses the interrupt controller');
  const cellDir = join(runDir, 'cells', 'patched', 'kvmtool', 'legacy');
  t.equal(readFileSync(join(dir, 'cwd.txt'), 'utf8').trim(), cellDir);
  t.equal(readFileSync(join(dir, 'disk.txt'), 'utf8'), 'KVMATRIX-DISK/1 ');
  t.equal(judged.verdict, 'error');
  t.match(judged.reasons.join('\n'), /Fatal: no KVM here/);
  t.match(boot.kvmtool, { mode: 'native', lkvm: { path: standIn, from: '--lkvm' } });
  t.equal(boot.command[0], standIn);
  t.ok(existsSync(join(cellDir, 'reproduce.sh')));
});

const kernel = (dir: string) => ({ kernelId: 'patched', key: 'k', source: 'image:sha256:k', image: join(dir, 'Image'), config: null, buildLog: null, cached: true, durationMs: 0 });
const guest = (dir: string) => ({ agent: join(dir, 'agent'), initramfs: join(dir, 'initramfs.cpio.gz'), key: 'g' });

t.test('native: lkvm gets a private HOME for its .lkvm state, removed after the boot, and a stdin that never reads end-of-file', async (t) => {
  const dir = tempTree({ 'Image': 'kernel', 'initramfs.cpio.gz': 'initrd' });
  const standIn = join(dir, 'lkvm');
  // like lkvm: a control socket under $HOME/.lkvm; then a console read that
  // /dev/null would answer at once with end-of-file (status 1), and a pipe
  // held open leaves waiting until read's own timeout (status above 128)
  writeFileSync(
    standIn,
    `#!/bin/bash
mkdir -p "$HOME/.lkvm" && : > "$HOME/.lkvm/guest-$$.sock"
echo "$HOME" > '${join(dir, 'home.txt')}'
read -t 1 line; echo $? > '${join(dir, 'read.txt')}'
exit 0
`,
  );
  chmodSync(standIn, 0o755);
  const { judged } = await bootKvmtoolCell(
    kvmtoolCell('legacy', ['rng']),
    kernel(dir),
    guest(dir),
    { mode: 'native', lkvm: { path: standIn, from: '--lkvm', sha256: 'x' } },
    { runId: 'r1', runDir: join(dir, 'run'), accel: 'kvm' },
  );
  const home = readFileSync(join(dir, 'home.txt'), 'utf8').trim();
  t.not(home, process.env.HOME, 'not the user\'s HOME');
  t.ok(home.startsWith(join(tmpdir(), 'kvmatrix-lkvm-')), home);
  t.notOk(existsSync(home), 'the private HOME and its .lkvm are gone after the boot');
  t.ok(Number(readFileSync(join(dir, 'read.txt'), 'utf8')) > 128, readFileSync(join(dir, 'read.txt'), 'utf8') + 'stdin stayed open and empty: the read timed out');
  t.equal(judged.verdict, 'error', 'no guest records: error');
});

t.test('native: an lkvm killed at the timeout leaves neither a process nor its HOME behind', async (t) => {
  const dir = tempTree({ 'Image': 'kernel', 'initramfs.cpio.gz': 'initrd' });
  const standIn = join(dir, 'lkvm');
  writeFileSync(
    standIn,
    `#!/bin/sh
mkdir -p "$HOME/.lkvm" && : > "$HOME/.lkvm/guest-$$.sock"
echo "$HOME" > '${join(dir, 'home.txt')}'
echo $$ > '${join(dir, 'pid.txt')}'
echo '[    0.000000] Booting Linux on physical CPU 0x0'
sleep 60 &
echo $! > '${join(dir, 'child.txt')}'
wait
`,
  );
  chmodSync(standIn, 0o755);
  const { judged, boot } = await bootKvmtoolCell(
    kvmtoolCell('legacy', ['rng']),
    kernel(dir),
    guest(dir),
    { mode: 'native', lkvm: { path: standIn, from: '--lkvm', sha256: 'x' } },
    { runId: 'r1', runDir: join(dir, 'run'), accel: 'kvm', timeoutSec: 1 },
  );
  t.equal(judged.verdict, 'timeout');
  t.equal(boot.launch.kind, 'timed-out');
  t.notOk(existsSync(readFileSync(join(dir, 'home.txt'), 'utf8').trim()), 'HOME removed after the kill');
  for (const file of ['pid.txt', 'child.txt']) {
    const pid = Number(readFileSync(join(dir, file), 'utf8'));
    t.notOk(processRunning(pid), `${file}: process ${pid} is gone`);
  }
});
