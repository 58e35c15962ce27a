/**
 * The kselftest test kind: its matrix key (bad input named by file, line
 * and key; a built kernel refused), what the kernel is given (the targets
 * of all its cells), the agent's plan (each test in its target's folder,
 * its deadline from the matrix, the target's settings or kselftest's
 * default), the leaves read from the agent's records as kselftest's runner
 * reads exit statuses, and what --test keeps. The whole of it runs in a
 * real guest in test/integration/kselftest.test.ts.
 */
import t from 'tap';
import type { CommandObservation } from '../../harness/console/types.js';
import type { KselftestCase } from '../../harness/test-kinds/kselftest/list.js';
import { parseKselftestList, settingsTimeout } from '../../harness/test-kinds/kselftest/list.js';
import { expandMatrix } from '../../harness/matrix/expand.js';
import { loadMatrix } from '../../harness/matrix/load.js';
import type { Cell, KselftestTestSpec } from '../../harness/matrix/types.js';
import { agentCommands, runsUserspace, testLayers } from '../../harness/test-kinds/registry.js';
import { kindAllowanceSec } from '../../harness/test-kinds/registry.js';
import { kselftestAllowanceSec, plannedKselftests, readKselftests } from '../../harness/test-kinds/kselftest/kselftest.js';
import { narrowCell } from '../../harness/test-kinds/narrow.js';
import { loadError, matrixProject, ONE_CELL_MATRIX } from '../support/matrix-files.js';

const base = ONE_CELL_MATRIX;

t.test('a kselftest entry: its targets and skips, and the kernel built with the targets of all its cells', async (t) => {
  const file = matrixProject(
    `${base}tests:\n  - probe\n  - kselftest: { targets: [timers, size, timers], skip: ['timers:raw_skew'] }\ncell_tests:\n  - when: { transport: modern }\n    tests: [{ kselftest: { targets: [net/forwarding], timeout: 9 } }]\n`,
  );
  const matrix = loadMatrix(file);
  t.same(
    matrix.tests[1],
    { kind: 'kselftest', targets: ['timers', 'size'], skip: ['timers:raw_skew'], timeoutSec: null },
    'a target named twice is one',
  );
  t.same(matrix.kernels[0]!.kselftestTargets, ['net/forwarding'], 'the only cell runs the cell_tests rule: its kernel builds its target');
  const two = matrixProject(
    `${base.replace('transports: [modern]', 'transports: [legacy, modern]')}tests:\n  - kselftest: { targets: [timers, size] }\ncell_tests:\n  - when: { transport: modern }\n    tests: [{ kselftest: { targets: [net/forwarding] } }]\n`,
  );
  t.same(
    loadMatrix(two).kernels[0]!.kselftestTargets,
    ['net/forwarding', 'size', 'timers'],
    'one build for the targets of every cell, sorted',
  );
  const [cell] = expandMatrix(loadMatrix(matrixProject(`${base}tests:\n  - kselftest: { targets: [size] }\n`)));
  t.ok(runsUserspace(cell!), 'a cell with kselftests boots the userspace layer');
});

t.test('bad input: one error naming the file, the line and the key', async (t) => {
  t.match(
    loadError(matrixProject(`${base}tests:\n  - kselftest: { targets: [../etc] }\n`)).message,
    /m\.yaml:8:\d+: tests\[0\]\.kselftest\.targets\[0\]: .*a folder of tools\/testing\/selftests/,
  );
  t.match(loadError(matrixProject(`${base}tests:\n  - kselftest: { targets: [] }\n`)).message, /tests\[0\]\.kselftest\.targets/);
  t.match(
    loadError(matrixProject(`${base}tests:\n  - kselftest: { targets: [size], skip: [get_size] }\n`)).message,
    /tests\[0\]\.kselftest\.skip\[0\]: .*target:test/,
  );
  t.match(
    loadError(matrixProject(`${base}tests:\n  - kselftest: { targets: [size], skip: ['timers:raw_skew'] }\n`)).message,
    /m\.yaml:8:\d+: tests\[0\]\.kselftest\.skip\[0\]: timers:raw_skew is not a test of the targets listed \(size\)/,
  );
  t.match(
    loadError(matrixProject(`${base}tests:\n  - kselftest: { targets: [size] }\n  - kselftest: { targets: [timers] }\n`)).message,
    /m\.yaml:9:\d+: tests\[1\]\.kselftest: a second kselftest entry/,
  );
  t.match(
    loadError(matrixProject(`${base}tests:\n  - kselftest: { targets: [size], timeout: 0 }\n`)).message,
    /tests\[0\]\.kselftest\.timeout/,
  );
  const image = matrixProject(
    `name: t\nkernels:\n  a: { definition: img }\nvmms:\n  q: { type: qemu }\ntransports: [modern]\ntests:\n  - kselftest: { targets: [size] }\n`,
    {
      'kernels/img.yaml': 'source:\n  image: Image\narch: arm64\ncross_compile: aarch64-linux-gnu-\n',
      'kernels/Image': 'x',
    },
  );
  t.match(
    loadError(image).message,
    /tests: kernel "a" is already built \(its source is an image\): kselftests are built from a kernel's source/,
  );
});

const installed: KselftestCase[] = [
  { target: 'size', test: 'get_size', settingsTimeoutSec: null },
  { target: 'timers', test: 'posix_timers', settingsTimeoutSec: null },
  { target: 'timers', test: 'raw_skew', settingsTimeoutSec: null },
  { target: 'splice', test: 'short_splice_read.sh', settingsTimeoutSec: 5 },
  { target: 'other', test: 'not_asked', settingsTimeoutSec: null },
];
const spec = (over: Partial<KselftestTestSpec> = {}): KselftestTestSpec => ({
  kind: 'kselftest',
  targets: ['size', 'timers', 'splice'],
  skip: ['timers:raw_skew'],
  timeoutSec: null,
  ...over,
});

t.test(
  "the agent's plan: each test of the cell's targets in its target's folder, the skipped ones left out, each with its deadline",
  async (t) => {
    const plan = plannedKselftests(spec(), installed, 1000);
    t.same(
      plan.map((p) => p.name),
      ['size:get_size', 'timers:posix_timers', 'splice:short_splice_read.sh'],
      'targets of other cells and skipped tests are not run',
    );
    t.same(
      plan[0]!.argv,
      ['/bin/sh', '-c', 'cd "$1" && exec "./$2"', 'kselftest', '/kselftest/size', 'get_size'],
      'names go as arguments, never into the script',
    );
    t.same(
      plan.map((p) => p.timeoutSec),
      [45, 45, 5],
      "kselftest's 45 s unless the target's settings say otherwise",
    );
    t.same(
      plannedKselftests(spec({ timeoutSec: 9 }), installed, 1000).map((p) => p.timeoutSec),
      [9, 9, 9],
      "the matrix's timeout wins",
    );
    t.equal(kselftestAllowanceSec(spec(), installed), 46 + 46 + 6, "the VMM's time grows by every test's deadline");
    t.equal(plan[0]!.capBytes, 1000);
  },
);

t.test('commands first, then kselftests: one plan, one allowance, the kselftest layer after the userspace one', async (t) => {
  const cell = {
    tests: [
      { kind: 'command' as const, name: 'c', argv: ['true'] as [string], files: [], timeoutSec: 3, expectExit: 0 },
      { ...spec(), installed: { layer: '/cache/kselftests/k/layer.cpio.gz', tests: installed } },
    ],
    boot: { consoleCapBytes: 8 * 1024 * 1024 },
  } as unknown as Cell;
  t.same(
    agentCommands(cell).map((c) => c.name),
    ['c', 'size:get_size', 'timers:posix_timers', 'splice:short_splice_read.sh'],
  );
  t.equal(kindAllowanceSec(cell), 4 + 98);
  t.same(testLayers(cell), ['/cache/kselftests/k/layer.cpio.gz']);
  t.same(testLayers({ tests: [{ kind: 'probe' }], boot: cell.boot }), [], 'nothing for a cell without kselftests');
});

const seen = (
  index: number,
  name: string,
  end: Partial<NonNullable<CommandObservation['end']>> | null,
  output = '',
): CommandObservation => ({
  index,
  name,
  program: '/bin/sh',
  timeoutSec: 45,
  capBytes: 100,
  output,
  outputIntact: true,
  end:
    end === null
      ? null
      : { result: 'exit', code: 0, signal: null, detail: '', bytes: output.length, shown: output.length, crc: 0, seconds: 0.1, ...end },
});

t.test(
  'leaves as kselftest reads exit statuses: 0 passes, 4 skips, others fail; a deadline is a timeout; TAP it prints is its subtests',
  async (t) => {
    const tests: KselftestCase[] = [
      { target: 'a', test: 'pass', settingsTimeoutSec: null },
      { target: 'a', test: 'skips', settingsTimeoutSec: null },
      { target: 'a', test: 'fails', settingsTimeoutSec: null },
      { target: 'b', test: 'hangs', settingsTimeoutSec: 3 },
      { target: 'b', test: 'skipped', settingsTimeoutSec: null },
      { target: 'b', test: 'never', settingsTimeoutSec: null },
    ];
    const s: KselftestTestSpec = { kind: 'kselftest', targets: ['a', 'b'], skip: ['b:skipped'], timeoutSec: null };
    // one command before them: their indices start at 2
    const reading = readKselftests(
      s,
      tests,
      [
        seen(1, 'a-command', {}),
        seen(2, 'a:pass', {}, 'TAP version 13\n1..2\nok 1 first\nok 2 # SKIP CLOCK_TAI\n'),
        seen(3, 'a:skips', { code: 4 }, '1..13\nok 1 # SKIP sys membarrier (CONFIG_MEMBARRIER) is disabled.\n'),
        seen(4, 'a:fails', { code: 1 }),
        seen(5, 'b:hangs', { result: 'timeout', code: null }),
      ],
      2,
    );
    const [a, b] = reading.node.children;
    const verdicts = (n: typeof a) => n!.children.map((c) => [c.path, c.verdict]);
    t.same(verdicts(a), [
      ['kselftest.a.pass', 'pass'],
      ['kselftest.a.skips', 'skip'],
      ['kselftest.a.fails', 'fail'],
    ]);
    t.same(verdicts(b), [
      ['kselftest.b.hangs', 'timeout'],
      ['kselftest.b.skipped', 'skip'],
      ['kselftest.b.never', 'crashed'],
    ]);
    t.same(
      a!.children[0]!.children.map((c) => [c.path, c.verdict]),
      [
        ['kselftest.a.pass.first', 'pass'],
        ['kselftest.a.pass.CLOCK_TAI', 'skip'],
      ],
      'a nameless "ok 2 # SKIP CLOCK_TAI" is named by its reason',
    );
    t.equal(
      a!.children[1]!.verdict,
      'skip',
      'a test that skipped itself stays skipped though its plan was left short (TAP without a version line, as membarrier prints it)',
    );
    t.match(a!.children[1]!.reasons, [/exited 4 \(KSFT_SKIP\)/, /12 of 13 planned tests never reported/]);
    t.same(a!.children[2]!.reasons, ['exited 1']);
    t.match(b!.children[0]!.reasons[0], /did not finish within 3 s/);
    t.same(b!.children[1]!.reasons, ['skipped by the matrix (kselftest skip:)']);
    t.equal(reading.node.verdict, 'fail');
    t.same(reading.problems, []);

    const skipThenLie = readKselftests(
      s,
      tests,
      [seen(2, 'a:pass', {}), seen(3, 'a:skips', { code: 4 }, '1..1\nok 1 # SKIP disabled\nnot ok 2 after\n')],
      2,
    );
    t.equal(skipThenLie.node.children[0]!.children[1]!.verdict, 'fail', 'a skip whose TAP does not add up fails');
    const sameReason = readKselftests(
      s,
      tests,
      [seen(2, 'a:pass', {}, 'TAP version 13\n1..2\nok 1 # SKIP CLOCK_TAI\nok 2 # SKIP CLOCK_TAI\n')],
      2,
    );
    t.same(
      sameReason.node.children[0]!.children[0]!.children.map((c) => c.path),
      ['kselftest.a.pass.CLOCK_TAI', 'kselftest.a.pass.CLOCK_TAI__232'],
      'nameless skips of one reason: distinct paths',
    );

    const noIndexMatch = readKselftests(s, tests, [seen(1, 'a:pass', {})], 2);
    t.equal(noIndexMatch.node.children[0]!.children[0]!.verdict, 'crashed', "a record at another index is not the test's");
    const unknownSkip = readKselftests({ ...s, skip: ['b:gone'] }, tests, [], 1);
    t.match(unknownSkip.problems, [/skips kselftest b:gone, which its targets did not install/]);
  },
);

t.test('--test keeps the targets the glob reaches', async (t) => {
  const [cell] = expandMatrix(loadMatrix(matrixProject(`${base}tests:\n  - probe\n  - kselftest: { targets: [size, timers] }\n`)));
  t.same(narrowCell(cell!, 'kselftest.timers.*')!.tests, [{ kind: 'kselftest', targets: ['timers'], skip: [], timeoutSec: null }]);
  const kselftestsOnly = narrowCell(cell!, 'kselftest')!;
  t.same(
    kselftestsOnly.tests.map((x) => x.kind),
    ['kselftest'],
    'the probe is left out',
  );
  t.same(kselftestsOnly.devices, cell!.devices, 'not the devices: a test in the guest may use them');
  t.ok(cell!.devices.length > 0);
  t.equal(narrowCell(cell!, 'kselftest.net.*'), null, 'a target the cell does not run');
  t.same(
    narrowCell(cell!, 'probe')!.tests.map((x) => x.kind),
    ['probe'],
  );
});

t.test("what an install says: kselftest-list.txt's tests and a target's settings timeout", async (t) => {
  t.same(parseKselftestList('timers:posix_timers\nnet/forwarding:router.sh\n\nexec:load_address.0x1000\nEmit Tests for x\n'), [
    { target: 'timers', test: 'posix_timers' },
    { target: 'net/forwarding', test: 'router.sh' },
    { target: 'exec', test: 'load_address.0x1000' },
  ]);
  t.equal(settingsTimeout('timeout=180\n'), 180);
  t.equal(settingsTimeout('timeout=0\n'), null, '0 is no limit: the agent then gives the default');
  t.equal(settingsTimeout('# nothing\n'), null);
});
