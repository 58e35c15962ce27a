/**
 * A cell the matrix expects to fail as a whole (an expect rule without
 * `test:`): each test that failed is recorded as expected to fail by that
 * rule, and every report says so the same way; the run's JUnit writes a
 * failure the matrix expects as <skipped> (pytest's xfail), so that a CI
 * page counts it apart from the passes. Judged from a real KUnit console
 * (a panic inside list_test_list_del).
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import t from 'tap';
import { renderHtml } from '../../harness/report/html.js';
import { kcidbSubmission } from '../../harness/report/kcidb.js';
import { renderJunit } from '../../harness/report/junit.js';
import { compareRuns } from '../../harness/report/compare.js';
import { loadRun } from '../../harness/report/load-results.js';
import { runResultsSchema } from '../../harness/report/results-schema.js';
import { summarize } from '../../harness/report/summary.js';
import { renderTap } from '../../harness/report/tap.js';
import type { RunResults } from '../../harness/report/types.js';
import { parseKunitListing } from '../../harness/test-kinds/kunit/kunit-listing.js';
import { testPath } from '../../harness/matrix/test-path.js';
import { cellRecord } from '../../harness/run/cell-record.js';
import { judge } from '../../harness/verdict/decide.js';
import { leavesOf, nodesOf, type TestNode, type TestVerdict, type UnjudgedNode } from '../../harness/verdict/tree.js';
import { kunitCell } from '../support/cells.js';
import { tempTree } from '../support/temp-tree.js';
import { consoleFixture } from '../support/fixtures.js';
import { judgeKunitFixture, kunitRunOf } from '../support/results.js';
import { parseTap, tapLevels } from '../support/tap.js';

const listing = parseKunitListing(consoleFixture('kunit-6.1-listing').text.split('\n'))!;
const cell = judgeKunitFixture(
  'kunit-6.1-panic',
  'unpatched/qemu-flat/modern',
  [{ test: 'kunit.example.*', verdict: 'pass', rule: 4 }],
  listing,
  {
    verdict: 'fail',
    why: 'list_del panics unpatched',
    rule: 3,
  },
);
const run: RunResults = kunitRunOf([cell], '20261207-080000-xf01');
const leaves = leavesOf(cell.tests ?? []);
const del = leaves.find((n) => n.path === 'kunit.list-kunit-test.list_test_list_del')!;
const failed = leaves.filter((n) => n.verdict !== 'pass' && n.verdict !== 'skip');

t.test("results.json: a failure the cell's rule covers is expected to fail, by that rule; a pass is expected to pass", async (t) => {
  t.same([cell.verdict, cell.expected, cell.status, cell.expectedBy], ['fail', 'fail', 'as-expected', { rule: 3, scope: 'cell' }]);
  t.ok(failed.length > 30, `${failed.length} cases failed`);
  t.ok(
    failed.every(
      (n) =>
        n.expected === 'fail' &&
        n.status === 'as-expected' &&
        n.expectedBy?.rule === 3 &&
        n.expectedBy.scope === 'cell' &&
        n.expectedWhy === 'list_del panics unpatched',
    ),
    'none says expected: pass',
  );
  const passed = leaves.filter((n) => n.verdict === 'pass');
  t.ok(passed.length > 0 && passed.every((n) => n.expected === 'pass' && n.status === 'as-expected'));
  t.same(
    leaves.find((n) => n.path === 'kunit.example.example_simple_test')!.expectedBy,
    { rule: 4, scope: 'test' },
    'a rule with test: names itself',
  );
  const nowhere = nodesOf(cell.tests ?? []).filter(
    (n) => n.expected === 'pass' && n.verdict !== 'pass' && n.verdict !== 'skip' && n.status === 'as-expected' && n.children.length === 0,
  );
  t.same(nowhere, [], 'no leaf stored fail, expected pass, as expected');
  const back = runResultsSchema.safeParse(JSON.parse(JSON.stringify(run)));
  t.equal(back.success, true, 'and results.json still validates');
  const broken = runResultsSchema.safeParse(JSON.parse(JSON.stringify(run).replace('"scope":"cell"', '"scope":"elsewhere"')));
  t.equal(broken.success, false, 'a rule of an unknown scope does not');
});

t.test("TAP: TODO naming the rule, and its YAML says expected fail, by the cell's rule", async (t) => {
  const tap = renderTap(run);
  t.match(tap, /not ok 4 - list_test_list_del # TODO expected to fail by expect\[3\], the cell's rule: list_del panics unpatched\n/);
  const block = tap.slice(tap.indexOf('not ok 4 - list_test_list_del'));
  t.match(block, /\n {2,}expected: fail\n {2,}why_expected: list_del panics unpatched\n {2,}expected_by: expect\[3\], the cell's rule\n/);
  t.notMatch(tap, /expected: pass\n[^.]*why_expected/, 'no block pairs expected: pass with the rule');
  const levels = await tapLevels(tap);
  t.same(levels.get('/unpatched/qemu-flat/modern/kunit/list-kunit-test'), { ok: true, count: 39, pass: 3, failing: 0, todo: 36, skip: 0 });
  const { final } = await parseTap(tap);
  t.equal(final.ok, true, 'the run is ok: its cell failed as the matrix expects');
});

t.test(
  'JUnit: the cell and each covered failure are <skipped type="expected-failure"> with the expectation; counted as skipped',
  async (t) => {
    const xml = renderJunit(run);
    t.equal(XMLValidator.validate(xml), true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
    type Case = { name: string; classname: string; failure?: unknown; skipped?: { type?: string; message: string; '#text'?: string } };
    const cases = doc.testsuites.testsuite.testcase as Case[];
    const cellCase = cases.find((c) => c.name === 'qemu-flat/modern')!;
    t.same(
      [cellCase.skipped?.type, cellCase.skipped?.message],
      ['expected-failure', "fail, expected fail, by expect[3], the cell's rule: list_del panics unpatched"],
    );
    const delCase = cases.find((c) => c.name === 'list_test_list_del')!;
    t.same(
      [delCase.skipped?.type, delCase.skipped?.message],
      ['expected-failure', "crashed, expected fail, by expect[3], the cell's rule: list_del panics unpatched"],
    );
    t.match(delCase.skipped?.['#text'], /never reported: the kernel stopped inside it/, 'its reasons as the text');
    t.equal(cases.filter((c) => c.skipped?.type === 'expected-failure').length, 1 + failed.length, 'the cell and every failed case');
    t.equal(cases.filter((c) => c.failure !== undefined).length, 0, 'no failure: the matrix expected each');
    t.equal(
      Number(doc.testsuites.testsuite.skipped),
      cases.filter((c) => c.skipped !== undefined).length,
      'the tally counts them as skipped',
    );
    t.equal(Number(doc.testsuites.testsuite.failures), 0);
  },
);

t.test('HTML and KCIDB say the same', async (t) => {
  const html = renderHtml(run);
  const panel = html.slice(html.indexOf('id="c-unpatched/qemu-flat/modern"'));
  t.match(
    panel,
    /<p>expected fail, by expect\[3\], the cell&#39;s rule: list_del panics unpatched<\/p>|<p>expected fail, by expect\[3\], the cell's rule: list_del panics unpatched<\/p>/,
  );
  t.match(
    panel,
    /list_test_list_del<\/code>: crashed, as expected \(expected fail, by expect\[3\], the cell(&#39;|')s rule: list_del panics unpatched\)/,
  );
  const kcidb = kcidbSubmission(run, { origin: 'kvmatrix' });
  const test = kcidb.tests.find((x) => x.path.endsWith('.kunit.list-kunit-test.list_test_list_del'))!;
  t.match(test.misc, {
    expected: 'fail',
    why: 'list_del panics unpatched',
    expected_by: "expect[3], the cell's rule",
    status: 'as-expected',
  });
  t.ok(
    kcidb.incidents.some((i) => i.test_id === test.id && i.present),
    "an incident of the cell's known issue on the case",
  );
  t.equal(
    kcidb.incidents.length,
    1 + failed.length,
    'one on the cell and one on each failed case, none again on the suites that hold them',
  );
});

t.test("a cell expected to pass whose every failure a test's own rule expects: no report says 'fail, expected pass' bare", async (t) => {
  // a case that failed on its own (no kernel trouble), expected to by its rule; the cell expected to pass
  const leaf = (name: string, verdict: TestVerdict): UnjudgedNode => ({
    name,
    path: testPath('kunit', 's', name),
    verdict,
    reasons: verdict === 'fail' ? ['# b: EXPECTATION FAILED'] : [],
    log: [],
    children: [],
  });
  const s = {
    name: 's',
    path: testPath('kunit', 's'),
    verdict: 'fail' as const,
    reasons: [],
    log: [],
    children: [leaf('a', 'pass'), leaf('b', 'fail')],
  };
  const kunit = { name: 'kunit', path: testPath('kunit'), verdict: 'fail' as const, reasons: [], log: [], children: [s] };
  const base = kunitCell();
  const judged = judge({ verdict: 'fail', reasons: [], devices: [], tests: [kunit], failedByTests: true }, { verdict: 'pass' }, [
    { test: 'kunit.s.b', verdict: 'fail', why: 'known', rule: 0 },
  ]);
  const crashed = cellRecord({ ...base, id: 'crashed/qemu-flat/modern', kernel: { ...base.kernel, id: 'crashed' } }, judged, null);
  const known = judgeKunitFixture('kunit-6.1-pass', 'known/qemu-flat/modern');
  t.same([crashed.verdict, crashed.expected, crashed.status], ['fail', 'pass', 'as-expected']);
  const both: RunResults = { ...run, cells: [known, crashed], summary: summarize([known, crashed]) };
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(renderJunit(both));
  const cellCase = (
    doc.testsuites.testsuite.testcase as {
      name: string;
      classname: string;
      skipped?: { type?: string; message: string };
      'system-out': string;
    }[]
  ).find((c) => c.classname === 'kunit.crashed' && c.name === 'qemu-flat/modern')!;
  t.same(
    [cellCase.skipped?.type, cellCase.skipped?.message],
    ['expected-failure', 'fail, expected pass, but for tests that rules of their own expect to fail'],
  );
  t.match(
    cellCase['system-out'],
    /^cell crashed\/qemu-flat\/modern: fail \(expected pass, but for tests that rules of their own expect to fail\)/,
  );
});

t.test("a run written before tests named their rule reads back as today's: compare finds nothing changed", async (t) => {
  // today's run as an older kvmatrix wrote it: covered failures stored 'expected: pass', no rule anywhere
  const strip = (n: TestNode): TestNode => {
    const { expectedBy: _by, expectedWhy: _why, ...rest } = n;
    const old =
      n.expectedBy?.scope === 'cell'
        ? { ...rest, expected: 'pass' as const }
        : n.expectedBy
          ? { ...rest, ...(n.expectedWhy ? { expectedWhy: n.expectedWhy } : {}) }
          : n;
    return { ...old, children: n.children.map(strip) };
  };
  const { expectedBy: _cellBy, ...oldCell } = cell;
  const old: RunResults = { ...run, cells: [{ ...oldCell, tests: (cell.tests ?? []).map(strip) }] };
  const dir = tempTree({ 'results.json': JSON.stringify(old) });
  const loaded = loadRun(dir).results;
  const del2 = leavesOf(loaded.cells[0]!.tests ?? []).find((n) => n.path === del.path)!;
  t.same(
    [del2.expected, del2.expectedWhy, del2.expectedBy],
    ['fail', 'list_del panics unpatched', undefined],
    "expected to fail with the cell's why; no rule named, the old run kept none",
  );
  const cmp = compareRuns(loaded, run);
  t.same(
    cmp.cells.map((c) => [c.id, c.kind, c.tests.length]),
    [['unpatched/qemu-flat/modern', 'unchanged', 0]],
    'nothing changed but how it is written',
  );
  t.match(
    renderTap(loaded),
    /not ok 4 - list_test_list_del # TODO expected to fail: list_del panics unpatched\n/,
    "TAP of the old run keeps the cell's why",
  );
});
