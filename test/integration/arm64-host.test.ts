/**
 * kvmatrix on an arm64 KVM host: the arm64 host rig (test/support/arm64-host)
 * boots an arm64 Debian system under QEMU with EL2, and inside it kvmatrix
 * runs as a user would run it there: doctor, then the default matrix with
 * its two kernels as Images built out here, kvmtool native and QEMU with
 * KVM; commands in native kvmtool guests (busybox-static installed in the
 * rig, which has no network for apt); with KVMATRIX_LKVM_2020 also the 2020 kvmtool matrix, the original
 * report natively; with KVMATRIX_LKVM_MIDDLE the default matrix's kvmtool
 * cells under a kvmtool of July 2022 to March 2023, natively. The run folders come back and are read like any other.
 *
 * Needs a static arm64 lkvm in KVMATRIX_LKVM (kvmtool is not packaged by
 * Debian and kvmatrix does not build it) and root (mmdebstrap and
 * binfmt_misc build the rig): without them this file says it is skipped.
 */
import { cpSync, existsSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { projectRoot } from '../../harness/host/install-paths.js';
import { resolveCacheRoot } from '../../harness/kernel/cache.js';
import type { CellRecord, RunResults } from '../../harness/report/types.js';
import { leavesOf } from '../../harness/verdict/tree.js';
import { bootRig, type RigJob, type RigRun } from '../support/arm64-host/boot-rig.js';
import { buildRig } from '../support/arm64-host/build-rig.js';
import { matrixJobInputs, rigLkvmPath, rigMatrixPath } from '../support/arm64-host/job-inputs.js';
import { RIG_PATHS, rigKvmatrix, type RigStep } from '../support/arm64-host/rig-spec.js';
import { kvmatrix, readResults } from '../support/cli.js';
import { parseTap } from '../support/tap.js';
import { tempTree } from '../support/temp-tree.js';

t.setTimeout(3 * 60 * 60 * 1000);

const lkvm = process.env.KVMATRIX_LKVM;
const lkvm2020 = process.env.KVMATRIX_LKVM_2020;
const lkvmMiddle = process.env.KVMATRIX_LKVM_MIDDLE;
const skip = !lkvm
  ? 'KVMATRIX_LKVM is not set: no static arm64 lkvm to run native kvmtool cells in the arm64 host rig with (kvmtool is not packaged by Debian)'
  : process.getuid?.() !== 0
    ? 'not root: the arm64 host rig is built with mmdebstrap through binfmt_misc, which need root'
    : false;

t.test('kvmatrix inside an emulated arm64 KVM host', { skip }, async (t) => {
  // the default matrix's two kernels, built (or found in the cache) out here
  const built = await kvmatrix(['build']);
  t.equal(built.code, 0, built.stderr.slice(-2000));
  const images = Object.fromEntries(
    built.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('\t') as [string, string]),
  );
  t.same(Object.keys(images).sort(), ['patched', 'unpatched']);

  // the QEMU cells under TCG out here, to hold the rig's KVM cells against
  const tcgOut = tempTree({}, 'kvmatrix-tcg-');
  const tcgRun = await kvmatrix(['run', '--filter', 'type=qemu', '--out', tcgOut]);
  t.equal(tcgRun.code, 0, tcgRun.stdout);
  const tcg = readResults(join(tcgOut, 'latest'));

  const rig = await buildRig({ cacheDir: join(resolveCacheRoot(), 'arm64-host'), say: (line) => t.comment(line) });
  const job = rigJob(images);
  const work = tempTree({}, 'kvmatrix-rig-');
  const started = Date.now();
  const run = await bootRig(rig, job, { workDir: work, timeoutSec: 3600 });
  t.comment(`the rig ran its job in ${Math.round((Date.now() - started) / 1000)} s`);
  const context = `rig console tail:\n${run.console.slice(-4000)}`;
  t.equal(run.launch.kind, 'exited', context);
  t.same(
    run.steps.map((s) => s.name),
    job.steps.map((s) => s.name),
    `every step ran\n${context}`,
  );

  const step = (name: string) => {
    const result = run.steps.find((s) => s.name === name);
    const out = readOut(run, name, 'out');
    const err = readOut(run, name, 'err');
    // how it ended: a signal (kvmatrix's own node killed inside the rig) says so, with the rig's console
    const ended = !result
      ? 'did not run'
      : result.signal
        ? `died of ${result.signal} after ${(result.durationMs / 1000).toFixed(1)} s`
        : `exited ${result.code}`;
    const failure = `step ${name} ${ended}\n${out.slice(-2000)}\n${err.slice(-3000)}${result?.signal || !result ? `\n${context}` : ''}`;
    return { result, out, err, failure };
  };

  t.test('the rig is an arm64 Debian host with KVM', async (t) => {
    t.equal(step('arch').out.trim(), 'aarch64');
    t.match(run.console, /kvm \[\d+\]: VHE mode initialized successfully/, 'the rig kernel runs KVM at EL2');
  });

  t.test('ensure-deps.sh on arm64 asks for the native compiler, never the cross packages', async (t) => {
    const line = step('ensure-deps').err;
    t.match(line, /host arm64; missing Debian packages: /);
    for (const cross of ['gcc-aarch64-linux-gnu', 'libc6-dev-arm64-cross']) t.notMatch(line, cross);
    for (const present of ['qemu-system-arm', ' gcc ', 'libc6-dev '])
      t.notMatch(` ${line} `, present, `${present.trim()} is installed in the rig`);
  });

  t.test('doctor reports arm64, a usable /dev/kvm, QEMU with KVM and kvmtool native', async (t) => {
    const doctor = step('doctor');
    t.equal(doctor.result?.code, 0, doctor.failure);
    t.match(doctor.out, /^host: arm64, \/dev\/kvm usable \(arm64 guests run under KVM\)$/m);
    t.match(doctor.out, /^qemu: qemu-system-aarch64: QEMU emulator version .*; QEMU cells run with KVM acceleration/m);
    t.match(
      doctor.out,
      new RegExp(
        `^kvmtool kvmtool: native; lkvm ${RIG_PATHS.bin}/lkvm \\(from --lkvm\\), arm64, virtio-transport era: --virtio-transport \\(kvmtool from March 2023\\)$`,
        'm',
      ),
    );
    t.match(doctor.out, /^ok: this matrix can run here$/m);
  });

  t.test('the default matrix: kvmtool native, QEMU under KVM, the same verdicts and BARs as under TCG', async (t) => {
    const murray = step('run');
    t.equal(murray.result?.code, 0, murray.failure);
    const results = readResults(join(run.outDir, 'runs', 'murray', 'latest'));
    t.equal(results.host.arch, 'arm64');
    t.equal(results.host.accel, 'kvm', 'QEMU ran with KVM');
    t.equal(results.cells.length, 12);
    for (const cell of results.cells) {
      const expected = cell.id === 'unpatched/qemu-bridged/legacy' ? 'fail' : 'pass';
      t.equal(cell.verdict, expected, `${cell.id}: ${cell.reasons.join('; ')}`);
      if (cell.id.includes('/qemu-'))
        t.match(cell.command, ['qemu-system-aarch64', '-M', 'virt,gic-version=max', '-accel', 'kvm', '-cpu', 'host']);
    }
    const bridged = cell(results, 'unpatched/qemu-bridged/legacy');
    for (const bar of [0x4000, 0x5000, 0x6000]) t.ok(failedBars(bridged).includes(bar), `the device at io 0x${bar.toString(16)} fails`);
    t.same(
      cell(results, 'patched/qemu-bridged/legacy').devices.map((d) => d.bar0?.start),
      [0x1000, 0x2000, 0x3000, 0x4000, 0x5000, 0x6000],
    );
    // and device by device as the same cells under TCG out here
    for (const tcgCell of tcg.cells) {
      const kvmCell = cell(results, tcgCell.id);
      t.equal(kvmCell.verdict, tcgCell.verdict, `${tcgCell.id}: ${kvmCell.verdict} under KVM, ${tcgCell.verdict} under TCG`);
      t.same(deviceSummary(kvmCell), deviceSummary(tcgCell), `${tcgCell.id}: the same devices, BAR0s, drivers and failures as under TCG`);
    }
    for (const kernel of ['unpatched', 'patched']) {
      for (const transport of ['legacy', 'modern']) {
        const k = cell(results, `${kernel}/kvmtool/${transport}`);
        t.match(k.kvmtool, { mode: 'native', lkvm: { path: `${RIG_PATHS.bin}/lkvm`, from: '--lkvm' } }, `${k.id} ran lkvm natively`);
        t.equal(k.command?.[0], `${RIG_PATHS.bin}/lkvm`);
        if (transport === 'legacy')
          t.same(
            k.devices.map((d) => d.bar0?.start),
            [0x1000, 0x1100, 0x1200],
            `${k.id} BAR0s as in nested mode`,
          );
      }
    }
    await reportRendersOutside(t, join(run.outDir, 'runs', 'murray', 'latest'));
  });

  t.test("commands in native kvmtool guests: the installed busybox-static is the guest's shell, the userspace check passes", async (t) => {
    const commands = step('run-command');
    t.equal(commands.result?.code, 0, commands.failure);
    const results = readResults(join(run.outDir, 'runs', 'rig-command', 'latest'));
    t.equal(results.cells.length, 2);
    for (const c of results.cells) {
      t.match(c.kvmtool, { mode: 'native' }, `${c.id} ran lkvm natively`);
      const leaf = (path: string) => leavesOf(c.tests ?? []).find((l) => l.path === path);
      t.equal(leaf('command.virtio-health')?.verdict, 'pass', `${c.id}: ${leaf('command.virtio-health')?.log.join(' / ')}`);
      t.equal(leaf('command.virtio-health')?.log.length, 3, 'a line per virtio-pci device');
      t.notMatch(leaf('command.cmdline')?.log.join('\n') ?? '', /kvmatrix\.nonce=/, "the guest's command line carries no nonce");
    }
  });

  t.test(
    'the 2020 kvmtool, natively: the original report',
    { skip: lkvm2020 ? false : 'KVMATRIX_LKVM_2020 is not set: no pre-May-2020 lkvm for the 0x6200 case' },
    async (t) => {
      const old = step('run-2020');
      t.equal(old.result?.code, 0, old.failure);
      const results = readResults(join(run.outDir, 'runs', 'murray-kvmtool-2020', 'latest'));
      const unpatched = cell(results, 'unpatched/kvmtool-2020/legacy');
      const patched = cell(results, 'patched/kvmtool-2020/legacy');
      t.equal(unpatched.verdict, 'fail');
      t.equal(patched.verdict, 'pass', patched.reasons.join('; '));
      for (const c of [unpatched, patched]) {
        t.match(c.kvmtool, { mode: 'native', lkvm: { path: `${RIG_PATHS.bin}/lkvm-2020`, from: '--lkvm' } });
        t.same(
          c.devices.slice(0, 2).map((d) => d.bar0?.start),
          [0x6200, 0x6300],
          `${c.id}: BAR0 at io 0x6200 and 0x6300`,
        );
      }
      const console = readFileSync(join(run.outDir, 'runs', 'murray-kvmtool-2020', 'latest', unpatched.console!), 'utf8');
      t.match(console, /probe of virtio0 failed with error -2/);
      t.match(console, /PCI: OF: PROBE_ONLY enabled/);
      await reportRendersOutside(t, join(run.outDir, 'runs', 'murray-kvmtool-2020', 'latest'));
    },
  );

  t.test(
    'a middle-era kvmtool, natively: --force-pci --virtio-legacy for legacy cells, --force-pci for modern ones',
    { skip: lkvmMiddle ? false : 'KVMATRIX_LKVM_MIDDLE is not set: no lkvm built from kvmtool between b0d56e3 and 9b46ebc' },
    async (t) => {
      const middle = step('run-middle');
      t.equal(middle.result?.code, 0, middle.failure);
      const results = readResults(join(run.outDir, 'runs', 'murray-middle', 'latest'));
      t.equal(results.cells.length, 4, 'legacy and modern cells of both kernels, none skipped');
      for (const c of results.cells) {
        t.equal(c.verdict, 'pass', `${c.id}: ${c.reasons.join('; ')}`);
        t.match(c.kvmtool, { mode: 'native', lkvm: { path: `${RIG_PATHS.bin}/lkvm-middle` } });
        const transportArgs = (c.command ?? []).filter((a) => ['--force-pci', '--virtio-legacy', '--virtio-transport'].includes(a));
        t.same(transportArgs, c.transport === 'legacy' ? ['--force-pci', '--virtio-legacy'] : ['--force-pci'], c.id);
        for (const d of c.devices) t.equal(d.presented, c.transport, `${c.id} ${d.name} presents as ${c.transport}`);
      }
    },
  );
});

/** What the rig runs: the arch, ensure-deps.sh --check, doctor, and the matrices with Images handed in. */
function rigJob(images: Record<string, string>): RigJob {
  const { files, texts } = matrixJobInputs(images, {
    lkvm: lkvm!,
    ...(lkvm2020 ? { 'lkvm-2020': lkvm2020 } : {}),
    ...(lkvmMiddle ? { 'lkvm-middle': lkvmMiddle } : {}),
  });
  const murray = rigMatrixPath('murray');
  const steps: RigStep[] = [
    { name: 'arch', argv: ['uname', '-m'], timeoutSec: 30 },
    { name: 'ensure-deps', argv: ['bash', 'harness/host/ensure-deps.sh', '--check'], timeoutSec: 60 },
    { name: 'doctor', argv: rigKvmatrix('doctor', murray, '--lkvm', rigLkvmPath('lkvm')), timeoutSec: 300 },
    {
      name: 'run',
      argv: rigKvmatrix('run', murray, '--lkvm', rigLkvmPath('lkvm'), '--out', `${RIG_PATHS.out}/runs/murray`),
      timeoutSec: 1800,
    },
  ];
  // commands in native kvmtool guests: the layer from the rig's installed busybox-static, no network
  const commandMatrix = `${RIG_PATHS.matrices}/rig-command.yaml`;
  texts[commandMatrix] = [
    'name: rig-command',
    'paths: { kernels: ../kernels, patches: ../patches }',
    'kernels:',
    '  patched: { definition: patched-image }',
    'vmms:',
    '  kvmtool: { type: kvmtool }',
    'transports: [legacy, modern]',
    'devices: [rng, net, blk]',
    'tests:',
    '  - probe',
    '  - command: { name: virtio-health, run: commands/virtio-health.sh, timeout: 60 }',
    '  - command: { name: cmdline, run: [cat, /proc/cmdline] }',
    'boot: { timeout: 120 }',
    '',
  ].join('\n');
  files[`${RIG_PATHS.matrices}/commands/virtio-health.sh`] = join(projectRoot, 'matrices', 'commands', 'virtio-health.sh');
  steps.push({
    name: 'run-command',
    argv: rigKvmatrix('run', commandMatrix, '--lkvm', rigLkvmPath('lkvm'), '--out', `${RIG_PATHS.out}/runs/rig-command`),
    timeoutSec: 900,
  });
  if (lkvm2020) {
    const matrix = rigMatrixPath('murray-kvmtool-2020');
    steps.push({
      name: 'run-2020',
      argv: rigKvmatrix('run', matrix, '--lkvm', rigLkvmPath('lkvm-2020'), '--out', `${RIG_PATHS.out}/runs/murray-kvmtool-2020`),
      timeoutSec: 900,
    });
  }
  if (lkvmMiddle) {
    steps.push({
      name: 'run-middle',
      argv: rigKvmatrix(
        'run',
        murray,
        '--filter',
        'type=kvmtool',
        '--lkvm',
        rigLkvmPath('lkvm-middle'),
        '--out',
        `${RIG_PATHS.out}/runs/murray-middle`,
      ),
      timeoutSec: 900,
    });
  }
  return { steps, files, texts, env: { CI: 'true' } };
}

function readOut(run: RigRun, step: string, stream: 'out' | 'err'): string {
  const file = join(run.outDir, 'steps', `${step}.${stream}`);
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

function cell(results: RunResults, id: string): CellRecord {
  const found = results.cells.find((c) => c.id === id);
  if (!found) throw new Error(`no cell ${id} in the results`);
  return found;
}

function deviceSummary(c: CellRecord) {
  return c.devices.map((d) => ({
    name: d.name,
    presented: d.presented,
    bar0: d.bar0?.start,
    driver: d.virtioDriver,
    failed: d.problems.length > 0,
  }));
}

function failedBars(c: CellRecord): number[] {
  return c.devices.filter((d) => d.problems.length > 0).map((d) => d.bar0?.start ?? -1);
}

/**
 * A run folder from the rig is read here like any other: a copy of it
 * without the reports the rig wrote gets them from `kvmatrix report` on
 * this side, and they are the rig's own, byte for byte (every report is
 * rendered from results.json and the consoles alone, whatever the host).
 */
async function reportRendersOutside(t: Test, runDir: string): Promise<void> {
  const REPORTS = ['report.tap', 'junit.xml', 'index.html'];
  const copy = join(tempTree({}, 'kvmatrix-rig-run-'), 'run');
  cpSync(realpathSync(runDir), copy, { recursive: true });
  for (const file of REPORTS) rmSync(join(copy, file));
  const report = await kvmatrix(['report', copy]);
  t.equal(report.code, 0, report.stderr);
  for (const file of REPORTS) {
    t.ok(readFileSync(join(copy, file)).equals(readFileSync(join(runDir, file))), `${file} rendered here is the one the rig wrote`);
  }
  const { final } = await parseTap(readFileSync(join(copy, 'report.tap'), 'utf8'));
  t.equal(final.count, readResults(copy).cells.length, 'a TAP test point per cell of its results.json');
}
