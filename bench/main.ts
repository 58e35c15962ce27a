/**
 * npm run bench [-- --quick] [--rounds N] [--only cache,cell,command,nested,warm,bisect,cold,kunit,history,arm64] [--json FILE]
 *
 * Each figure is a median over rounds, compared with the bare command it
 * wraps, measured in the same run and interleaved A B A B so that drift in
 * the machine's load falls on both sides; beside the ratio of the medians,
 * the median of the round-by-round ratios, which a drift between rounds
 * moves less. --json FILE also writes every figure (each round, the medians,
 * both ratios) for comparing two benches:
 *
 *   cell     one cell booted by the harness (argv, launch, console parse,
 *            verdict, reproduce script) against the same qemu-system-aarch64
 *            argv spawned bare. Target: within 5%.
 *   cli      the same cell through the whole CLI (`kvmatrix run --cell`),
 *            node start-up and reports included. Target: within 1.25x.
 *   cache    deciding that a kernel is already built, in process. Target:
 *            under 0.5 s. Then start-up: `kvmatrix build patched` on a
 *            cached kernel and `kvmatrix --help`, each against `node -e ''`.
 *            Target: within 150 ms of it.
 *   command  the same cell running one trivial command (`true`) after the
 *            probe, with the userspace layer and the boot's archive, against
 *            it probing only, both in process. Target: at most 0.3 s more.
 *   nested   one nested kvmtool cell (needs KVMATRIX_LKVM) against the same
 *            nested host booted bare with the same initramfs. Target: within 5%.
 *   warm     the 8 QEMU cells of the default matrix, warm, through the CLI,
 *            against the same 8 qemu argvs spawned bare, as many at once as
 *            there are cores. Target: under 1.3x.
 *   bisect   (not with --quick) one `kvmatrix bisect-run` step on a commit that
 *            changes only documentation, against `make Image` and the boot done
 *            bare in a worktree of the same history at the same change (as
 *            `git bisect` leaves it). Target: within 1.3x.
 *   cold     (not with --quick) the QEMU cells of the default matrix from an
 *            empty cache and an empty ccache, against the two bare `make Image`
 *            builds in trees configured beforehand. Target: under 1.10x.
 *   kunit    (not with --quick) kvmatrix against kunit.py, the kernel's own
 *            KUnit runner, from the same unpacked source (bench/kunit.ts): cold,
 *            again, after a one-line change in a git tree, and the whole
 *            matrices/kunit.yaml against one cold kunit.py. Targets 1.0x, 0.1x,
 *            1.0x, 1.5x.
 *   history  a year of nights (365 runs x 12 cells x 200 leaves, generated) in
 *            a SQLite history: `kvmatrix history` over its default window and
 *            over the year, one `history add`, and the year's page: its size
 *            and first paint in chromium (bench/history.ts). Targets: under
 *            2 s, under 1 s.
 *   arm64    (needs KVMATRIX_LKVM and root) inside the arm64 host rig
 *            (test/support/arm64-host): a native kvmtool cell and a QEMU cell
 *            under KVM, each in process against its argv spawned bare there
 *            (bench/arm64-in-rig.mjs). Target: within 5% each.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGuestImage } from '../harness/guest/build-agent.js';
import { userspaceLayer } from '../harness/guest/userspace-layer.js';
import { diskImage } from '../harness/guest/disk.js';
import { nestedHostBase } from '../harness/guest/nested-base.js';
import { NESTED_PATHS, nestedCellArchive, nestedDiskPath } from '../harness/guest/nested-initramfs.js';
import { hostAccel } from '../harness/host/facts.js';
import { defaultMatrixFile, projectRoot } from '../harness/host/install-paths.js';
import { obtainKernel } from '../harness/kernel/build.js';
import { kernelTestInputs } from '../harness/test-kinds/registry.js';
import { cacheLayout, ensureCacheDirs, resolveCacheRoot } from '../harness/kernel/cache.js';
import { expandMatrix } from '../harness/matrix/expand.js';
import { loadMatrix } from '../harness/matrix/load.js';
import type { Cell, CommandTestSpec, KvmtoolVmmSpec, QemuVmmSpec } from '../harness/matrix/types.js';
import { bootQemuCell } from '../harness/run/boot-cell.js';
import { bootKvmtoolCell } from '../harness/run/boot-kvmtool-cell.js';
import { lkvmRunArgs } from '../harness/vmm/kvmtool.js';
import { inspectLkvm } from '../harness/vmm/lkvm.js';
import { nestedHostCommand } from '../harness/vmm/nested-host.js';
import { qemuCommand } from '../harness/vmm/qemu.js';
import { bootRig } from '../test/support/arm64-host/boot-rig.js';
import { buildRig } from '../test/support/arm64-host/build-rig.js';
import { matrixJobInputs, rigLkvmPath, rigMatrixPath } from '../test/support/arm64-host/job-inputs.js';
import { RIG_PATHS } from '../test/support/arm64-host/rig-spec.js';
import { cliPath } from '../test/support/cli.js';
import { prepareBareTrees, timeBareMake } from './bare-make.js';
import { median } from './median.js';
import { benchBisectStep } from './bisect-step.js';
import { benchHistory } from './history.js';
import { benchKunit } from './kunit.js';
import { kindKernelArgs } from '../harness/test-kinds/registry.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const roundsArg = args.indexOf('--rounds');
const rounds = roundsArg >= 0 ? Number(args[roundsArg + 1]) : 5;
const onlyArg = args.indexOf('--only');
const only = onlyArg >= 0 ? new Set(args[onlyArg + 1]!.split(',')) : null;
/** Whether a section runs: all of them, or those named by --only. */
const want = (section: string) => only === null || only.has(section);

/** Every figure printed, for --json: two benches can then be compared figure by figure. */
const figures: {
  name: string;
  note: string;
  harness: number[];
  bare: number[] | null;
  harnessMedian: number;
  bareMedian: number | null;
  ratio: number | null;
  pairRatio: number | null;
}[] = [];
const jsonArg = args.indexOf('--json');
const jsonFile = jsonArg >= 0 ? args[jsonArg + 1] : undefined;
const fmt = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`);
const report = (name: string, a: number[], b: number[] | null, target: string) => {
  const ma = median(a);
  // the ratio is of the medians; round by round (each harness run beside the bare
  // run after it) the machine's drift between rounds cancels out, so that figure follows
  const pairRatio = b && b.length === a.length && a.length > 1 ? median(a.map((x, i) => x / b[i]!)) : null;
  figures.push({
    name,
    note: target,
    harness: a,
    bare: b,
    harnessMedian: ma,
    bareMedian: b ? median(b) : null,
    ratio: b ? ma / median(b) : null,
    pairRatio,
  });
  const pairs = pairRatio === null ? '' : `  (pair by pair ${pairRatio.toFixed(3)})`;
  const line = b
    ? `${name.padEnd(7)} harness ${fmt(ma).padStart(8)}  bare ${fmt(median(b)).padStart(8)}  ratio ${(ma / median(b)).toFixed(3)}${pairs}  ${ma >= median(b) ? '+' : '-'}${fmt(Math.abs(ma - median(b)))}  (${target}; n=${a.length})`
    : `${name.padEnd(7)} ${fmt(ma).padStart(8)}  (${target}; n=${a.length})`;
  console.log(line);
};

/** Wall time of a command, output to a file. */
function timeSpawn(argv: string[], cwd: string, out: string, env?: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const fd = openSync(out, 'w');
    const started = performance.now();
    const child = spawn(argv[0]!, argv.slice(1), { cwd, stdio: ['ignore', fd, fd], env: env ?? process.env });
    child.on('error', reject);
    child.on('exit', (code) => {
      closeSync(fd);
      if (code !== 0 && code !== 1) reject(new Error(`${argv.join(' ')} exited ${code}; see ${out}`));
      else resolve(performance.now() - started);
    });
  });
}

const layout = cacheLayout(resolveCacheRoot());
ensureCacheDirs(layout);
const matrix = loadMatrix(defaultMatrixFile);
const cells = expandMatrix(matrix);
const cell = cells.find((c) => c.id === 'patched/qemu-flat/legacy') as Cell & { vmm: QemuVmmSpec };
const work = mkdtempSync(join(tmpdir(), 'kvmatrix-bench-'));
console.log(`kvmatrix bench: ${availableParallelism()} cores, ${rounds} rounds, work in ${work}`);

// make sure the kernel and agent exist before anything is timed
const kernel = await obtainKernel(
  cell.kernel,
  { layout, jobs: availableParallelism(), ccache: true, logDir: join(work, 'log'), timeoutSec: 7200 },
  kernelTestInputs(cell.kernel),
);
if (!kernel.ok) throw new Error(`cannot build ${cell.kernel.id}: ${kernel.message}`);
const guest = await buildGuestImage(layout, cell.kernel.crossCompile);

// cache decision, in process and through the CLI
if (want('cache')) {
  const decide: number[] = [];
  const build: number[] = [];
  const help: number[] = [];
  const bareNode: number[] = [];
  const bareNode2: number[] = [];
  const node = [process.execPath, '-e', ''];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    const again = await obtainKernel(
      cell.kernel,
      { layout, jobs: 2, ccache: true, logDir: join(work, 'log'), timeoutSec: 60 },
      kernelTestInputs(cell.kernel),
    );
    decide.push(performance.now() - started);
    if (!again.ok || !again.cached) throw new Error('the cache decision did not find the kernel');
    build.push(await timeSpawn([process.execPath, cliPath, 'build', 'patched'], work, join(work, 'build.out')));
    bareNode.push(await timeSpawn(node, work, join(work, 'node.out')));
    help.push(await timeSpawn([process.execPath, cliPath, '--help'], work, join(work, 'help.out')));
    bareNode2.push(await timeSpawn(node, work, join(work, 'node.out')));
  }
  report('cache', decide, null, 'deciding a kernel is built, in process; target < 500 ms');
  report('build', build, bareNode, "`kvmatrix build patched` on a cached kernel vs `node -e ''`; target within 150 ms");
  report('help', help, bareNode2, "`kvmatrix --help` vs `node -e ''`; target within 150 ms");
}

// one cell: harness against bare QEMU, interleaved
if (want('cell')) {
  const bareDir = join(work, 'bare');
  mkdirSync(bareDir);
  writeFileSync(join(bareDir, 'blk1.img'), diskImage('blk1'));
  const bareArgv = qemuCommand(
    cell,
    { image: kernel.image, initrd: guest.initramfs, disks: { blk1: 'blk1.img' } },
    { accel: hostAccel(), nonce: 'bench', kernelArgs: kindKernelArgs(cell) },
  ).argv;
  const harness: number[] = [];
  const bare: number[] = [];
  const cli: number[] = [];
  const cliBare: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const runDir = join(work, `run${i}`);
    const started = performance.now();
    const { judged } = await bootQemuCell(cell, kernel, guest, { runId: `bench${i}`, runDir, accel: hostAccel() });
    harness.push(performance.now() - started);
    if (judged.verdict !== 'pass') throw new Error(`bench cell did not pass: ${judged.reasons.join('; ')}`);
    bare.push(await timeSpawn(bareArgv, bareDir, join(bareDir, 'console.log')));
    cli.push(
      await timeSpawn([process.execPath, cliPath, 'run', '--cell', cell.id, '--out', join(work, 'cli')], work, join(work, 'cli.out')),
    );
    cliBare.push(await timeSpawn(bareArgv, bareDir, join(bareDir, 'console.log')));
  }
  report('cell', harness, bare, `${cell.id}, in process; target ratio <= 1.05`);
  report('cli', cli, cliBare, 'the same cell through the whole CLI; target ratio <= 1.25');
}

// one cell running one trivial command against the same cell probing only, both in process, interleaved
if (want('command')) {
  const layered = { ...guest, layer: (await userspaceLayer(layout)).archive };
  const trivial: CommandTestSpec = { kind: 'command', name: 'true', argv: ['true'], files: [], timeoutSec: 10, expectExit: 0 };
  const withCommand = { ...cell, tests: [...cell.tests, trivial] };
  const probing: number[] = [];
  const commanding: number[] = [];
  for (let i = 0; i < rounds; i++) {
    for (const [times, c, g, name] of [
      [commanding, withCommand, layered, 'c'],
      [probing, cell, guest, 'p'],
    ] as const) {
      const started = performance.now();
      const { judged } = await bootQemuCell(c, kernel, g, {
        runId: `bench-${name}${i}`,
        runDir: join(work, `command-${name}${i}`),
        accel: hostAccel(),
      });
      times.push(performance.now() - started);
      if (judged.verdict !== 'pass') throw new Error(`bench cell did not pass: ${judged.reasons.join('; ')}`);
    }
  }
  report('command', commanding, probing, `${cell.id} running \`true\` after the probe vs probing only, in process; target at most +300 ms`);
}

// one nested kvmtool cell: harness against the same nested host booted bare
const lkvmPath = process.env.KVMATRIX_LKVM;
if (!want('nested')) {
  // not asked for
} else if (!lkvmPath) {
  console.log('nested  skipped: KVMATRIX_LKVM is not set (no static arm64 lkvm to boot kvmtool cells with)');
} else {
  const kcell = cells.find((c) => c.id === 'patched/kvmtool/legacy') as Cell & { vmm: KvmtoolVmmSpec };
  const lkvm = inspectLkvm({ path: lkvmPath, from: 'KVMATRIX_LKVM' }, true);
  if ('problem' in lkvm) throw new Error(lkvm.problem);
  const plan = { mode: 'nested' as const, lkvm, era: lkvm.era ?? 'virtio-transport', host: kernel, layout };
  const nestedDir = join(work, 'nested-bare');
  mkdirSync(nestedDir);
  const disks = { blk1: diskImage('blk1') };
  const args = lkvmRunArgs(
    kcell,
    { image: NESTED_PATHS.image, initrd: NESTED_PATHS.initrd, disks: { blk1: nestedDiskPath('blk1') } },
    { nonce: 'bench', era: plan.era, irqchip: 'gicv3', kernelArgs: kindKernelArgs(kcell) },
  );
  writeFileSync(
    join(nestedDir, 'host-initramfs.cpio'),
    Buffer.concat([readFileSync(nestedHostBase(layout, guest, lkvm, kernel)), nestedCellArchive(args, disks)]),
  );
  const nestedArgv = nestedHostCommand(
    kcell,
    { image: kernel.image, initrd: 'host-initramfs.cpio' },
    { nonce: 'host', guestTimeoutSec: kcell.boot.timeoutSec },
  ).argv;
  const nestedHarness: number[] = [];
  const nestedBare: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    const { judged } = await bootKvmtoolCell(kcell, kernel, guest, plan, {
      runId: `nested${i}`,
      runDir: join(work, `nested${i}`),
      accel: 'tcg',
    });
    nestedHarness.push(performance.now() - started);
    if (judged.verdict !== 'pass') throw new Error(`nested bench cell did not pass: ${judged.reasons.join('; ')}`);
    nestedBare.push(await timeSpawn(nestedArgv, nestedDir, join(nestedDir, 'console.log')));
  }
  report('nested', nestedHarness, nestedBare, `${kcell.id}, nested kvmtool, in process; target ratio <= 1.05`);
}

// the 8 QEMU cells, warm, against the same 8 qemu argvs spawned bare, as many at once as cores
if (want('warm')) {
  const qemuCells = cells.filter((c): c is Cell & { vmm: QemuVmmSpec } => c.vmm.type === 'qemu');
  const kernels = new Map<string, string>();
  for (const spec of matrix.kernels) {
    const built = await obtainKernel(
      spec,
      { layout, jobs: availableParallelism(), ccache: true, logDir: join(work, 'log'), timeoutSec: 7200 },
      kernelTestInputs(spec),
    );
    if (!built.ok) throw new Error(`cannot build ${spec.id}: ${built.message}`);
    kernels.set(spec.id, built.image);
  }
  const bareCells = qemuCells.map((c, i) => {
    const dir = join(work, `warm-bare-${i}`);
    mkdirSync(dir);
    const disks: Record<string, string> = {};
    for (const slot of c.devices.filter((d) => d.kind === 'blk')) {
      disks[slot.name] = `${slot.name}.img`;
      writeFileSync(join(dir, disks[slot.name]!), diskImage(slot.name));
    }
    return {
      dir,
      argv: qemuCommand(
        c,
        { image: kernels.get(c.kernel.id)!, initrd: guest.initramfs, disks },
        { accel: hostAccel(), nonce: 'bench', kernelArgs: kindKernelArgs(c) },
      ).argv,
    };
  });
  const bareWarm = async () => {
    const started = performance.now();
    const queue = [...bareCells];
    await Promise.all(
      Array.from({ length: availableParallelism() }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) await timeSpawn(next.argv, next.dir, join(next.dir, 'console.log'));
      }),
    );
    return performance.now() - started;
  };
  const warm: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < rounds; i++) {
    warm.push(
      await timeSpawn(
        [process.execPath, cliPath, 'run', '--filter', 'type=qemu', '--out', join(work, 'warm')],
        work,
        join(work, 'warm.out'),
      ),
    );
    bare.push(await bareWarm());
  }
  report(
    'warm',
    warm,
    bare,
    `${qemuCells.length} QEMU cells of the default matrix through the CLI vs their argvs bare, ${availableParallelism()} at once; target ratio < 1.3`,
  );
}

if (!quick && want('bisect')) {
  const step = await benchBisectStep(work, cell, guest, Math.min(rounds, 3), timeSpawn);
  report(
    'bisect',
    step.harness,
    step.bare,
    'one bisect-run step, a commit that changes only documentation, vs make Image + boot bare; target ratio <= 1.3',
  );
}

if (!quick && want('cold')) {
  // cold: empty kvmatrix cache and empty ccache against two bare builds
  const trees = await prepareBareTrees(layout, matrix.kernels, work);
  const coldCache = join(work, 'cold-cache');
  const env = { ...process.env, CCACHE_DIR: join(work, 'cold-ccache') };
  const harnessCold = await timeSpawn(
    [process.execPath, cliPath, 'run', '--filter', 'type=qemu', '--cache', coldCache, '--out', join(work, 'cold')],
    work,
    join(work, 'cold.out'),
    env,
  );
  let bareBuilds = 0;
  for (const tree of trees) bareBuilds += await timeBareMake(tree, availableParallelism());
  report('cold', [harnessCold], [bareBuilds], 'default matrix QEMU cells from empty caches vs two bare make Image; target ratio <= 1.10');
  rmSync(coldCache, { recursive: true, force: true });
}
if (!quick && want('kunit')) await benchKunit(layout, work, rounds, timeSpawn, report);
if (want('history')) await benchHistory(work, rounds, timeSpawn, report);

// inside the arm64 host rig: native kvmtool and QEMU under KVM
if (want('arm64')) {
  const lkvm = process.env.KVMATRIX_LKVM;
  if (!lkvm) console.log('arm64   skipped: KVMATRIX_LKVM is not set (no static arm64 lkvm to run native kvmtool cells in the rig with)');
  else {
    const images: Record<string, string> = {};
    for (const spec of matrix.kernels) {
      const built = await obtainKernel(
        spec,
        { layout, jobs: availableParallelism(), ccache: true, logDir: join(work, 'log'), timeoutSec: 7200 },
        kernelTestInputs(spec),
      );
      if (!built.ok) throw new Error(`cannot build ${spec.id}: ${built.message}`);
      images[spec.id] = built.image;
    }
    const rig = await buildRig({ cacheDir: join(layout.root, 'arm64-host'), say: (line) => console.error(line) });
    const { files, texts } = matrixJobInputs(images, { lkvm });
    files[`${RIG_PATHS.rig}/bench.mjs`] = join(projectRoot, 'bench', 'arm64-in-rig.mjs');
    const argv = ['node', `${RIG_PATHS.rig}/bench.mjs`, RIG_PATHS.kvmatrix, rigMatrixPath('murray'), rigLkvmPath('lkvm'), String(rounds)];
    const run = await bootRig(
      rig,
      { steps: [{ name: 'bench', argv, timeoutSec: 3000 }], files, texts },
      { workDir: join(work, 'rig'), timeoutSec: 3600 },
    );
    const out = join(run.outDir, 'steps', 'bench');
    if (run.steps[0]?.code !== 0) {
      throw new Error(
        `the bench inside the rig failed (${run.steps[0]?.code ?? 'did not run'}):\n${existsSync(`${out}.err`) ? readFileSync(`${out}.err`, 'utf8').slice(-3000) : run.console.slice(-3000)}`,
      );
    }
    process.stdout.write(readFileSync(`${out}.out`, 'utf8'));
  }
}
if (jsonFile) {
  writeFileSync(jsonFile, `${JSON.stringify({ cores: availableParallelism(), rounds, node: process.version, figures }, null, 2)}\n`);
  console.log(`figures written to ${jsonFile}`);
}
rmSync(work, { recursive: true, force: true });
