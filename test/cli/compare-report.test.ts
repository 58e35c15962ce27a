/**
 * kvmatrix compare and kvmatrix report through the built CLI, on run
 * folders written by the harness's own report writer. The comparison of
 * two real runs is in test/integration/murray.test.ts.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import t from 'tap';
import { summarize } from '../../harness/report/summary.js';
import type { RunResults } from '../../harness/report/types.js';
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
  t.match(same.stdout, /0 regression \(started failing\)/);
});

t.test(
  'compare: a folder that is not a run, or a report path in a missing folder, is exit 2 with one message and nothing written',
  async (t) => {
    const run = runFolder();
    const notRun = tempTree({ 'results.json': '{"schema":"something-else"}' });
    const bad = await kvmatrix(['compare', run, notRun]);
    t.equal(bad.code, 2);
    t.equal(
      bad.stderr,
      `kvmatrix: ${notRun}/results.json: schema: not a kvmatrix results file this version reads (schema "kvmatrix-results/1" or "kvmatrix-results/2")`,
    );
    t.equal(bad.stdout, '');
    const nowhere = await kvmatrix(['compare', run, run, '--tap', join(notRun, 'no', 'c.tap')]);
    t.equal(nowhere.code, 2);
    t.match(nowhere.stderr, /c\.tap: its folder does not exist$/);
    t.equal(nowhere.stdout, '', 'refused before printing a comparison');
    const missing = await kvmatrix(['compare', run]);
    t.equal(missing.code, 2, 'a missing argument is a usage error');
  },
);

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

/** Shard k of n of mixedRun as a run folder, with a console file for each booted cell. */
function shardFolder(k: number, n: number, edit: (r: RunResults) => void = () => {}): string {
  const whole = mixedRun();
  const from = Math.floor(((k - 1) * whole.cells.length) / n);
  const to = Math.floor((k * whole.cells.length) / n);
  const cells = whole.cells.slice(from, to);
  const results: RunResults = {
    ...whole,
    runId: `shard-${k}`,
    cells,
    summary: summarize(cells),
    shard: { index: k, count: n, selected: whole.cells.length },
  };
  edit(results);
  const dir = tempTree({}, 'kvmatrix-shard-');
  for (const cell of cells.filter((c) => c.console)) {
    mkdirSync(dirname(join(dir, cell.console!)), { recursive: true });
    writeFileSync(join(dir, cell.console!), `console of ${cell.id}\n`);
  }
  writeReports(results, dir);
  return dir;
}

t.test('report merge: shards fold into a new run folder with every console, the reports and latest', async (t) => {
  const out = tempTree({});
  const parts = [shardFolder(2, 2), shardFolder(1, 2)];
  const run = await kvmatrix(['report', 'merge', ...parts, '--out', out]);
  t.equal(run.code, 1, `mixedRun has cells not as expected: exit 1 as for run\n${run.stderr}`);
  const latest = join(out, 'latest');
  t.match(readlinkSync(latest), /^\d{8}-\d{6}-[0-9a-f]{4}$/);
  const merged = JSON.parse(readFileSync(join(latest, 'results.json'), 'utf8')) as RunResults;
  t.same(
    merged.cells.map((c) => c.id),
    mixedRun().cells.map((c) => c.id),
  );
  t.same(merged.mergedFrom, ['shard-1', 'shard-2']);
  for (const cell of merged.cells.filter((c) => c.console)) {
    t.equal(readFileSync(join(latest, cell.console!), 'utf8'), `console of ${cell.id}\n`, `${cell.id}'s console came along`);
  }
  for (const file of ['report.tap', 'junit.xml', 'index.html']) t.ok(existsSync(join(latest, file)), file);
  t.match(
    readFileSync(join(latest, 'index.html'), 'utf8'),
    'console of unpatched/qemu-bridged/legacy',
    'the page embeds the copied consoles',
  );
  t.match(run.stdout, /7 cells: /);
});

t.test('report merge: a refused merge is exit 2, one message, and nothing in the results root', async (t) => {
  const out = tempTree({});
  const missing = await kvmatrix(['report', 'merge', shardFolder(1, 3), shardFolder(3, 3), '--out', out]);
  t.equal(missing.code, 2);
  t.equal(missing.stderr, 'kvmatrix: shard 2/3 missing: give every shard, or --partial to fold what is here');
  t.same(readdirSync(out), [], 'nothing written');
  const other = await kvmatrix([
    'report',
    'merge',
    shardFolder(1, 2),
    shardFolder(2, 2, (r) => {
      r.matrix.name = 'other';
    }),
    '--out',
    out,
  ]);
  t.equal(other.code, 2);
  t.match(other.stderr, /results\.json: the matrix differs from .*: not shards of one run$/);
  t.same(readdirSync(out), []);
  const partial = await kvmatrix(['report', 'merge', shardFolder(1, 3), shardFolder(3, 3), '--out', out, '--partial']);
  t.not(partial.code, 2, partial.stderr);
  t.equal(readdirSync(out).length, 2, 'the run and latest');
});
