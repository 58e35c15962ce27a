/**
 * Kernel trouble on real kernels: one 6.1 kernel (kunit.yaml's definition
 * and kunitconfig, so ccache holds all but three files of it) with three
 * patches from test/fixtures/patches, each a way a patch could hide a
 * failure from a reader less strict than kvmatrix:
 * - virtio-pci-legacy-probe-warns: WARN() in the legacy virtio-pci probe,
 *   a driver path every legacy cell runs and no modern cell does;
 * - kunit-example-case-warns: WARN() inside example_simple_test, a case
 *   KUnit itself reports `ok`;
 * - list-test-prints-suite-result: list_test_list_init prints
 *   `ok 1 list-kunit-test` at column 0 (the suite's own result line, as
 *   KTAP has it), and list_test_list_del then fails.
 * Every cell boots in a second or two; the kernel is built once.
 */
import { XMLParser } from 'fast-xml-parser';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { projectRoot } from '../../harness/host/install-paths.js';
import type { CellRecord } from '../../harness/report/types.js';
import { leavesOf, type TestNode } from '../../harness/verdict/tree.js';
import { kvmatrix, readResults } from '../support/cli.js';
import { haveLinuxTarball, LINUX_TARBALL } from '../support/kernel-history.js';
import { runKcidb } from '../support/kcidb.js';
import { tapLevels } from '../support/tap.js';
import { tempTree } from '../support/temp-tree.js';

t.setTimeout(30 * 60 * 1000);

const skip = haveLinuxTarball() ? false : `needs ${LINUX_TARBALL} (apt-get install linux-source-6.1; npm test installs it)`;
const PATCHES = ['virtio-pci-legacy-probe-warns.patch', 'kunit-example-case-warns.patch', 'list-test-prints-suite-result.patch'];

/** The matrix: the patched kernel under QEMU flat, probe and the KUnit suites `filter` names. */
function troubleMatrix(dir: string, filter: string, transports: string[], expect = '', moreTests: string[] = []): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'm.yaml');
  writeFileSync(
    file,
    `name: kernel-trouble\npaths:\n  kernels: ${join(projectRoot, 'kernels')}\n  patches: ${join(projectRoot, 'test', 'fixtures', 'patches')}\n` +
      `kernels:\n  trouble:\n    definition: debian-6.1-no-net\n    patches: [${PATCHES.join(', ')}]\n` +
      `vmms:\n  qemu-flat: { type: qemu, topology: flat }\ntransports: [${transports.join(', ')}]\ndevices: [rng]\n` +
      `tests:\n  - probe\n  - kunit: { kunitconfig: ${join(projectRoot, 'matrices', 'kunit', 'lib.kunitconfig')}, filter: ${filter} }\n` +
      moreTests.map((test) => `  - ${test}\n`).join('') +
      expect,
  );
  return file;
}

const cellOf = (runDir: string, id: string): CellRecord => readResults(runDir).cells.find((c) => c.id === id)!;
const notPassing = (cell: CellRecord): TestNode[] => leavesOf(cell.tests ?? []).filter((l) => l.verdict !== 'pass' && l.verdict !== 'skip');

t.test(
  'a WARNING in a probed driver fails the cell that runs that path, named; one in a case KUnit calls ok fails that case',
  { skip },
  async (t) => {
    const dir = tempTree({}, 'kvmatrix-trouble-');
    const run = await kvmatrix(['run', troubleMatrix(dir, 'example', ['legacy', 'modern']), '--out', join(dir, 'out')], {
      env: { CI: 'true' },
    });
    t.equal(run.code, 1, `both cells fail\n${run.stdout}\n${run.stderr.slice(-2000)}`);
    const runDir = join(dir, 'out', 'latest');

    const legacy = cellOf(runDir, 'trouble/qemu-flat/legacy');
    t.equal(legacy.verdict, 'fail');
    t.match(
      legacy.reasons[0],
      /^kernel WARNING at console line \d+: legacy virtio-pci probe of 0000:00:\d\d\.0 \(at drivers\/virtio\/virtio_pci_legacy\.c:\d+ virtio_pci_legacy_probe\+0x[0-9a-f]+\/0x[0-9a-f]+\)$/,
      "the WARNING, its message and where, as the cell's own reason",
    );
    t.equal(legacy.incidents?.filter((i) => i.kind === 'warning').length, 2, 'the driver path and the case: two WARNINGs');

    const modern = cellOf(runDir, 'trouble/qemu-flat/modern');
    t.equal(modern.verdict, 'fail', 'no probe WARNING on modern devices, but the case that warned');
    t.notMatch(modern.reasons.join('\n'), /virtio_pci_legacy/, 'the modern cell never ran the legacy probe');
    const failing = notPassing(modern);
    t.same(
      failing.map((l) => `${l.path} ${l.verdict}`),
      ['kunit.example.example_simple_test fail'],
      'exactly the case that warned',
    );
    t.match(
      failing[0]!.reasons[0],
      /^kernel WARNING at console line \d+: a warning inside a passing case \(at lib\/kunit\/kunit-example-test\.c:\d+ example_simple_test\+\S+\) \(printed while it ran\)$/,
    );
    t.match(
      failing[0]!.log?.join('\n') ?? '',
      /WARNING: CPU: \d+ PID: \d+ at lib\/kunit\/kunit-example-test\.c/,
      'the case keeps the lines of its WARNING',
    );
    t.equal(leavesOf(modern.tests ?? []).find((l) => l.path === 'probe.rng1')?.verdict, 'pass', 'the probe passed');

    const tap = readFileSync(join(runDir, 'report.tap'), 'utf8');
    t.match(tap, /^\s*not ok \d+ - example_simple_test: fail$/m, 'TAP: the case is not ok');
    const junit = readFileSync(join(runDir, 'junit.xml'), 'utf8');
    t.match(junit, /a warning inside a passing case/, 'JUnit names the WARNING');
  },
);

t.test('an expect rule with may_print lets a named case warn and pass', { skip }, async (t) => {
  const dir = tempTree({}, 'kvmatrix-trouble-may-');
  const expect =
    'expect:\n  - when: { kernel: trouble }\n    test: kunit.example.example_simple_test\n    may_print: [warning]\n    why: the fixture patch warns there on purpose\n';
  const run = await kvmatrix(['run', troubleMatrix(dir, 'example', ['modern'], expect), '--out', join(dir, 'out')], {
    env: { CI: 'true' },
  });
  t.equal(run.code, 0, `${run.stdout}\n${run.stderr.slice(-2000)}`);
  const cell = cellOf(join(dir, 'out', 'latest'), 'trouble/qemu-flat/modern');
  t.equal(cell.verdict, 'pass');
  t.same(notPassing(cell), []);
  const simple = leavesOf(cell.tests ?? []).find((l) => l.path === 'kunit.example.example_simple_test')!;
  t.ok(
    simple.incidents?.some((i) => i.kind === 'warning'),
    'the WARNING stays on the case, allowed',
  );
});

t.test(
  "a case printing the suite's own result line at column 0 does not end the run: the cell fails, the crash named",
  { skip },
  async (t) => {
    const dir = tempTree({}, 'kvmatrix-trouble-ktap-');
    const run = await kvmatrix(['run', troubleMatrix(dir, 'list-kunit-test', ['modern']), '--out', join(dir, 'out')], {
      env: { CI: 'true' },
    });
    t.equal(run.code, 1, run.stderr.slice(-2000));
    const cell = cellOf(join(dir, 'out', 'latest'), 'trouble/qemu-flat/modern');
    t.equal(cell.verdict, 'fail');
    const suite = (cell.tests ?? []).find((n) => n.name === 'kunit')!.children.find((n) => n.name === 'list-kunit-test')!;
    t.equal(suite.verdict, 'crashed');
    t.match(
      suite.reasons[0],
      /^console line \d+: 39 of 39 planned subtests never reported before its result "ok 1 list-kunit-test"$/,
      'the early result line, quoted',
    );
    t.match(
      suite.reasons.join('\n'),
      /a line after the document ended: "ok 1 list_test_list_init"/,
      'the lines after it are read, not dropped',
    );
    t.equal(suite.children.length, 39, "every case, named from the kernel's listing");
    t.ok(
      suite.children.every((c) => c.verdict === 'crashed'),
      'none passes',
    );
    t.ok(
      suite.children.some((c) => c.name === 'list_test_list_del'),
      'the case that failed is among them',
    );
  },
);

t.test(
  'dmesg: the WARNING of the legacy probe is a failing leaf of its own in every report; the modern boot passes dmesg.clean',
  { skip },
  async (t) => {
    const dir = tempTree({}, 'kvmatrix-dmesg-');
    const run = await kvmatrix(['run', troubleMatrix(dir, 'cmdline', ['legacy', 'modern'], '', ['dmesg']), '--out', join(dir, 'out')], {
      env: { CI: 'true' },
    });
    t.equal(run.code, 1, `the legacy cell fails\n${run.stdout}\n${run.stderr.slice(-2000)}`);
    const runDir = join(dir, 'out', 'latest');
    const dmesgLeaves = (cell: CellRecord) =>
      leavesOf(cell.tests ?? [])
        .filter((l) => l.path.startsWith('dmesg.'))
        .map((l) => `${l.path} ${l.verdict}`);

    const legacy = cellOf(runDir, 'trouble/qemu-flat/legacy');
    t.equal(legacy.verdict, 'fail');
    t.same(dmesgLeaves(legacy), ['dmesg.clean fail', 'dmesg.warning-1 fail']);
    const warning = leavesOf(legacy.tests ?? []).find((l) => l.path === 'dmesg.warning-1')!;
    t.match(warning.reasons[0], /^kernel WARNING at console line \d+: legacy virtio-pci probe of /);
    t.match(warning.log.join('\n'), /WARNING: CPU: \d+ PID: \d+ at drivers\/virtio\/virtio_pci_legacy\.c/, 'its log is the report');
    t.match(legacy.reasons[0], /^kernel WARNING at console line \d+: legacy virtio-pci probe/, 'and the cell still answers for it');

    const modern = cellOf(runDir, 'trouble/qemu-flat/modern');
    t.equal(modern.verdict, 'pass', modern.reasons.join('\n'));
    t.same(dmesgLeaves(modern), ['dmesg.clean pass']);

    // read back by the real parsers
    const levels = await tapLevels(readFileSync(join(runDir, 'report.tap'), 'utf8'));
    const dmesgLevels = [...levels].filter(([name]) => name.endsWith('/dmesg'));
    t.same(
      dmesgLevels.map(([name, l]) => `${name} pass=${l.pass} failing=${l.failing}`),
      ['/trouble/qemu-flat/legacy/dmesg pass=0 failing=2', '/trouble/qemu-flat/modern/dmesg pass=1 failing=0'],
      'TAP: a dmesg subtest per cell',
    );
    const cases = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(readFileSync(join(runDir, 'junit.xml'), 'utf8'))
      .testsuites.testsuite.testcase as { classname: string; name: string; failure?: unknown }[];
    t.same(
      cases
        .filter((c) => c.classname.endsWith('.dmesg'))
        .map((c) => `${c.classname} ${c.name} ${c.failure === undefined ? 'ok' : 'failure'}`),
      [
        'kernel-trouble.trouble/qemu-flat/legacy.dmesg clean failure',
        'kernel-trouble.trouble/qemu-flat/legacy.dmesg warning-1 failure',
        'kernel-trouble.trouble/qemu-flat/modern.dmesg clean ok',
      ],
      'JUnit: a testcase per leaf',
    );
    const kcidb = await runKcidb(runDir);
    t.same(
      kcidb.tests.filter((x) => x.path.includes('.dmesg')).map((x) => `${x.path} ${x.status}`),
      [
        'kvmatrix.kernel-trouble.qemu-flat.legacy.dmesg.clean FAIL',
        'kvmatrix.kernel-trouble.qemu-flat.legacy.dmesg.warning-1 FAIL',
        'kvmatrix.kernel-trouble.qemu-flat.modern.dmesg.clean PASS',
      ],
      'KCIDB, as kcidb-io validates it: a test per leaf of dmesg',
    );
  },
);
