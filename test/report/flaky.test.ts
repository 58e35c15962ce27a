/**
 * Every report renders a flaky cell (a cell whose repeated boots disagree)
 * as not as expected, with each boot; checked with a real TAP parser and
 * a real XML parser.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { plainEvents } from '../../harness/cli/event-lines.js';
import { compareRuns } from '../../harness/report/compare.js';
import { renderHtml } from '../../harness/report/html.js';
import { renderJunit } from '../../harness/report/junit.js';
import { loadRun } from '../../harness/report/load-results.js';
import { mergeShards } from '../../harness/report/merge.js';
import { renderSummary, runExitCode, summarize } from '../../harness/report/summary.js';
import { renderTap } from '../../harness/report/tap.js';
import type { CellRecord, RunResults } from '../../harness/report/types.js';
import { combineRepeats } from '../../harness/run/repeat.js';
import type { BootVerdict } from '../../harness/verdict/types.js';
import { cell, device, mixedRun } from '../support/results.js';
import { parseTap } from '../support/tap.js';
import { tempTree } from '../support/temp-tree.js';

const FLAKY = 'patched/qemu-bridged/legacy';
const STEADY = 'patched/qemu-flat/legacy';

function boots(id: string, verdicts: BootVerdict[]): CellRecord {
  return combineRepeats(
    verdicts.map((v, i) =>
      cell({
        id,
        verdict: v,
        status: v === 'pass' ? 'as-expected' : 'unexpected',
        reasons: v === 'pass' ? [] : [`the guest did not finish within 10 s (boot ${i + 1})`],
        console: `cells/${id}/boot-${i + 1}/console.log`,
        reproduce: `cells/${id}/boot-${i + 1}/reproduce.sh`,
        ...(v === 'pass' ? {} : { devices: [device({ name: 'rng2', problems: ['no record from the agent'] })] }),
      }),
    ),
  );
}

function run(cells: CellRecord[], runId = '20261202-010000-aaaa'): RunResults {
  return { ...mixedRun(), runId, cells, summary: summarize(cells) };
}

const flakyRun = () => run([boots(STEADY, ['pass', 'pass', 'pass']), boots(FLAKY, ['pass', 'timeout', 'pass'])]);

t.test('summary and exit code: flaky is counted and never as expected', async (t) => {
  const results = flakyRun();
  t.equal(results.summary.byVerdict.flaky, 1);
  t.equal(results.summary.byVerdict.pass, 1);
  t.equal(results.summary.unexpected, 1);
  t.equal(runExitCode(results), 1);
  const text = renderSummary(results, '/r');
  t.match(text, /FLAKY \(expected pass\)/);
  t.match(text, /flaky 1\)/);
  t.match(
    text,
    /not as expected: patched\/qemu-bridged\/legacy: flaky, expected pass\n {2}flaky: 3 boots disagree \(pass, timeout, pass\)\n {2}boot 1: pass\n {2}boot 2: timeout: the guest did not finish/,
  );
});

t.test('TAP: a flaky cell is not ok with every boot in its diagnostics', async (t) => {
  const { final, asserts } = await parseTap(renderTap(flakyRun()));
  t.equal(final.ok, false);
  t.equal(asserts[0]!.ok, true, 'boots that agree on a pass are ok');
  t.equal(asserts[1]!.ok, false);
  t.match(asserts[1]!.name, /patched\/qemu-bridged\/legacy: flaky, expected pass/);
  const diag = asserts[1]!.diag as { verdict: string; boots: { boot: number; verdict: string; console: string }[] };
  t.equal(diag.verdict, 'flaky');
  t.same(
    diag.boots.map((b) => [b.boot, b.verdict, b.console]),
    [1, 2, 3].map((n) => [n, ['pass', 'timeout', 'pass'][n - 1], `cells/${FLAKY}/boot-${n}/console.log`]),
  );
});

t.test('JUnit: a flaky cell is a failure that says flaky, with the boots', async (t) => {
  const xml = renderJunit(flakyRun());
  t.equal(XMLValidator.validate(xml), true);
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
  const cases = doc.testsuites.testsuite.testcase as { name: string; failure?: { type: string; message: string; '#text': string } }[];
  const flaky = cases.find((c) => c.name === 'qemu-bridged/legacy')!;
  t.equal(flaky.failure!.type, 'flaky');
  t.match(flaky.failure!.message, /^flaky: 3 boots disagree/);
  t.match(flaky.failure!['#text'], new RegExp(`boot 2: timeout \\(console: cells/${FLAKY}/boot-2/console.log\\)`));
  t.notOk(cases.find((c) => c.name === 'qemu-flat/legacy')!.failure, 'the steady cell passed');
  t.equal(doc.testsuites.failures, '1');
});

t.test('HTML: its own colour, and every boot in the panel', async (t) => {
  const html = renderHtml(flakyRun());
  t.match(html, /\.v-flaky\{background:/, 'a colour of its own');
  t.match(html, /<span class="v-flaky">flaky<\/span>/, 'in the legend');
  t.match(html, /<td class="v-flaky unexpected"/, 'the grid cell');
  const panel = html.slice(html.indexOf(`data-cell="${FLAKY}"`));
  t.match(
    panel,
    /<h3>Boots<\/h3><p>This cell was booted 3 times\. The devices, timings and console on this panel are boot 2's, the first that went against the matrix\./,
  );
  for (const n of [1, 3])
    t.match(
      panel,
      `<a href="cells/${FLAKY}/boot-${n}/console.log">console</a>, <a href="cells/${FLAKY}/boot-${n}/reproduce.sh">reproduce.sh</a>`,
    );
  t.match(
    panel,
    /timeout<\/span>[^<]*: the guest did not finish within 10 s \(boot 2\)<br>rng2: no record from the agent \(shown on this panel\)<\/li>/,
  );
  t.match(panel, /<li class="boot"><span class="v-timeout">timeout<\/span>/);
});

t.test('compare: a cell that became flaky started failing; flaky before and after is a known failure', async (t) => {
  const steady = run([boots(FLAKY, ['pass', 'pass'])], 'a');
  const flaky = flakyRun();
  t.equal(compareRuns(steady, flaky).cells.find((c) => c.id === FLAKY)!.kind, 'regression');
  t.equal(compareRuns(flaky, flakyRun()).cells.find((c) => c.id === FLAKY)!.kind, 'persistent');
  t.equal(compareRuns(flaky, steady).cells.find((c) => c.id === FLAKY)!.kind, 'fixed');
});

t.test('report merge counts a flaky cell and keeps its boots', async (t) => {
  const a = run([boots(STEADY, ['pass', 'pass', 'pass'])], 'a');
  const b = run([boots(FLAKY, ['pass', 'timeout', 'pass'])], 'b');
  a.shard = { index: 1, count: 2, selected: 2 };
  b.shard = { index: 2, count: 2, selected: 2 };
  const merged = mergeShards(
    [
      { results: a, file: 'a.json' },
      { results: b, file: 'b.json' },
    ],
    { runId: 'm' },
  );
  t.equal(merged.summary.byVerdict.flaky, 1);
  t.equal(merged.cells[1]!.repeats!.length, 3);
});

t.test('results.json: a flaky cell reads back; a run from before flaky existed still loads', async (t) => {
  const dir = tempTree({});
  writeFileSync(join(dir, 'results.json'), JSON.stringify(flakyRun()));
  const back = loadRun(dir).results;
  t.equal(back.cells[1]!.verdict, 'flaky');
  t.same(
    back.cells[1]!.repeats!.map((r) => r.verdict),
    ['pass', 'timeout', 'pass'],
  );
  const old = mixedRun() as unknown as { summary: { byVerdict: Record<string, number> } };
  delete old.summary.byVerdict.flaky;
  writeFileSync(join(dir, 'results.json'), JSON.stringify(old));
  t.equal(loadRun(dir).results.summary.byVerdict.flaky, 0);
});

t.test('plain progress lines name each boot and the boots of a finished cell', async (t) => {
  const lines: string[] = [];
  const events = plainEvents((l) => lines.push(l));
  const c = { id: FLAKY } as Parameters<NonNullable<typeof events.cellStarted>>[0];
  events.cellStarted!(c, { index: 2, of: 3 });
  events.cellStarted!(c);
  events.cellDone!(flakyRun().cells[1]!);
  t.same(lines, [
    `cell ${FLAKY}: booting (boot 2 of 3)`,
    `cell ${FLAKY}: booting`,
    `cell ${FLAKY}: FLAKY (expected pass), 3 boots: pass timeout pass`,
  ]);
});
