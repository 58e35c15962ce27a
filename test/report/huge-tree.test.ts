/**
 * A console may claim any number of tests: a KUnit suite planning a
 * million, thirty thousand results, then its own result line early. The
 * reading bounds what it makes of it (a hundred thousand tests never
 * reported, each named; the rest counted), and the verdict and every
 * report are written without running out of stack: the cell's reasons name
 * the first tests, the tree holds them all.
 */
import t from 'tap';
import { parseConsole } from '../../harness/console/parse.js';
import { renderHtml } from '../../harness/report/html.js';
import { renderJunit } from '../../harness/report/junit.js';
import { renderKcidb } from '../../harness/report/kcidb.js';
import { summarize } from '../../harness/report/summary.js';
import { renderTap } from '../../harness/report/tap.js';
import { cellRecord } from '../../harness/run/cell-record.js';
import { judge } from '../../harness/verdict/decide.js';
import { leavesOf } from '../../harness/verdict/tree.js';
import type { LaunchOutcome } from '../../harness/vmm/types.js';
import { kunitCell } from '../support/cells.js';
import { kunitConsole } from '../support/kunit-console.js';
import { mixedRun } from '../support/results.js';
import { decideBooted } from '../support/decide.js';

t.setTimeout(120_000);

t.test('thirty thousand results under a plan of a million: judged, and written to every report', async (t) => {
  const nonce = 'b00t';
  const exited: LaunchOutcome = {
    kind: 'exited',
    code: 0,
    signal: null,
    durationMs: 900,
    firstOutputMs: 40,
    consoleBytes: 500_000,
    consoleTruncated: false,
    stderrTail: [],
  };
  const lines = ['KTAP version 1', '1..1', '    KTAP version 1', '    # Subtest: s', '    1..1000000'];
  for (let i = 1; i <= 30_000; i++) lines.push(`    ok ${i} c`);
  lines.push('ok 1 s');
  const cell = kunitCell();
  const judged = judge(decideBooted(cell, exited, parseConsole(kunitConsole(lines, nonce), { nonce })), cell.expect, []);
  t.equal(judged.verdict, 'fail');
  t.equal(leavesOf(judged.tests).length, 130_000, 'thirty thousand that reported, a hundred thousand that did not');
  t.ok(
    leavesOf(judged.tests).every((l) => l.verdict === 'crashed'),
    'none believed: the suite closed before its plan was met',
  );
  t.equal(judged.reasons.length, 201);
  t.equal(judged.reasons.at(-1), 'and 129800 more tests, in the tree');

  const record = cellRecord(cell, judged, null);
  const results = { ...mixedRun(), cells: [record], summary: summarize([record]) };
  t.match(renderTap(results), /^ {12}not ok 130000 - \\#130000: crashed$/m, 'TAP: the last of them');
  t.match(renderJunit(results), /<testsuites /, 'JUnit');
  t.match(renderHtml(results), /<html/, 'HTML');
  t.match(renderKcidb(results, { origin: 'kvmatrix' }), /"tests"/, 'KCIDB');
});
