/**
 * Every report speaks a cell's tree of tests: TAP subtests read back by
 * tap-parser with the right counts at every level, a JUnit testcase per
 * test, the HTML counts and panel, the summary, compare per test, repeats
 * per test, and results.json read back. The run is judged from real KUnit
 * consoles (test/support/results.ts kunitRun).
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import t from 'tap';
import { compareRuns, isNewFailure, newTestFailures } from '../../harness/report/compare.js';
import { renderComparisonText } from '../../harness/report/compare-report.js';
import { renderHtml } from '../../harness/report/html.js';
import { renderJunit } from '../../harness/report/junit.js';
import { loadRun } from '../../harness/report/load-results.js';
import { renderSummary } from '../../harness/report/summary.js';
import { renderTap } from '../../harness/report/tap.js';
import type { CellRecord } from '../../harness/report/types.js';
import { combineRepeats } from '../../harness/run/repeat.js';
import { writeReports } from '../../harness/run/write-reports.js';
import { leavesOf, type TestNode } from '../../harness/verdict/tree.js';
import { kunitRun } from '../support/results.js';
import { tapLevels } from '../support/tap.js';
import { tempTree } from '../support/temp-tree.js';

const run = kunitRun();
const [patched, known, panics] = run.cells as [CellRecord, CellRecord, CellRecord];

t.test('the judged run: a pass, a case expected to fail that passed, a panic with its cases named', async (t) => {
  t.same([patched.verdict, patched.status], ['pass', 'as-expected']);
  t.same([known.verdict, known.status], ['pass', 'unexpected']);
  t.match(known.reasons, [/^kunit\.list-kunit-test\.list_test_list_del: expected to fail \(a known bug\), passed$/]);
  t.same([panics.verdict, panics.status], ['fail', 'unexpected']);
});

t.test('TAP 14 subtests: tap-parser reads the counts of every level', async (t) => {
  const tap = renderTap(run);
  const levels = await tapLevels(tap);
  t.same(levels.get(''), { ok: false, count: 3, pass: 1, failing: 2, todo: 0, skip: 0 }, 'the cells');
  t.same(levels.get('/patched/qemu-flat/modern'), { ok: true, count: 1, pass: 1, failing: 0, todo: 0, skip: 0 }, 'a cell: its kunit');
  t.same(levels.get('/patched/qemu-flat/modern/kunit'), { ok: true, count: 13, pass: 13, failing: 0, todo: 0, skip: 0 }, '13 suites');
  t.same(levels.get('/patched/qemu-flat/modern/kunit/list-kunit-test'), { ok: true, count: 39, pass: 39, failing: 0, todo: 0, skip: 0 });
  t.same(
    levels.get('/patched/qemu-flat/modern/kunit/example'),
    { ok: true, count: 4, pass: 4, failing: 0, todo: 0, skip: 2 },
    'the two skips',
  );
  t.same(
    levels.get('/known/qemu-flat/modern/kunit/list-kunit-test'),
    { ok: false, count: 39, pass: 38, failing: 1, todo: 0, skip: 0 },
    'the case that passed where a failure was expected',
  );
  t.same(
    levels.get('/panics/qemu-flat/modern/kunit/list-kunit-test'),
    { ok: false, count: 39, pass: 3, failing: 36, todo: 0, skip: 0 },
    'three cases ran, the rest crashed',
  );
  t.match(
    tap,
    /^ {12}not ok 4 - list_test_list_del: crashed\n {14}---\n {14}path: kunit\.list-kunit-test\.list_test_list_del\n {14}verdict: crashed\n/m,
    'a diagnostic block with its path and verdict',
  );
  t.match(
    tap,
    /^ {14}log:\n(?: {16}- .*\n)*? {16}- "Kernel panic - not syncing: list_del took the kernel down"$/m,
    'and its console lines',
  );
  t.match(tap, /^ {12}not ok 4 - list_test_list_del: passed, expected fail$/m);
});

t.test('a known failure is not ok with a TODO directive; the cell and its parents stay ok', async (t) => {
  const expected = kunitRun();
  const cell = expected.cells[2]!;
  // the panic case and all it took down, known: the matrix expects this cell's tests to fail
  const known = (n: TestNode): TestNode =>
    ({
      ...n,
      status: n.status === 'unexpected' ? 'as-expected' : n.status,
      expectedWhy: n.children.length ? undefined : 'a known crash',
      children: n.children.map(known),
    }) as TestNode;
  cell.tests = cell.tests!.map(known);
  cell.status = 'as-expected';
  const levels = await tapLevels(renderTap(expected));
  t.same(
    levels.get('/panics/qemu-flat/modern/kunit/list-kunit-test'),
    { ok: true, count: 39, pass: 3, failing: 0, todo: 36, skip: 0 },
    'todo, not failing',
  );
  t.match(renderTap(expected), /not ok 4 - list_test_list_del # TODO expected to fail: a known crash/);
});

t.test('JUnit: a testcase per cell and per test, classname the cell and the suite; totals from the testcases', async (t) => {
  const xml = renderJunit(run);
  t.equal(XMLValidator.validate(xml), true);
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
  const cases = doc.testsuites.testsuite.testcase as { classname: string; name: string; failure?: { type: string }; skipped?: unknown }[];
  const leaves = run.cells.reduce((n, c) => n + leavesOf(c.tests ?? []).length, 0);
  t.equal(leaves, 3 * 107);
  t.equal(cases.length, 3 + leaves);
  t.equal(Number(doc.testsuites.testsuite.tests), cases.length);
  t.equal(Number(doc.testsuites.testsuite.failures), cases.filter((c) => c.failure !== undefined).length);
  t.equal(Number(doc.testsuites.testsuite.skipped), cases.filter((c) => c.skipped !== undefined).length);
  const del = cases.filter((c) => c.name === 'list_test_list_del');
  t.same(
    del.map((c) => c.classname),
    [
      'kunit.patched/qemu-flat/modern.kunit.list-kunit-test',
      'kunit.known/qemu-flat/modern.kunit.list-kunit-test',
      'kunit.panics/qemu-flat/modern.kunit.list-kunit-test',
    ],
  );
  t.same(
    del.map((c) => c.failure?.type ?? null),
    [null, 'unexpected-pass', 'crashed'],
  );
});

t.test('HTML: the count in the grid, the failing tests first in the panel with their console lines', async (t) => {
  const html = renderHtml(run);
  t.match(html, /data-cell="patched\/qemu-flat\/modern">pass<br><small class="tests">kunit 105\/105<\/small>/);
  t.match(html, /data-cell="panics\/qemu-flat\/modern">FAIL \u2260pass<br><small class="tests">kunit 29\/105<\/small>/);
  const panel = html.slice(html.indexOf('id="c-panics/qemu-flat/modern"'));
  t.match(panel, /<code>kunit<\/code>: 29 passed, 76 failed, 2 skipped of 107/);
  t.match(
    panel,
    /<h4>Not passed<\/h4><div class="test v-crashed unexpected"[^>]*><p><code>kunit\.list-kunit-test\.list_test_list_del<\/code>: crashed, NOT as expected/,
  );
  t.match(panel, /Kernel panic - not syncing: list_del took the kernel down/);
});

t.test('the terminal summary names the failing tests under their cell', async (t) => {
  const text = renderSummary(run, '/r/run');
  t.match(
    text,
    /^not as expected: panics\/qemu-flat\/modern: fail, expected pass\n {2}kernel panic at console line \d+: list_del took the kernel down\n(?: {2}.*\n)* {2}kunit\.list-kunit-test\.list_test_list_del: crashed: never reported/m,
  );
  t.match(
    text,
    /^not as expected: known\/qemu-flat\/modern: pass, expected pass\n {2}kunit\.list-kunit-test\.list_test_list_del: expected to fail \(a known bug\), passed$/m,
  );
});

t.test('compare: a case that started failing is named on its own line, also in a cell already not as expected', async (t) => {
  const before = kunitRun();
  const after = kunitRun();
  // the panic cell's run before it had everything passing: its cell id now shows the crash
  before.cells[2] = { ...before.cells[0]!, id: 'panics/qemu-flat/modern', kernel: 'panics' };
  const cmp = compareRuns(before, after);
  const change = cmp.cells.find((c) => c.id === 'panics/qemu-flat/modern')!;
  t.ok(isNewFailure(change));
  t.equal(newTestFailures(change).length, 76, 'the running case and every one after it');
  t.match(
    renderComparisonText(cmp),
    /^ {2}kunit\.list-kunit-test\.list_test_list_del started failing on panics\/qemu-flat\/modern: pass -> CRASHED \(expected pass\)$/m,
  );

  // a cell already not as expected, and one more test starts failing in it
  const known = kunitRun();
  const worse = kunitRun();
  const hash = (tests: TestNode[]) => leavesOf(tests).find((l) => l.name === 'test_string_or')!;
  Object.assign(hash(worse.cells[1]!.tests!), { verdict: 'fail', status: 'unexpected', reasons: ['broken'] });
  const again = compareRuns(known, worse).cells.find((c) => c.id === 'known/qemu-flat/modern')!;
  t.equal(again.kind, 'persistent');
  t.ok(isNewFailure(again), 'a new failing test is a new failure');
  t.same(
    newTestFailures(again).map((c) => c.path),
    ['kunit.hash.test_string_or'],
  );
});

t.test('repeats: a case that passes in one boot and fails in another is flaky, and so is the cell', async (t) => {
  const boot = (n: number, broken: boolean): CellRecord => {
    const c = structuredClone(patched);
    if (broken) {
      Object.assign(
        leavesOf(c.tests!).find((l) => l.name === 'list_test_list_init')!,
        { verdict: 'fail', status: 'unexpected', reasons: ['EXPECTATION FAILED'] },
      );
      // the boot's own verdict, as judged, is fail: both boots "fail" would agree on the cell
      Object.assign(c, { verdict: 'fail', status: 'unexpected' });
    }
    return { ...c, console: `cells/x/boot-${n}/console.log` };
  };
  const combined = combineRepeats([boot(1, false), boot(2, true), boot(3, false)]);
  t.equal(combined.verdict, 'flaky');
  const leaf = leavesOf(combined.tests!).find((l) => l.name === 'list_test_list_init')!;
  t.same([leaf.verdict, leaf.status], ['flaky', 'unexpected']);
  t.match(leaf.reasons, ['flaky: 3 boots disagree (pass, fail, pass)', 'boot 1: pass', 'boot 2: fail: EXPECTATION FAILED', 'boot 3: pass']);
  t.equal(leavesOf(combined.tests!).filter((l) => l.verdict === 'flaky').length, 1, 'only that case');

  // two boots that both fail, on different cases: they agree on the cell, not on the cases
  const a = boot(1, true);
  const b = structuredClone(patched);
  Object.assign(
    leavesOf(b.tests!).find((l) => l.name === 'test_hash_or')!,
    { verdict: 'fail', status: 'unexpected', reasons: ['other'] },
  );
  Object.assign(b, { verdict: 'fail', status: 'unexpected' });
  t.equal(combineRepeats([a, b]).verdict, 'flaky');
});

t.test('results.json with trees reads back, and renders the same', async (t) => {
  const dir = tempTree({}, 'kvmatrix-tree-run-');
  for (const cell of run.cells) {
    mkdirSync(dirname(join(dir, cell.console!)), { recursive: true });
    writeFileSync(join(dir, cell.console!), 'console\n');
  }
  writeReports(run, dir);
  const loaded = loadRun(dir).results;
  t.same(
    loaded.cells.map((c) => leavesOf(c.tests ?? []).length),
    [107, 107, 107],
  );
  t.equal(renderTap(loaded), renderTap(run));
  t.equal(renderJunit(loaded), renderJunit(run));
});
