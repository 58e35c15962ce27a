/**
 * The kvmtool cells of the default matrix, end to end: real kernels, a real
 * static arm64 lkvm given by KVMATRIX_LKVM, and on this kind of host (no
 * arm64 KVM) a real nested host under QEMU whose init is the agent.
 *
 * kvmtool is not packaged by Debian and kvmatrix does not build it: without
 * KVMATRIX_LKVM this file reports itself skipped, with that reason.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { projectRoot } from '../../harness/host/install-paths.js';
import { leavesOf } from '../../harness/verdict/tree.js';
import { kvmatrix, readResults } from '../support/cli.js';
import { matrixHead } from '../support/matrix-files.js';
import { tempTree } from '../support/temp-tree.js';

t.setTimeout(60 * 60 * 1000);

const lkvm = process.env.KVMATRIX_LKVM;

t.test(
  'the kvmtool cells of the default matrix',
  { skip: lkvm ? false : 'KVMATRIX_LKVM is not set: no static arm64 lkvm to run kvmtool cells with (kvmtool is not packaged by Debian)' },
  async (t) => {
    const out = tempTree({}, 'kvmatrix-results-');
    const run = await kvmatrix(['run', '--filter', 'type=kvmtool', '--out', out]);
    t.equal(run.code, 0, `every kvmtool cell as the matrix expects\n${run.stdout}\n${run.stderr.slice(-3000)}`);
    const results = readResults(join(out, 'latest'));
    t.same(
      results.cells.map((c) => c.id),
      ['unpatched/kvmtool/legacy', 'unpatched/kvmtool/modern', 'patched/kvmtool/legacy', 'patched/kvmtool/modern'],
    );
    for (const cell of results.cells) {
      t.equal(cell.verdict, 'pass', `${cell.id}: ${cell.reasons.join('; ')}`);
      t.equal(cell.kvmtool?.lkvm.from, 'KVMATRIX_LKVM');
      t.equal(cell.devices.length, 3);
      for (const device of cell.devices) {
        t.equal(device.presented, cell.transport, `${cell.id} ${device.name} presents as ${cell.transport}`);
        t.equal(device.check?.result, 'ok', `${cell.id} ${device.name} did its I/O`);
        if (cell.transport === 'legacy') {
          t.equal(device.bar0?.kind, 'io', `${cell.id} ${device.name} has an I/O BAR0`);
          // current kvmtool lets Linux reassign: below 0x4000, so even unpatched passes
          t.ok(device.bar0!.start < 0x4000, `${cell.id} ${device.name} BAR0 at 0x${device.bar0!.start.toString(16)}`);
        }
      }
      t.match(run.stdout, new RegExp(`^  ${cell.id}: rng1 .*net1 .*blk1 `, 'm'), `the summary lists ${cell.id}'s BARs`);
      if (cell.kvmtool?.mode === 'nested') {
        t.equal(cell.kvmtool.kvm?.state, 'ok', 'the host had KVM');
        t.match(cell.kvmtool.lkvmEnd, { result: 'exited', code: 0 });
        t.match(cell.kvmtool.lkvmArgs, ['run']);
        t.ok(cell.kvmtool.lkvmArgs.includes(cell.transport === 'legacy' ? 'pci-legacy' : 'pci'));
        const guestConsole = readFileSync(join(out, 'latest', cell.kvmtool.guestConsole!), 'utf8');
        t.match(guestConsole, /Linux version 6\.1/);
        t.notMatch(guestConsole, /role=host/, "the host agent's records stay out of the guest console");
        t.notOk(
          existsSync(join(out, 'latest', 'cells', ...cell.id.split('/'), 'host-initramfs.cpio')),
          'the combined initramfs was removed',
        );
      }
    }

    t.test('reproduce.sh boots the cell again and the guest agent reports', async (t) => {
      const cell = results.cells[0]!;
      const script = join(out, 'latest', cell.reproduce!);
      const again = await execa('sh', [script], { reject: false, timeout: 180_000, stdin: 'ignore' });
      t.equal(again.exitCode, 0, String(again.stderr).slice(-2000));
      t.match(String(again.stdout), /guest\| .*KVMATRIX\/1 \d+ end /);
    });
  },
);

t.test(
  'commands in nested kvmtool guests: the guest boots the layer and its own archive from the cell part, the check passes',
  { skip: lkvm ? false : 'KVMATRIX_LKVM is not set: no static arm64 lkvm to run kvmtool cells with (kvmtool is not packaged by Debian)' },
  async (t) => {
    const dir = tempTree({}, 'kvmatrix-kvmtool-command-');
    const matrix = join(dir, 'm.yaml');
    writeFileSync(
      matrix,
      [
        ...matrixHead('kvmtool-command'),
        'vmms:',
        '  kvmtool: { type: kvmtool }',
        'transports: [legacy, modern]',
        'tests:',
        '  - probe',
        `  - command: { name: virtio-health, run: ${join(projectRoot, 'matrices', 'commands', 'virtio-health.sh')}, timeout: 30 }`,
        `  - command: { name: cmdline, run: [cat, /proc/cmdline] }`,
        '',
      ].join('\n'),
    );
    const run = await kvmatrix(['run', matrix, '--out', join(dir, 'results')]);
    t.equal(run.code, 0, `${run.stdout}\n${run.stderr.slice(-3000)}`);
    const results = readResults(join(dir, 'results', 'latest'));
    for (const cell of results.cells) {
      t.equal(cell.kvmtool?.mode, 'nested');
      const leaf = (path: string) => leavesOf(cell.tests ?? []).find((l) => l.path === path)!;
      t.equal(leaf('command.virtio-health').verdict, 'pass', `${cell.id}: ${leaf('command.virtio-health').log.join(' / ')}`);
      t.equal(leaf('command.virtio-health').log.length, 3, 'a line per virtio-pci device');
      t.match(leaf('command.cmdline').log.join('\n'), /console=ttyS0/, "the command read the guest's command line");
      t.notMatch(leaf('command.cmdline').log.join('\n'), /kvmatrix\.nonce=/, 'which carries no nonce');
    }
  },
);

t.test(
  'matrices/kselftest.yaml, its kvmtool cells: the kselftests run in nested kvmtool guests as under QEMU',
  { skip: lkvm ? false : 'KVMATRIX_LKVM is not set: no static arm64 lkvm to run kvmtool cells with (kvmtool is not packaged by Debian)' },
  async (t) => {
    const out = tempTree({}, 'kvmatrix-kvmtool-kselftest-');
    const run = await kvmatrix(['run', join(projectRoot, 'matrices', 'kselftest.yaml'), '--filter', 'type=kvmtool', '--out', out]);
    t.equal(run.code, 0, `every cell as the matrix expects\n${run.stdout}\n${run.stderr.slice(-3000)}`);
    const results = readResults(join(out, 'latest'));
    t.equal(results.cells.length, 2);
    for (const cell of results.cells) {
      t.equal(cell.kvmtool?.mode, 'nested');
      const verdicts = new Map(leavesOf(cell.tests ?? []).map((l) => [l.path as string, l.verdict]));
      t.equal(
        verdicts.get('kselftest.sigaltstack.sas.sigaltstack__20is__20still__20SS_AUTODISARM__20after__20signal'),
        'pass',
        `${cell.id}: sigaltstack`,
      );
      t.equal(verdicts.get('kselftest.timers.posix_timers'), 'pass', `${cell.id}: posix_timers`);
      t.equal(verdicts.get('kselftest.timers.mqueue-lat'), 'fail', `${cell.id}: the known failure`);
      t.equal(cell.status, 'as-expected');
    }
  },
);

const middle = process.env.KVMATRIX_LKVM_MIDDLE;

t.test(
  'a middle-era kvmtool (July 2022 to March 2023): its era read from the binary, legacy cells get --force-pci --virtio-legacy and boot legacy devices, modern cells run',
  {
    skip: middle
      ? false
      : 'KVMATRIX_LKVM_MIDDLE is not set: no lkvm built from kvmtool between b0d56e3 and 9b46ebc (kvmtool is not packaged by Debian)',
  },
  async (t) => {
    const out = tempTree({}, 'kvmatrix-kvmtool-middle-');
    const doctor = await kvmatrix(['doctor', '--lkvm', middle!]);
    t.match(
      doctor.stdout,
      /^kvmtool kvmtool: nested in QEMU, host kernel patched; lkvm .* \(from --lkvm\), arm64, static, virtio-legacy era: --force-pci and --virtio-legacy \(kvmtool from July 2022 to March 2023\)$/m,
    );
    const run = await kvmatrix(['run', '--filter', 'type=kvmtool', '--lkvm', middle!, '--out', out]);
    t.equal(run.code, 0, `every kvmtool cell as the matrix expects\n${run.stdout}\n${run.stderr.slice(-3000)}`);
    const results = readResults(join(out, 'latest'));
    t.same(
      results.cells.map((c) => c.id),
      ['unpatched/kvmtool/legacy', 'unpatched/kvmtool/modern', 'patched/kvmtool/legacy', 'patched/kvmtool/modern'],
      'modern cells are not skipped',
    );
    for (const cell of results.cells) {
      t.equal(cell.verdict, 'pass', `${cell.id}: ${cell.reasons.join('; ')}`);
      const transportArgs = (cell.kvmtool?.lkvmArgs ?? []).filter((a) =>
        ['--force-pci', '--virtio-legacy', '--virtio-transport'].includes(a),
      );
      t.same(
        transportArgs,
        cell.transport === 'legacy' ? ['--force-pci', '--virtio-legacy'] : ['--force-pci'],
        `${cell.id}: ${transportArgs.join(' ')}`,
      );
      for (const device of cell.devices)
        t.equal(device.presented, cell.transport, `${cell.id} ${device.name} presents as ${cell.transport}`);
    }

    t.test('a transport_flag it contradicts is refused before anything runs, naming the key', async (t) => {
      const dir = tempTree({}, 'kvmatrix-kvmtool-era-');
      const matrix = join(dir, 'm.yaml');
      writeFileSync(
        matrix,
        [...matrixHead('kvmtool-era'), 'vmms:', '  kvmtool: { type: kvmtool, transport_flag: force-pci }', 'transports: [legacy]', ''].join(
          '\n',
        ),
      );
      const refused = await kvmatrix(['run', matrix, '--lkvm', middle!, '--out', join(dir, 'results')]);
      t.equal(refused.code, 2, refused.stderr);
      t.match(
        refused.stderr,
        /m\.yaml: vmms\.kvmtool\.transport_flag: lkvm .* \(from --lkvm\) has --force-pci and --virtio-legacy \(kvmtool from July 2022 to March 2023\), but transport_flag is force-pci: use auto or virtio-legacy/,
      );
      t.notOk(existsSync(join(dir, 'results')), 'nothing written under results/');
    });
  },
);
