/**
 * kvmatrix compare and kvmatrix report through the built CLI, on run
 * folders written by the harness's own report writer. The comparison of
 * two real runs is in test/integration/murray.test.ts.
 */
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import t from 'tap';
import { summarize } from '../../harness/report/summary.js';
import { writeReports } from '../../harness/run/write-reports.js';
import { kvmatrix } from '../support/cli.js';
import { cell, mixedRun } from '../support/results.js';
import { parseTap, tapSyntaxErrors } from '../support/tap.js';
import { tempTree } from '../support/temp-tree.js';

function runFolder(results = mixedRun()): string {
  const dir = tempTree({}, 'kvmatrix-run-');
  writeReports(results, dir);
  return dir;
}

t.test('compare: exit 1 and a not-ok TAP point when a cell started failing, exit 0 when none did', async (t) => {
  const before = runFolder();
  const later = mixedRun();
  later.runId = '20261126-070000-efgh';
  later.cells[0] = cell({ id: 'patched/qemu-flat/legacy', verdict: 'fail', status: 'unexpected', reasons: ['rng1 failed'] });
  later.summary = summarize(later.cells);
  const after = runFolder(later);
  const out = tempTree({});
  const run = await kvmatrix(['compare', before, after, '--tap', join(out, 'c.tap'), '--junit', join(out, 'c.xml')]);
  t.equal(run.code, 1, run.stderr);
  t.match(run.stdout, /started failing \(1\):\n  patched\/qemu-flat\/legacy: pass -> FAIL \(expected pass\)\n    rng1 failed\n/);
  const { final } = await parseTap(readFileSync(join(out, 'c.tap'), 'utf8'));
  t.same(tapSyntaxErrors(final), []);
  t.equal(final.ok, false);
  t.equal(XMLValidator.validate(readFileSync(join(out, 'c.xml'), 'utf8')), true);

  const same = await kvmatrix(['compare', before, join(before, 'results.json')]);
  t.equal(same.code, 0, 'a run against itself: nothing started failing');
  t.match(same.stdout, /0 started failing/);
});

t.test('compare: a folder that is not a run, or a report path in a missing folder, is exit 2 with one message and nothing written', async (t) => {
  const run = runFolder();
  const notRun = tempTree({ 'results.json': '{"schema":"something-else"}' });
  const bad = await kvmatrix(['compare', run, notRun]);
  t.equal(bad.code, 2);
  t.equal(bad.stderr, `kvmatrix: ${notRun}/results.json: schema: not a kvmatrix results file of this version (schema "kvmatrix-results/1")`);
  t.equal(bad.stdout, '');
  const nowhere = await kvmatrix(['compare', run, run, '--tap', join(notRun, 'no', 'c.tap')]);
  t.equal(nowhere.code, 2);
  t.match(nowhere.stderr, /c\.tap: its folder does not exist$/);
  t.equal(nowhere.stdout, '', 'refused before printing a comparison');
  const missing = await kvmatrix(['compare', run]);
  t.equal(missing.code, 2, 'a missing argument is a usage error');
});

t.test('report: writes TAP, JUnit and HTML again from results.json alone', async (t) => {
  const dir = runFolder();
  const resultsBefore = readFileSync(join(dir, 'results.json'), 'utf8');
  const tapBefore = readFileSync(join(dir, 'report.tap'), 'utf8');
  for (const file of ['report.tap', 'junit.xml', 'index.html']) rmSync(join(dir, file));
  const run = await kvmatrix(['report', dir]);
  t.equal(run.code, 0, run.stderr);
  t.equal(readFileSync(join(dir, 'report.tap'), 'utf8'), tapBefore, 'the same TAP as the run wrote');
  t.ok(statSync(join(dir, 'index.html')).size > 1000);
  t.ok(statSync(join(dir, 'junit.xml')).size > 100);
  t.equal(readFileSync(join(dir, 'results.json'), 'utf8'), resultsBefore, 'results.json itself is left alone');
});
