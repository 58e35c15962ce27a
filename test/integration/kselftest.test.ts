/**
 * kselftests in every cell, on real kernels: matrices/kselftest.yaml's
 * QEMU cells (Debian 6.1; size, sigaltstack, timers, ptrace and membarrier
 * built from its source), every report read back with a real parser and
 * KCIDB by kcidb-io, the run folder's reproduce script booting a cell
 * again; a kernel patch that breaks what sigaltstack's test checks (the
 * test dies of it), failing exactly that leaf; --test; and the kselftest stage's errors (a target
 * that does not build, one that does not exist). The kernels are the ones
 * the other tests build: the targets here add no config option.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import t from 'tap';
import { projectRoot } from '../../harness/host/install-paths.js';
import type { CellRecord } from '../../harness/report/types.js';
import { leavesOf, nodesOf } from '../../harness/verdict/tree.js';
import { kvmatrix, readResults } from '../support/cli.js';
import { runKcidb } from '../support/kcidb.js';
import { haveLinuxTarball, LINUX_TARBALL } from '../support/kernel-history.js';
import { parseTap, tapSyntaxErrors } from '../support/tap.js';
import { tempTree } from '../support/temp-tree.js';

t.setTimeout(40 * 60 * 1000);

const MATRIX = join(projectRoot, 'matrices', 'kselftest.yaml');
const PATCHES = join(projectRoot, 'test', 'fixtures', 'patches');
const skip = haveLinuxTarball() ? false : `needs ${LINUX_TARBALL} (apt-get install linux-source-6.1; npm test installs it)`;

const verdictOf = (cell: CellRecord, path: string) => nodesOf(cell.tests ?? []).find((n) => n.path === path)?.verdict;

/** A matrix of 6.1 kernels under QEMU flat, modern, running the given kselftest targets. */
function kselftestMatrix(dir: string, kernels: Record<string, string[]>, targets: string[]): string {
  const entries = Object.entries(kernels)
    .map(([id, patches]) => `  ${id}:\n    definition: debian-6.1\n    patches: [${patches.join(', ')}]`)
    .join('\n');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'm.yaml');
  writeFileSync(
    file,
    `name: kselftest-cases\npaths:\n  kernels: ${join(projectRoot, 'kernels')}\n  patches: ${PATCHES}\nkernels:\n${entries}\n` +
      `vmms:\n  qemu-flat: { type: qemu, topology: flat }\ntransports: [modern]\ndevices: [rng]\n` +
      `tests:\n  - kselftest: { targets: [${targets.join(', ')}] }\n`,
  );
  return file;
}

t.test('matrices/kselftest.yaml, its QEMU cells: a leaf per test in every report, the known failure as expected', { skip }, async (t) => {
  const out = tempTree({}, 'kvmatrix-kselftest-');
  const run = await kvmatrix(['run', MATRIX, '--filter', 'type=qemu', '--out', out], { env: { CI: 'true' } });
  t.equal(run.code, 0, `every cell as the matrix expects\n${run.stdout}\n${run.stderr.slice(-3000)}`);
  const runDir = join(out, 'latest');
  const results = readResults(runDir);
  t.equal(results.cells.length, 2);
  for (const cell of results.cells) {
    const leaves = new Map(leavesOf(cell.tests ?? []).map((l) => [l.path as string, l]));
    t.equal(verdictOf(cell, 'kselftest.size.get_size'), 'pass', `${cell.id}: size`);
    t.equal(verdictOf(cell, 'kselftest.sigaltstack.sas'), 'pass', `${cell.id}: sigaltstack`);
    t.equal(
      leaves.get('kselftest.sigaltstack.sas.sigaltstack__20is__20disabled__20in__20sighandler')?.verdict,
      'pass',
      "sas's own TAP cases are its subtests",
    );
    t.equal(verdictOf(cell, 'kselftest.timers.posix_timers'), 'pass');
    t.equal(verdictOf(cell, 'kselftest.ptrace.get_syscall_info'), 'pass');
    t.equal(verdictOf(cell, 'kselftest.timers.nanosleep'), 'pass');
    t.equal(leaves.get('kselftest.timers.nanosleep.CLOCK_TAI')?.verdict, 'pass');
    t.equal(
      leaves.get('kselftest.timers.nanosleep.CLOCK_MONOTONIC_RAW')?.verdict,
      'skip',
      'a nameless "ok N # SKIP CLOCK_..." is named by its reason',
    );
    const mqueue = leaves.get('kselftest.timers.mqueue-lat')!;
    t.match(mqueue, { verdict: 'fail', status: 'as-expected', reasons: ['exited 1'] }, 'the test this kernel fails');
    t.match(mqueue.log.join('\n'), /mq_open: Function not implemented/, 'with its output');
    t.match(leaves.get('kselftest.timers.raw_skew'), { verdict: 'skip', reasons: ['skipped by the matrix (kselftest skip:)'] });
    t.equal(verdictOf(cell, 'kselftest.membarrier.membarrier_test_single_thread'), 'skip', 'exit 4 (KSFT_SKIP) is a skip');
    t.equal(cell.status, 'as-expected');
  }

  const tap = readFileSync(join(runDir, 'report.tap'), 'utf8');
  const parsed = await parseTap(tap);
  t.same(tapSyntaxErrors(parsed.final), [], 'TAP: tap-parser reads it cleanly');
  t.match(
    tap,
    /^ {12}not ok 5 - mqueue-lat # TODO expected to fail by expect\[0\]: tinyconfig leaves POSIX_MQUEUE off/m,
    'TAP: the leaf three levels down, marked expected',
  );
  const junit = readFileSync(join(runDir, 'junit.xml'), 'utf8');
  t.equal(XMLValidator.validate(junit), true, 'JUnit: well-formed XML');
  const suites = [new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(junit).testsuites.testsuite].flat() as {
    testcase: unknown;
  }[];
  const cases = suites.flatMap((s) => [s.testcase].flat()) as { name: string; classname: string }[];
  t.equal(cases.filter((c) => c.name === 'posix_timers').length, 2, 'JUnit: a testcase per cell for each test');
  t.match(cases.find((c) => c.name === 'posix_timers')?.classname, /timers/, "JUnit: the test's classname names its target");
  const kcidb = await runKcidb(runDir);
  const failing = kcidb.tests.filter((x) => x.status === 'FAIL').map((x) => x.path);
  t.ok(
    failing.includes('kvmatrix.kselftest.qemu-flat.modern.kselftest.timers.mqueue-lat'),
    `KCIDB (validated by kcidb-io): the leaf fails (${failing.join(', ')})`,
  );

  // the run folder holds the selftests as the guests unpacked them, and how they were built
  t.ok(existsSync(join(runDir, 'kernels', 'stock', 'kselftests.cpio.gz')), 'the kselftest layer is in the run folder');
  t.match(readFileSync(join(runDir, 'kernels', 'stock', 'kselftest-build.log'), 'utf8'), /TARGETS=timers/, 'and its build log');
  const cell = results.cells.find((c) => c.id === 'stock/qemu-flat/modern')!;
  const reproduce = join(runDir, cell.reproduce!);
  t.match(
    readFileSync(reproduce, 'utf8'),
    /^cat .*initramfs\.cpio\.gz .*layer\.cpio\.gz .*kselftests\.cpio\.gz boot\.cpio\.gz > initramfs\.cpio$/m,
    'reproduce.sh puts the four archives together',
  );
  const again = execFileSync('sh', [reproduce], {
    cwd: join(runDir, 'cells', 'stock', 'qemu-flat', 'modern'),
    encoding: 'utf8',
    timeout: 300_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.match(again, /name=timers:posix_timers/, 'reproduce.sh boots the cell and the agent runs the kselftests again');
});

t.test('a patch that breaks what a kselftest checks fails exactly that test, and compare names it', { skip }, async (t) => {
  const dir = tempTree({}, 'kvmatrix-kselftest-break-');
  const good = kselftestMatrix(join(dir, 'good'), { k: [] }, ['sigaltstack', 'size']);
  const bad = kselftestMatrix(join(dir, 'bad'), { k: ['sigaltstack-autodisarm-broken.patch'] }, ['sigaltstack', 'size']);
  const before = await kvmatrix(['run', good, '--out', join(dir, 'before')], { env: { CI: 'true' } });
  t.equal(before.code, 0, before.stderr.slice(-2000));
  const after = await kvmatrix(['run', bad, '--out', join(dir, 'after')], { env: { CI: 'true' } });
  t.equal(after.code, 1, `the broken test fails the run\n${after.stderr.slice(-2000)}`);
  const cell = readResults(join(dir, 'after', 'latest')).cells[0]!;
  const failing = leavesOf(cell.tests ?? []).filter((l) => l.verdict !== 'pass' && l.verdict !== 'skip');
  // with its alternate stack never disarmed, sas's handler overruns it: the test dies before it prints
  t.same(
    failing.map((l) => [l.path, l.reasons]),
    [['kselftest.sigaltstack.sas', ['killed by signal 11']]],
    'exactly the test the patch breaks, and how',
  );
  t.equal(verdictOf(cell, 'kselftest.size.get_size'), 'pass', 'the other target still passes');
  t.match(after.stdout, /kselftest\.sigaltstack\.sas/);
  const compare = await kvmatrix(['compare', join(dir, 'before', 'latest'), join(dir, 'after', 'latest')]);
  t.match(compare.stdout, /kselftest\.sigaltstack\.sas/, 'compare names the leaf that started failing');

  const narrowed = await kvmatrix(['run', bad, '--test', 'kselftest.size.*', '--out', join(dir, 'narrowed')], { env: { CI: 'true' } });
  t.equal(narrowed.code, 0, `--test kselftest.size.*: only size runs, and passes\n${narrowed.stderr.slice(-2000)}`);
  const only = readResults(join(dir, 'narrowed', 'latest')).cells[0]!;
  t.same(
    leavesOf(only.tests ?? []).map((l) => l.path),
    ['kselftest.size.get_size.get__20runtime__20memory__20use'],
  );
  t.notMatch(readFileSync(join(dir, 'narrowed', 'latest', only.console!), 'latin1'), /name=sigaltstack:sas/, 'the other target never ran');

  const repeated = await kvmatrix(['run', good, '--test', 'kselftest.size.*', '--repeat', '2', '--out', join(dir, 'repeated')], {
    env: { CI: 'true' },
  });
  t.equal(repeated.code, 0, `two boots, both passing\n${repeated.stderr.slice(-2000)}`);
  const twice = readResults(join(dir, 'repeated', 'latest')).cells[0]!;
  t.same(
    twice.repeats!.map((r) => leavesOf(r.tests ?? []).map((l) => [l.path, l.verdict])),
    [
      [['kselftest.size.get_size.get__20runtime__20memory__20use', 'pass']],
      [['kselftest.size.get_size.get__20runtime__20memory__20use', 'pass']],
    ],
    'each boot has its own kselftest leaves',
  );
  t.equal(twice.verdict, 'pass', 'boots that agree leaf by leaf: the cell passes');
});

t.test(
  'the kselftest stage: a target that does not build, one that does not exist; the cells say so, with the log',
  { skip },
  async (t) => {
    const dir = tempTree({}, 'kvmatrix-kselftest-errors-');
    // capabilities links against libcap-ng, whose headers this host does not have
    const unbuildable = kselftestMatrix(join(dir, 'unbuildable'), { k: [] }, ['size', 'capabilities']);
    const run = await kvmatrix(['run', unbuildable, '--out', join(dir, 'r1')], { env: { CI: 'true' } });
    t.equal(run.code, 3, `no cell could be booted\n${run.stderr.slice(-2000)}`);
    const results = readResults(join(dir, 'r1', 'latest'));
    t.match(results.kernels[0], { ok: false, stage: 'kselftest' }, 'the kernel failed at the kselftest stage');
    const cell = results.cells[0]!;
    t.equal(cell.verdict, 'error');
    t.match(cell.reasons.join('\n'), /kselftest target capabilities does not build/, 'the cell names the target');
    t.match(cell.reasons.join('\n'), /cap-ng\.h: No such file or directory/, "and the compiler's error from the log");
    t.ok(existsSync(join(dir, 'r1', 'latest', 'kernels', 'k', 'kselftest-build.log')), 'the log is in the run folder');

    const missing = kselftestMatrix(join(dir, 'missing'), { k: [] }, ['no-such-target']);
    const gone = await kvmatrix(['run', missing, '--out', join(dir, 'r2')], { env: { CI: 'true' } });
    t.equal(gone.code, 3, gone.stderr.slice(-2000));
    const noTarget = readResults(join(dir, 'r2', 'latest'));
    t.match(noTarget.kernels[0], { ok: false, stage: 'kselftest' });
    t.match(noTarget.cells[0]!.reasons.join('\n'), /kselftest target "no-such-target" does not exist in the source of kernel k/);
    t.notMatch(gone.stderr, /building \(make Image\)/, 'found before any kernel is built for it');
  },
);
