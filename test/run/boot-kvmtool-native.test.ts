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

t.test("native: lkvm run in the cell folder with the cell's disk, console kept, reproduce.sh written", async (t) => {
  const dir = tempTree({ Image: 'kernel', 'initramfs.cpio.gz': 'initrd' });
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
    {
      kernelId: 'patched',
      key: 'k',
      source: 'image:sha256:k',
      image: join(dir, 'Image'),
      config: null,
      buildLog: null,
      cached: true,
      durationMs: 0,
    },
    { agent: join(dir, 'agent'), initramfs: join(dir, 'initramfs.cpio.gz'), key: 'g' },
    { mode: 'native', lkvm: { path: standIn, from: '--lkvm', sha256: 'x', era: 'virtio-transport' }, era: 'virtio-transport' },
    { runId: 'r1', runDir, accel: 'kvm' },
  );
  const argv = readFileSync(join(dir, 'argv.txt'), 'utf8').trim().split('\n');
  t.equal(argv[0], 'run');
  t.same(argv.slice(argv.indexOf('--kernel'), argv.indexOf('--kernel') + 2), ['--kernel', join(dir, 'Image')]);
  t.ok(argv.includes('--rng'));
  t.same(argv.slice(argv.indexOf('--disk'), argv.indexOf('--disk') + 2), ['--disk', 'blk1.img,ro']);
  t.notOk(
    argv.some((a) => a.startsWith('--irqchip')),
    'natively lkvm chooses the interrupt controller',
  );
  const cellDir = join(runDir, 'cells', 'patched', 'kvmtool', 'legacy');
  t.equal(readFileSync(join(dir, 'cwd.txt'), 'utf8').trim(), cellDir);
  t.equal(readFileSync(join(dir, 'disk.txt'), 'utf8'), 'KVMATRIX-DISK/1 ');
  t.equal(judged.verdict, 'error');
  t.match(judged.reasons.join('\n'), /Fatal: no KVM here/);
  t.match(boot.kvmtool, { mode: 'native', lkvm: { path: standIn, from: '--lkvm' } });
  t.equal(boot.command[0], standIn);
  t.ok(existsSync(join(cellDir, 'reproduce.sh')));
});

/**
 * Boots one native rng cell with a stand-in lkvm: a bash script that, like
 * lkvm, keeps a control socket under $HOME/.lkvm, then runs `body`. The
 * script's files go to `dir`, which it gets as $OUT.
 */
async function bootStandIn(body: string, timeoutSec?: number) {
  const dir = tempTree({ Image: 'kernel', 'initramfs.cpio.gz': 'initrd' });
  const standIn = join(dir, 'lkvm');
  writeFileSync(
    standIn,
    `#!/bin/bash\nOUT='${dir}'\nmkdir -p "$HOME/.lkvm" && : > "$HOME/.lkvm/guest-$$.sock"\necho "$HOME" > "$OUT/home.txt"\n${body}\n`,
  );
  chmodSync(standIn, 0o755);
  const booted = await bootKvmtoolCell(
    kvmtoolCell('legacy', ['rng']),
    {
      kernelId: 'patched',
      key: 'k',
      source: 'image:sha256:k',
      image: join(dir, 'Image'),
      config: null,
      buildLog: null,
      cached: true,
      durationMs: 0,
    },
    { agent: join(dir, 'agent'), initramfs: join(dir, 'initramfs.cpio.gz'), key: 'g' },
    { mode: 'native', lkvm: { path: standIn, from: '--lkvm', sha256: 'x', era: 'virtio-transport' }, era: 'virtio-transport' },
    { runId: 'r1', runDir: join(dir, 'run'), accel: 'kvm', ...(timeoutSec ? { timeoutSec } : {}) },
  );
  const read = (file: string) => readFileSync(join(dir, file), 'utf8').trim();
  return { ...booted, read };
}

t.test(
  'native: lkvm gets a private HOME for its .lkvm state, removed after the boot, and a stdin that never reads end-of-file',
  async (t) => {
    // a console read that /dev/null would answer at once with end-of-file
    // (status 1), and a pipe held open leaves waiting until read's own
    // timeout (status above 128)
    const { judged, read } = await bootStandIn('read -t 1 line; echo $? > "$OUT/read.txt"\nexit 0');
    const home = read('home.txt');
    t.not(home, process.env.HOME, "not the user's HOME");
    t.ok(home.startsWith(join(tmpdir(), 'kvmatrix-lkvm-')), home);
    t.notOk(existsSync(home), 'the private HOME and its .lkvm are gone after the boot');
    t.ok(Number(read('read.txt')) > 128, `stdin stayed open and empty: the read timed out (status ${read('read.txt')})`);
    t.equal(judged.verdict, 'error', 'no guest records: error');
  },
);

t.test('native: an lkvm killed at the timeout leaves neither a process nor its HOME behind', async (t) => {
  const { judged, boot, read } = await bootStandIn(
    'echo $$ > "$OUT/pid.txt"\necho "[    0.000000] Booting Linux on physical CPU 0x0"\nsleep 60 &\necho $! > "$OUT/child.txt"\nwait',
    1,
  );
  t.equal(judged.verdict, 'timeout');
  t.equal(boot.launch.kind, 'timed-out');
  t.notOk(existsSync(read('home.txt')), 'HOME removed after the kill');
  for (const file of ['pid.txt', 'child.txt']) {
    const pid = Number(read(file));
    t.notOk(processRunning(pid), `${file}: process ${pid} is gone`);
  }
});
