/**
 * The command test kind: its matrix key (bad input named by file, line and
 * key), its verdict from the agent's records, what --test keeps of it, and
 * what the boot's archive takes into the guest. The whole of it runs in a
 * real guest in test/integration/commands.test.ts.
 */
import t from 'tap';
import type { CommandObservation } from '../../harness/console/types.js';
import { expandMatrix } from '../../harness/matrix/expand.js';
import { loadMatrix } from '../../harness/matrix/load.js';
import type { CommandTestSpec } from '../../harness/matrix/types.js';
import { programFileEntries } from '../../harness/guest/boot-archive.js';
import { commandAllowanceSec, globReachesCommand, readCommands } from '../../harness/test-kinds/command/command.js';
import { guestPayload } from '../../harness/test-kinds/registry.js';
import { narrowCell } from '../../harness/test-kinds/narrow.js';
import { loadError, matrixProject, ONE_CELL_MATRIX } from '../support/matrix-files.js';

const base = ONE_CELL_MATRIX;

function project(matrix: string, extra: Record<string, string> = {}): string {
  return matrixProject(matrix, { 'matrices/check.sh': 'exit 0\n', ...extra });
}

t.test('a command as a script file or an argv, its files found beside the matrix', async (t) => {
  const file = project(
    `${base}tests:\n  - probe\n  - command: { name: script, run: check.sh, files: [data.txt] }\n  - command: { name: argv, run: [cat, /proc/ioports], timeout: 5, expect_exit: 1 }\n`,
    { 'matrices/data.txt': 'x' },
  );
  const [cell] = expandMatrix(loadMatrix(file));
  const [script, argv] = cell!.tests.filter((s): s is CommandTestSpec => s.kind === 'command');
  t.same(script!.argv, ['sh', '/kvmatrix/files/check.sh'], "a script is run by the guest's sh");
  t.same(
    script!.files.map((f) => f.split('/').pop()),
    ['data.txt', 'check.sh'],
  );
  t.match(script, { timeoutSec: 60, expectExit: 0 }, 'a minute and exit 0 by default');
  t.match(argv, { argv: ['cat', '/proc/ioports'], files: [], timeoutSec: 5, expectExit: 1 });
  t.equal(commandAllowanceSec(cell!), 60 + 1 + 5 + 1, "the VMM's time grows by every command's deadline");
  const entries = programFileEntries(guestPayload(cell!).files, (f) => Buffer.from(`content of ${f.split('/').pop()}`));
  t.same(
    entries.map((e) => e.path),
    ['kvmatrix/files', 'kvmatrix/files/data.txt', 'kvmatrix/files/check.sh'],
  );
});

t.test('bad input: one error naming the file, the line and the key', async (t) => {
  t.match(
    loadError(project(`${base}tests:\n  - command: { name: c, run: gone.sh }\n`)).message,
    /m\.yaml:8:\d+: tests\[0\]\.command\.run: command file .*gone\.sh does not exist or is not a file$/,
  );
  t.match(
    loadError(project(`${base}tests:\n  - command: { name: c, run: [sh], files: [nope] }\n`)).message,
    /m\.yaml:8:\d+: tests\[0\]\.command\.files\[0\]: command file .*nope does not exist/,
  );
  t.match(
    loadError(project(`${base}tests:\n  - command: { name: 'a b', run: [sh] }\n`)).message,
    /tests\[0\]\.command\.name: .*letters, digits, "_" and "-"/,
  );
  t.match(
    loadError(project(`${base}tests:\n  - command: { name: c, run: [] }\n`)).message,
    /m\.yaml:8:\d+: tests\[0\]: .*\{ command: \{ name, run, files, timeout, expect_exit \} \}/,
    'an empty argv: the shape a test takes',
  );
  t.match(
    loadError(project(`${base}tests:\n  - command: { name: c, run: [sh], expect_exit: 256 }\n`)).message,
    /tests\[0\]\.command\.expect_exit/,
  );
  t.match(
    loadError(project(`${base}tests:\n  - command: { name: c, run: [sh] }\n  - command: { name: c, run: [/bin/true] }\n`)).message,
    /m\.yaml:9:\d+: tests\[1\]\.command\.name: a second command named "c"/,
  );
  t.match(
    loadError(project(`${base}tests:\n  - command: { name: c, run: check.sh, files: [sub/check.sh] }\n`, { 'matrices/sub/check.sh': '' }))
      .message,
    /two files named check\.sh/,
  );
  t.match(
    loadError(
      project(`${base}tests:\n  - command: { name: a, run: run.sh }\n  - command: { name: b, run: sub/run.sh }\n`, {
        'matrices/run.sh': 'echo one',
        'matrices/sub/run.sh': 'echo two',
      }),
    ).message,
    /m\.yaml:9:\d+: tests\[1\]\.command: two different files named run\.sh in one list of tests \(.*\/matrices\/run\.sh and .*\/matrices\/sub\/run\.sh\)/,
    "two commands' files of one name: one would overwrite the other in the guest",
  );
  t.doesNotThrow(
    () =>
      loadMatrix(
        project(`${base}tests:\n  - command: { name: a, run: run.sh }\n  - command: { name: b, run: run.sh }\n`, {
          'matrices/run.sh': 'x',
        }),
      ),
    'one file two commands take is one',
  );
});

const spec = (name: string, expectExit = 0): CommandTestSpec => ({
  kind: 'command',
  name,
  argv: ['sh'],
  files: [],
  timeoutSec: 7,
  expectExit,
});
const seen = (
  index: number,
  name: string,
  end: Partial<NonNullable<CommandObservation['end']>> | null,
  intact = true,
): CommandObservation => ({
  index,
  name,
  program: 'sh',
  timeoutSec: 7,
  capBytes: 100,
  output: 'line one\nline two\n',
  outputIntact: intact,
  end: end === null ? null : { result: 'exit', code: 0, signal: null, detail: '', bytes: 18, shown: 18, crc: 0, seconds: 0.1, ...end },
});

t.test('a leaf per command: its exit status against the expected one, a deadline, a signal, a program that is not there', async (t) => {
  const specs = [spec('ok'), spec('three', 3), spec('wrong'), spec('slow'), spec('killed'), spec('missing')];
  const reading = readCommands(specs, [
    seen(1, 'ok', {}),
    seen(2, 'three', { code: 3 }),
    seen(3, 'wrong', { code: 1, bytes: 5000 }),
    seen(4, 'slow', { result: 'timeout', code: null }),
    seen(5, 'killed', { result: 'signal', code: null, signal: 11 }),
    seen(6, 'missing', { result: 'exec-failed', code: null, detail: 'No such file or directory' }),
  ]);
  t.same(
    reading.node.children.map((c) => [c.path, c.verdict]),
    [
      ['command.ok', 'pass'],
      ['command.three', 'pass'],
      ['command.wrong', 'fail'],
      ['command.slow', 'timeout'],
      ['command.killed', 'fail'],
      ['command.missing', 'fail'],
    ],
  );
  t.same(reading.node.children[2]!.reasons, ['exited 1, expected 0', 'output cut at 18 of 5000 bytes']);
  t.match(reading.node.children[3]!.reasons[0], /did not finish within 7 s/);
  t.match(reading.node.children[4]!.reasons[0], /signal 11/);
  t.match(reading.node.children[5]!.reasons[0], /could not run sh: No such file or directory/);
  t.same(reading.node.children[0]!.log, ['line one', 'line two'], "the command's output is its log");
  t.equal(reading.node.verdict, 'fail');
  t.same(reading.untrusted, []);
});

t.test("a command that never ran or never ended crashed; an output that does not add up is the cell's error", async (t) => {
  const reading = readCommands([spec('cut'), spec('never')], [seen(1, 'cut', null)]);
  t.same(
    reading.node.children.map((c) => c.verdict),
    ['crashed', 'crashed'],
  );
  t.match(reading.node.children[0]!.reasons[0], /never ended/);
  t.match(reading.node.children[1]!.reasons[0], /never ran/);
  const forged = readCommands([spec('x')], [seen(1, 'x', {}, false)]);
  t.match(forged.untrusted, [/command x: its output on the console does not add up/]);
  const swapped = readCommands([spec('x')], [seen(1, 'y', {})]);
  t.equal(swapped.node.children[0]!.verdict, 'crashed', "a record of another command is not this one's");
});

t.test('--test keeps the commands it names', async (t) => {
  t.ok(globReachesCommand('command', 'a'));
  t.ok(globReachesCommand('command.*', 'a'));
  t.ok(globReachesCommand('command.a', 'a'));
  t.notOk(globReachesCommand('command.b', 'a'));
  t.notOk(globReachesCommand('probe', 'a'));
  const file = project(
    `${base}tests:\n  - probe\n  - command: { name: a, run: [/bin/true] }\n  - command: { name: b, run: [/bin/true] }\n`,
  );
  const [cell] = expandMatrix(loadMatrix(file));
  const narrowed = narrowCell(cell!, 'command.b')!;
  t.same(
    narrowed.tests.map((s) => (s.kind === 'command' ? s.name : s.kind)),
    ['b'],
  );
  t.same(narrowed.devices, cell!.devices, 'no probe, but the devices stay: a command may use them (virtio-health.sh does)');
  t.ok(narrowed.devices.length > 0);
});

t.test('TAP or KTAP a command prints becomes its subtests; a failing subtest or a short plan fails it whatever its exit', async (t) => {
  const withOutput = (output: string, code = 0): CommandObservation => ({ ...seen(1, 'tap', { code }), output });
  const tap13 =
    'TAP version 13\n1..3\n# selftests: timers: posix_timers\nok 1 selftests: timers: posix_timers\nnot ok 2 selftests: timers: nanosleep # exit=1\nok 3 selftests: timers: raw # SKIP no raw clock\n';
  const [node] = readCommands([spec('tap')], [withOutput(tap13, 1)]).node.children;
  t.same(
    node!.children.map((c) => c.path),
    [
      'command.tap.selftests__3a__20timers__3a__20posix_timers',
      'command.tap.selftests__3a__20timers__3a__20nanosleep',
      'command.tap.selftests__3a__20timers__3a__20raw',
    ],
    "each named by its result line, escaped as the tree's paths are",
  );
  t.same(
    node!.children.map((c) => c.verdict),
    ['pass', 'fail', 'skip'],
  );
  t.equal(node!.verdict, 'fail');
  t.match(node!.children[2]!.reasons, ['skipped: no raw clock']);
  t.same(node!.children[1]!.reasons, ['exit=1'], "the runner's comment after ' # ' is why, not part of the name");

  const ktap =
    'KTAP version 1\n1..1\n    KTAP version 1\n    1..2\n    ok 1 case_a\n    not ok 2 case_b\n    # case_b: wrong\nnot ok 1 suite\n';
  const [nested] = readCommands([spec('tap')], [withOutput(ktap, 0)]).node.children;
  t.same(
    nested!.children.map((c) => [c.name, c.verdict, c.children.map((x) => x.verdict)]),
    [['suite', 'fail', ['pass', 'fail']]],
  );
  t.equal(nested!.verdict, 'fail', 'a failing subtest fails a command that exited 0');

  const [short] = readCommands([spec('tap')], [withOutput('TAP version 13\n1..3\nok 1 one\n', 0)]).node.children;
  t.equal(short!.verdict, 'fail');
  t.match(short!.reasons, ['2 of 3 planned tests never reported']);

  const [plain] = readCommands([spec('tap')], [withOutput('just text\nok then\n', 0)]).node.children;
  t.same(plain!.children, [], 'output without a TAP header has no subtests');
  t.equal(plain!.verdict, 'pass');
});

t.test(
  'TAP read whole: every document, every level, a plan at either end; what does not add up fails a command that exited 0',
  async (t) => {
    const withOutput = (output: string, code = 0): CommandObservation => ({ ...seen(1, 'tap', { code }), output });
    const read = (output: string, code = 0) => readCommands([spec('tap')], [withOutput(output, code)]).node.children[0]!;
    const failing: [string, string, RegExp][] = [
      [
        'two documents, the first with a not ok',
        'TAP version 13\n1..1\nnot ok 1 first_doc\nTAP version 13\n1..1\nok 1 second_doc\n',
        /first_doc/,
      ],
      ['a result after the plan is met', 'TAP version 13\n1..1\nok 1 a\nnot ok 2 b\n', /a line after the document ended: "not ok 2 b"/],
      [
        'a nested plan of 3 with one result',
        'TAP version 13\n1..1\n    1..3\n    ok 1 inner\nok 1 outer\n',
        /2 of 3 planned subtests never reported before its result "ok 1 outer"/,
      ],
      [
        'a trailing plan that does not match',
        'TAP version 13\nok 1 a\nok 2 b\n1..3\n',
        /its plan at the end, "1\.\.3", counts 3 tests where 2 reported/,
      ],
      ['results without a plan', 'TAP version 13\nok 1 a\n', /1 result without a plan/],
      ['TAP 12: no version line, a failing result', '1..2\nok 1 a\nnot ok 2 b\n', /reported not ok/],
    ];
    for (const [name, output, why] of failing) {
      const node = read(output);
      t.equal(node.verdict, 'fail', name);
      t.match([...node.reasons, ...node.children.flatMap((c) => [c.name, ...c.reasons])].join('\n'), why, name);
    }
    const both = read('TAP version 13\n1..1\nnot ok 1 first_doc\nTAP version 13\n1..1\nok 1 second_doc\n');
    t.same(
      both.children.map((c) => [c.name, c.verdict]),
      [
        ['first_doc', 'fail'],
        ['second_doc', 'pass'],
      ],
      "both documents' tests are its subtests",
    );
    t.equal(read('TAP version 13\nok 1 a\nok 2 b\n1..2\n').verdict, 'pass', 'a trailing plan that counts right');
    t.equal(read('1..1\nok 1 a\n').verdict, 'pass', 'TAP 12 that adds up');
  },
);

t.test('results of one name: distinct paths, the second and later with their numbers, the same in every report', async (t) => {
  const withOutput = (output: string): CommandObservation => ({ ...seen(1, 'tap', { code: 0 }), output });
  const [node] = readCommands([spec('tap')], [withOutput('TAP version 13\n1..3\nnot ok 1 check\nok 2 check\nok 3 check\n')]).node.children;
  t.same(
    node!.children.map((c) => [c.path, c.name, c.verdict]),
    [
      ['command.tap.check', 'check', 'fail'],
      ['command.tap.check__232', 'check#2', 'pass'],
      ['command.tap.check__233', 'check#3', 'pass'],
    ],
  );
});
