import t from 'tap';
import { parseConsole } from '../../harness/console/parse.js';
import { InputError } from '../../harness/matrix/input-error.js';
import { kunitCommandLine, kunitFilterFor } from '../../harness/test-kinds/kunit/kunit.js';
import { narrowCell, narrowCells } from '../../harness/test-kinds/narrow.js';
import { bisectDecision } from '../../harness/verdict/bisect-exit.js';
import { judge } from '../../harness/verdict/decide.js';
import { leavesOf } from '../../harness/verdict/tree.js';
import type { LaunchOutcome } from '../../harness/vmm/types.js';
import { kunitCell, qemuCell } from '../support/cells.js';
import { consoleFixture } from '../support/fixtures.js';
import { decideBooted } from '../support/decide.js';

t.test('the kernel filter a --test glob needs: at least every KUnit test it names', async (t) => {
  const cases: [string, string | null | undefined][] = [
    ['kunit', null],
    ['kunit.*', null],
    ['*', null],
    ['k*', null],
    ['kunit.list-kunit-test', 'list-kunit-test'],
    ['kunit.list-kunit-test.list_test_list_add', 'list-kunit-test.list_test_list_add'],
    ['kunit.list-kunit-test.list_test_*', 'list-kunit-test.list_test_*'],
    ['kunit.list-*', 'list-*'],
    // a * of a test glob crosses dots, the kernel's does not: no narrowing rather than a wrong one
    ['kunit.*add', null],
    ['kunit.suite.case.param', 'suite.case'],
    ['kunit.suite.case.par*', 'suite.case'],
    ['kunit.a__20b', null],
    ['probe.rng1', undefined],
    ['p*', undefined],
  ];
  for (const [glob, filter] of cases) t.equal(kunitFilterFor(glob), filter, glob);
});

t.test('a cell narrowed to --test: the kinds the glob reaches, the filter, and the glob kept for the verdict', async (t) => {
  const both = {
    ...kunitCell('list-*'),
    tests: [{ kind: 'probe' as const }, ...kunitCell('list-*').tests],
    devices: qemuCell('flat', 'modern').devices,
  };
  const kunitOnly = narrowCell(both, 'kunit.list-kunit-test.list_test_list_del')!;
  t.same(
    kunitOnly.tests.map((x) => x.kind),
    ['kunit'],
  );
  t.same(kunitOnly.devices, [], 'no probe, no devices');
  t.equal(kunitOnly.only, 'kunit.list-kunit-test.list_test_list_del');
  t.same(kunitCommandLine(kunitOnly), ['log_buf_len=1M', 'kunit.filter_glob=list-kunit-test.list_test_list_del']);
  const probe = narrowCell(both, 'probe.rng1')!;
  t.same(probe.tests, [{ kind: 'probe' }]);
  t.equal(probe.devices.length, 3);
  t.same(kunitCommandLine(probe), ['kunit.enable=0'], 'a KUnit kernel whose cell runs no KUnit');
  t.same(
    narrowCell(both, 'kunit')!.tests.map((x) => (x.kind === 'kunit' ? x.filter : x.kind)),
    ['list-*'],
    "the glob names all of KUnit: the matrix's filter stands",
  );
  t.equal(narrowCell(qemuCell('flat', 'modern'), 'kunit.x'), null, 'a probe-only cell runs nothing kunit.x names');
  t.throws(
    () => narrowCells([qemuCell('flat', 'modern')], 'kunit.x'),
    new InputError('--test kunit.x names no test the selected cells run (they run probe)'),
  );
  t.throws(() => narrowCells([both], 'kunit.a b'), /--test kunit\.a b: "a b" in "kunit\.a b" holds a character/);
});

t.test("the verdict of a narrowed cell is its named tests'; a bisect step is good or bad by them alone", async (t) => {
  const f = consoleFixture('kunit-6.1-pass');
  const exited: LaunchOutcome = {
    kind: 'exited',
    code: 0,
    signal: null,
    durationMs: 1100,
    firstOutputMs: 40,
    consoleBytes: 20000,
    consoleTruncated: false,
    stderrTail: [],
  };
  const obs = parseConsole(f.text, { nonce: f.nonce });
  const cell = narrowCell(kunitCell(), 'kunit.list-kunit-test.list_test_list_del*')!;
  const v = judge(decideBooted(cell, exited, obs), cell.expect, [{ test: 'kunit.no-such.*', verdict: 'fail' }], { only: cell.only! });
  t.equal(v.verdict, 'pass', 'an expect glob outside the narrowed tests is not an error');
  t.same(
    leavesOf(v.tests).map((l) => l.name),
    ['list_test_list_del', 'list_test_list_del_init', 'list_test_list_del_init_careful'],
  );

  const tested = (tests: ('pass' | 'fail' | 'skip' | 'crashed' | 'flaky')[], verdict: 'pass' | 'fail' | 'error' = 'pass') =>
    bisectDecision({ kind: 'tested', glob: 'kunit.s.c', verdict, tests });
  t.same([tested(['pass']).mark, tested(['pass']).code], ['good', 0]);
  t.same([tested(['pass', 'fail'], 'fail').mark, tested(['pass', 'fail'], 'fail').code], ['bad', 1]);
  t.equal(tested(['crashed'], 'fail').why, 'kunit.s.c: crashed');
  t.equal(tested(['flaky'], 'fail').why, 'kunit.s.c: the tries disagree');
  t.same([tested([]).mark, tested([]).code], ['skip', 125]);
  t.match(tested([]).why, /no test kunit\.s\.c in this kernel/);
  t.same([tested(['skip']).mark, tested(['skip']).code], ['skip', 125]);
  t.same([tested(['pass'], 'error').mark, tested(['pass'], 'error').code], ['abort', 128], "the cell's error is the harness's trouble");
  t.equal(tested(['pass'], 'fail').mark, 'good', 'a failure outside the named tests does not make the commit bad');
});
