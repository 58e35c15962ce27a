/**
 * Bisecting a real kernel history: six commits made from Debian's
 * linux-source-6.1 (one reverts the Murray fix, one breaks the build),
 * real builds, the real bridged legacy cell under real QEMU.
 */
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { cliPath, kvmatrix, readResults } from '../support/cli.js';
import { haveLinuxTarball, LINUX_TARBALL, syntheticKernelHistory, type KernelHistory } from '../support/kernel-history.js';
import { childPids, processRunning } from '../support/processes.js';
import { hangingQemu } from '../support/hanging-qemu.js';
import { nightsRemembered } from './history-nights.js';
import { tempTree } from '../support/temp-tree.js';
import { projectRoot } from '../../harness/host/install-paths.js';
import type { BisectReport } from '../../harness/run/bisect.js';

t.setTimeout(60 * 60 * 1000);

const CELL = 'patched/qemu-bridged/legacy';

function git(tree: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: tree, encoding: 'utf8' }).trim();
}

function treeState(tree: string) {
  return {
    head: git(tree, 'symbolic-ref', 'HEAD'),
    commit: git(tree, 'rev-parse', 'HEAD'),
    status: git(tree, 'status', '--porcelain'),
    bisecting: existsSync(join(tree, '.git', 'BISECT_START')) || existsSync(join(tree, '.git', 'BISECT_LOG')),
  };
}

function onlyBisectDir(out: string): string {
  const dirs = readdirSync(out).filter((d) => d.startsWith('bisect-'));
  if (dirs.length !== 1) throw new Error(`expected one bisect folder in ${out}, found ${dirs.join(', ') || 'none'}`);
  return join(out, dirs[0]!);
}

const skip = haveLinuxTarball() ? false : `needs ${LINUX_TARBALL} (apt-get install linux-source-6.1; npm test installs it)`;

t.test('bisecting a synthetic history of Debian 6.1', { skip }, async (t) => {
  const dir = tempTree({}, 'kvmatrix-bisect-');
  // the history and its reused build tree are 2 GB: gone with the test, not left in the user's cache
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const history: KernelHistory = syntheticKernelHistory(dir);
  const cache = ['--cache', join(dir, 'cache')];

  t.test('bisect names the revert, skips the commit that does not build, and leaves the tree as it was', async (t) => {
    const h = history;
    const before = treeState(h.tree);
    const out = join(dir, 'results');
    const run = await kvmatrix(['bisect', '--tree', h.tree, '--good', h.base, '--bad', 'main', '--cell', CELL, '--out', out, ...cache]);
    t.equal(run.code, 0, `exit 0: a first bad commit was found\n${run.stdout}\n${run.stderr.slice(-3000)}`);
    t.match(run.stdout, new RegExp(`^first bad commit: ${h.revert} Revert "asm-generic/io: Fix ioport_map`, 'm'));

    const bisectDir = onlyBisectDir(out);
    const report = JSON.parse(readFileSync(join(bisectDir, 'bisect.json'), 'utf8')) as BisectReport;
    t.same(report.outcome, { kind: 'found', firstBad: { commit: h.revert, subject: git(h.tree, 'log', '-1', '--format=%s', h.revert) } });
    const broken = report.steps.find((s) => s.commit === h.broken);
    t.ok(broken, `the commit that does not build was visited (steps: ${report.steps.map((s) => s.subject).join(' | ')})`);
    t.equal(broken?.mark, 'skip', 'and skipped, not blamed');
    t.equal(broken?.exit, 125);
    t.equal(broken?.verdict, null, 'it never booted');
    t.match(
      run.stdout,
      new RegExp(`^step \\d: ${h.broken.slice(0, 12)} init: a change that does not build: ${CELL} not booted: skip \\(exit 125\\)`, 'm'),
    );
    const revert = report.steps.find((s) => s.commit === h.revert);
    t.equal(revert?.mark, 'bad', 'the revert itself was tested and failed');
    t.ok(
      revert?.reasons.some((r) => /io BAR0 0x[4-6]000/.test(r)),
      'its reasons name a device at 0x4000 and up',
    );
    for (const step of report.steps.filter((s) => s.verdict !== null)) {
      const results = readResults(join(bisectDir, step.run));
      t.equal(results.kernels[0]?.commit?.id, step.commit, `step ${step.run} built ${step.commit.slice(0, 12)}`);
    }

    const log = readFileSync(join(bisectDir, 'bisect.log'), 'utf8');
    t.match(log, new RegExp(`^git bisect skip ${h.broken}$`, 'm'), 'the bisect log records the skip');
    t.match(log, new RegExp(`^# first bad commit: \\[${h.revert}\\]`, 'm'));
    t.same(treeState(h.tree), before, 'same branch, same commit, same status, no bisect left under way');
  });

  t.test('bisect --tries 2: each step boots twice, and bisect.json lists the tries with their consoles', async (t) => {
    const h = history;
    const out = join(dir, 'results-tries');
    // every step's kernel is in the cache from the bisect above: this costs boots, not builds
    const run = await kvmatrix([
      'bisect',
      '--tree',
      h.tree,
      '--good',
      h.base,
      '--bad',
      'main',
      '--cell',
      CELL,
      '--out',
      out,
      '--tries',
      '2',
      ...cache,
    ]);
    t.equal(run.code, 0, `${run.stdout}\n${run.stderr.slice(-3000)}`);
    t.match(run.stdout, new RegExp(`^first bad commit: ${h.revert} `, 'm'), 'the same first bad commit');
    const bisectDir = onlyBisectDir(out);
    const report = JSON.parse(readFileSync(join(bisectDir, 'bisect.json'), 'utf8')) as BisectReport;
    const booted = report.steps.filter((s) => s.verdict !== null);
    t.ok(booted.length >= 2, `${booted.length} steps booted`);
    for (const step of booted) {
      t.same(
        step.tries?.map((x) => x.try),
        [1, 2],
        `${step.commit.slice(0, 12)}: two tries`,
      );
      t.same(
        step.tries?.map((x) => x.verdict),
        [step.verdict, step.verdict],
        'which agree with the step',
      );
      for (const x of step.tries ?? []) t.ok(existsSync(join(bisectDir, x.console!)), `try ${x.try}'s console is in the step's run folder`);
    }
    t.notOk(
      report.steps.some((s) => s.verdict === null && s.tries),
      'a step that never booted lists no tries',
    );
  });

  t.test('bisect-run builds the checked-out tree with its uncommitted changes; exit codes as git bisect run reads them', async (t) => {
    const h = history;
    const out = join(dir, 'bisect-run');
    const at = async () => kvmatrix(['bisect-run', '--cell', CELL, '--tree', h.tree, '--out', out, ...cache]);
    git(h.tree, 'checkout', '--quiet', h.broken);
    try {
      const broken = await at();
      t.equal(broken.code, 125, `a commit that does not build is untestable\n${broken.stdout}${broken.stderr.slice(-2000)}`);
      t.match(broken.stdout, /not booted: skip \(exit 125\): the kernel does not build at this commit/);

      // the developer mends it in the working tree without committing
      writeFileSync(join(h.tree, 'init/main.c'), git(h.tree, 'show', `${h.fixed}:init/main.c`) + '\n');
      const mended = await at();
      t.equal(mended.code, 0, `the uncommitted fix is built and the cell passes\n${mended.stdout}${mended.stderr.slice(-2000)}`);
      t.match(
        mended.stdout,
        new RegExp(`^${h.broken.slice(0, 12)}\\+uncommitted init: a change that does not build: ${CELL} pass: good \\(exit 0\\)`, 'm'),
      );

      // the same kernel (from the cache), tried three times; the second try's guest hangs
      const qemu = hangingQemu(tempTree({}), [2]);
      const flakyMatrix = join(dir, 'hanging.yaml');
      writeFileSync(
        flakyMatrix,
        `name: hanging\npaths:\n  kernels: ${join(projectRoot, 'kernels')}\n  patches: ${join(projectRoot, 'patches')}\n` +
          `kernels:\n  patched: { definition: debian-6.1 }\nvmms:\n  qemu-bridged: { type: qemu, topology: bridged, ports: 6, binary: ${qemu.path} }\n` +
          'transports: [legacy]\nboot: { timeout: 20 }\n',
      );
      const tries = await kvmatrix([
        'bisect-run',
        '--cell',
        CELL,
        '--tree',
        h.tree,
        '--out',
        out,
        '--tries',
        '3',
        '--matrix',
        flakyMatrix,
        ...cache,
      ]);
      t.equal(tries.code, 1, `one hung try in three: bad, never good\n${tries.stdout}${tries.stderr.slice(-2000)}`);
      t.equal(qemu.boots(), 3, 'three tries booted');
      t.match(tries.stdout, new RegExp(`${CELL} flaky: bad \\(exit 1\\): the tries disagree`));
      t.match(tries.stdout, /^ {2}tries: pass timeout pass$/m);
      t.match(tries.stderr, /kernel patched: ready, from the cache/, 'the kernel was not built again');
      const steady = await kvmatrix(['bisect-run', '--cell', CELL, '--tree', h.tree, '--out', out, '--tries', '2', ...cache]);
      t.equal(steady.code, 0, `two passing tries: good\n${steady.stdout}${steady.stderr.slice(-2000)}`);
      t.match(steady.stdout, /^ {2}tries: pass pass$/m);

      // good or bad by one test of the cell: a command, a kselftest (kernel from the cache, its kselftests built from the same tree)
      const commandMatrix = join(projectRoot, 'matrices', 'murray-command.yaml');
      const byCommand = await kvmatrix([
        'bisect-run',
        '--cell',
        CELL,
        '--tree',
        h.tree,
        '--out',
        out,
        '--matrix',
        commandMatrix,
        '--test',
        'command.virtio-health',
        ...cache,
      ]);
      t.equal(
        byCommand.code,
        0,
        `the userspace check passes with the Murray fix: good\n${byCommand.stdout}${byCommand.stderr.slice(-2000)}`,
      );
      const kselftestMatrix = join(dir, 'kselftest.yaml');
      const slow = ['posix_timers', 'nanosleep', 'nsleep-lat', 'set-timer-lat', 'inconsistency-check', 'raw_skew', 'threadtest', 'rtcpie'];
      writeFileSync(
        kselftestMatrix,
        `name: bisect-kselftest\npaths:\n  kernels: ${join(projectRoot, 'kernels')}\n  patches: ${join(projectRoot, 'patches')}\n` +
          'kernels:\n  patched: { definition: debian-6.1 }\nvmms:\n  qemu-bridged: { type: qemu, topology: bridged, ports: 6 }\n' +
          `transports: [legacy]\ndevices: [rng]\ntests:\n  - kselftest: { targets: [size, timers], skip: [${slow.map((x) => `'timers:${x}'`).join(', ')}] }\n`,
      );
      const byKselftest = (test: string) =>
        kvmatrix(['bisect-run', '--cell', CELL, '--tree', h.tree, '--out', out, '--matrix', kselftestMatrix, '--test', test, ...cache]);
      const size = await byKselftest('kselftest.size.get_size');
      t.equal(size.code, 0, `a kselftest that passes: good\n${size.stdout}${size.stderr.slice(-2000)}`);
      t.match(size.stderr, /kernel patched: building the kselftests/, 'built from the checked-out tree');
      const mqueue = await byKselftest('kselftest.timers.mqueue-lat');
      t.equal(
        mqueue.code,
        1,
        `a kselftest that fails on this kernel (no POSIX message queues): bad\n${mqueue.stdout}${mqueue.stderr.slice(-2000)}`,
      );
      t.match(mqueue.stdout, /kselftest\.timers\.mqueue-lat: fail/);
      const absent = await byKselftest('kselftest.timers.no-such-test');
      t.equal(absent.code, 125, `a test the kernel's kselftests do not have: cannot tell\n${absent.stdout}${absent.stderr.slice(-2000)}`);

      const usage = await kvmatrix(['bisect-run', '--cell', 'no/such/cell', '--tree', h.tree, '--out', out]);
      t.equal(usage.code, 129, 'bad usage aborts the bisect instead of marking the commit');
      const inside = await kvmatrix(['bisect-run', '--cell', CELL, '--tree', h.tree, '--out', join(h.tree, 'results')]);
      t.equal(inside.code, 129);
      t.match(inside.stderr, /lies inside the kernel tree/);

      // the Murray fix reverted (its kernel is in the cache from the bisect above): the command fails where the probe does
      git(h.tree, 'checkout', '--quiet', '--force', h.revert);
      const reverted = await kvmatrix([
        'bisect-run',
        '--cell',
        CELL,
        '--tree',
        h.tree,
        '--out',
        out,
        '--matrix',
        commandMatrix,
        '--test',
        'command.virtio-health',
        ...cache,
      ]);
      t.equal(reverted.code, 1, `the userspace check fails without the fix: bad\n${reverted.stdout}${reverted.stderr.slice(-2000)}`);
      t.match(reverted.stdout, /command\.virtio-health: fail/);
    } finally {
      git(h.tree, 'checkout', '--quiet', '--force', 'main');
    }
  });

  t.test('bisect-run configures again only when a file the config stage reads changed', async (t) => {
    const h = history;
    const out = join(dir, 'config-reuse');
    const step = async (subject: string, change: () => void) => {
      change();
      git(h.tree, '-c', 'user.name=t', '-c', 'user.email=t@kvmatrix.invalid', 'commit', '--quiet', '-am', subject);
      const run = await kvmatrix(['bisect-run', '--cell', CELL, '--tree', h.tree, '--out', out, ...cache]);
      t.equal(run.code, 0, `${subject}: the cell passes\n${run.stdout}${run.stderr.slice(-2000)}`);
      const kernel = readResults(/results: (.*)$/m.exec(run.stdout)![1]!).kernels[0]!;
      return {
        commit: git(h.tree, 'rev-parse', 'HEAD'),
        log: readFileSync(kernel.buildLog!, 'utf8'),
        config: readFileSync(kernel.config!, 'utf8'),
      };
    };
    const tookConfigOf = /^kvmatrix: the final \.config of ([0-9a-f]{40}), as no file the config stage reads differs$/m;
    // from the last commit that passes: main reverts the fix
    git(h.tree, 'checkout', '--quiet', '-b', 'config-reuse', h.fixed);
    try {
      const doc = await step('Documentation: one more line', () =>
        appendFileSync(join(h.tree, 'Documentation/arm64/booting.rst'), '\nOne more line.\n'),
      );
      t.match(doc.log, tookConfigOf, 'a documentation commit takes an earlier commit’s final .config');
      t.notMatch(doc.log, /merge_config\.sh|olddefconfig/, 'and runs no config step');

      const option = 'CONFIG_KVMATRIX_TEST_OPTION=y';
      const kconfig = await step('init: a new option', () =>
        appendFileSync(join(h.tree, 'init/Kconfig'), '\nconfig KVMATRIX_TEST_OPTION\n\tdef_bool y\n'),
      );
      t.notMatch(kconfig.log, tookConfigOf, 'a Kconfig change is configured again');
      t.match(kconfig.log, /olddefconfig/);
      t.match(kconfig.config, new RegExp(`^${option}$`, 'm'), 'and its .config has the new option');

      const after = await step('Documentation: after the option', () =>
        appendFileSync(join(h.tree, 'Documentation/arm64/booting.rst'), '\nAfter.\n'),
      );
      t.equal(tookConfigOf.exec(after.log)?.[1], kconfig.commit, 'the next commit takes the .config of the commit configured last');
      t.match(after.config, new RegExp(`^${option}$`, 'm'));
    } finally {
      git(h.tree, 'checkout', '--quiet', '--force', 'main');
    }
  });

  t.test('nights remembered: five nightly runs of the history, labelled, gated, bisected from the history', (t) =>
    nightsRemembered(t, history, dir, cache),
  );

  t.test('an interrupted bisect resets the tree and says so, and leaves no process behind', async (t) => {
    const h = history;
    const before = treeState(h.tree);
    const out = join(dir, 'interrupted');
    const child = execa(
      process.execPath,
      [cliPath, 'bisect', '--tree', h.tree, '--good', h.base, '--bad', 'main', '--cell', CELL, '--out', out, ...cache],
      {
        reject: false,
        stdin: 'ignore',
      },
    );
    let stderr = '';
    const building = /kernel patched: building \(make Image\)/;
    await new Promise<void>((resolve) => {
      // a bisect that ends (or dies) before its build starts fails here at once, not at the suite's timeout
      void child.finally(resolve);
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (building.test(stderr)) resolve();
      });
    });
    t.match(stderr, building, `the bisect reached its first build (${child.exitCode === null ? 'running' : `exited ${child.exitCode}`})`);
    if (!building.test(stderr)) return;
    // SIGINT while make runs: wait until its processes are there to be seen
    const descendants = (pid: number): number[] => childPids(pid).flatMap((c) => [c, ...descendants(c)]);
    let seen: number[] = [];
    for (let i = 0; i < 100 && seen.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
      seen = descendants(child.pid!);
    }
    t.ok(seen.length >= 2, `make and its children were running when SIGINT came (${seen.length})`);
    child.kill('SIGINT');
    const result = await child;
    t.equal(result.exitCode, 130, `exit 130 after SIGINT\n${String(result.stderr).slice(-2000)}`);
    t.same(seen.filter(processRunning), [], `no process the harness had started is left (${seen.length} seen)`);
    t.same(treeState(h.tree), before, 'the bisect was reset: same branch, commit and status');
    const bisectDir = onlyBisectDir(out);
    const report = JSON.parse(readFileSync(join(bisectDir, 'bisect.json'), 'utf8')) as BisectReport;
    t.same(report.outcome, { kind: 'interrupted' });
    t.match(readFileSync(join(bisectDir, 'bisect.log'), 'utf8'), new RegExp(`^git bisect start`, 'm'));
  });
});
