import { sanitizeLine } from '../console/sanitize.js';
import { esc } from '../report/html.js';
import { INPUT_NAMES } from './inputs.js';
import type { HistoryEntry, HistoryView } from './label-window.js';
import { LABELS, type HistoryLabel, type Outcome } from './labels.js';

/** Labels the page lists test by test; the rest (pass, known, cannot-tell) it counts per cell. */
const LISTED: readonly HistoryLabel[] = ['regression', 'unstable', 'fixed', 'missing', 'new', 'persistent'];
/** A cell's listed tests past this many are counted, not drawn: a crashed cell takes hundreds down with it. */
export const ROWS_PER_CELL = 40;

const OUTCOME_TEXT: Record<Outcome, string> = {
  good: 'pass',
  known: 'known failure',
  bad: 'not as expected',
  flaky: 'flaky',
  infra: 'error (the machine)',
  skip: 'skipped',
  absent: 'not reported',
};

/**
 * The history as one page (no script, no network): what changed over the
 * window first, a cell at a time; each test's nights as a strip, a colour
 * an outcome, equal nights drawn as one stretch so that a year of them
 * stays small; the unchanged counted, and the page says so. `links` maps a
 * run id to its own page, for the runs whose folder is at hand.
 */
export function renderHistoryHtml(view: HistoryView, links: ReadonlyMap<string, string>): string {
  const title = `kvmatrix history of ${view.matrix}`;
  const listed = view.entries.filter((e) => LISTED.includes(e.label) && !(e.label === 'new' && last(e) !== 'bad'));
  const cells = [...new Set(listed.map((e) => e.cell))];
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title>`,
    `<style>${style(view.runs.length)}</style>`,
    '</head><body>',
    `<h1>${esc(title)}</h1>`,
    `<p class="meta">${view.runs.length} run${view.runs.length === 1 ? '' : 's'}, ${esc(view.runs[0]!.runId)} to ${esc(view.runs[view.runs.length - 1]!.runId)} (newest, on the right)</p>`,
    `<p class="counts">${LABELS.map((l) => `<span class="l-${l}">${l} ${view.counts[l]}</span>`).join(' ')}</p>`,
    legend(),
    `<h2>What changed (${listed.length})</h2>`,
    listed.length === 0 ? '<p>Nothing changed over the window.</p>' : '',
    `<table class="changed"><thead>${runHeader(view, links)}</thead>`,
    ...cells.map((cell) =>
      cellRows(
        view,
        cell,
        listed.filter((e) => e.cell === cell),
      ),
    ),
    '</table>',
    folded(view),
    '</body></html>',
    '',
  ].join('\n');
}

function last(e: HistoryEntry): Outcome {
  return e.outcomes[e.outcomes.length - 1]!;
}

function legend(): string {
  const marks = (Object.keys(OUTCOME_TEXT) as Outcome[]).map((o) => `<span><i class="o-${o}"></i> ${esc(OUTCOME_TEXT[o])}</span>`);
  return `<p class="legend">${marks.join(' ')}</p>`;
}

/** A column a run: a link to its page where its folder is at hand. */
function runHeader(view: HistoryView, links: ReadonlyMap<string, string>): string {
  const runs = view.runs.map((r) => {
    const href = links.get(r.runId);
    const title = esc(`${r.runId}${r.interrupted ? ` (stopped: ${r.interrupted})` : ''}`);
    return href ? `<a class="run" href="${esc(href)}" title="${title}"></a>` : `<span class="run" title="${title}"></span>`;
  });
  return `<tr><th>label</th><th>test</th><th class="nights">${runs.join('')}</th><th>why</th></tr>`;
}

function cellRows(view: HistoryView, cell: string, entries: HistoryEntry[]): string {
  const shown = entries.slice(0, ROWS_PER_CELL);
  const rows = shown.map((e) => {
    const name = e.test === undefined ? '<em>the cell</em>' : esc(sanitizeLine(e.test));
    return `<tr class="l-${e.label}"><td>${e.label}</td><td>${name}</td><td class="nights">${strip(view, e)}</td><td>${why(e)}</td></tr>`;
  });
  const more = entries.length - shown.length;
  return [
    `<tbody><tr class="cell"><th colspan="4">${esc(sanitizeLine(cell))}</th></tr>`,
    ...rows,
    more > 0
      ? `<tr class="more"><td colspan="4">and ${more} more tests of this cell that changed (kvmatrix history --json lists them)</td></tr>`
      : '',
    '</tbody>',
  ].join('');
}

/** A test's nights, equal neighbours drawn as one stretch with the runs it spans in its title. */
function strip(view: HistoryView, e: HistoryEntry): string {
  const parts: string[] = [];
  for (let i = 0; i < e.outcomes.length;) {
    let j = i;
    while (j + 1 < e.outcomes.length && e.outcomes[j + 1] === e.outcomes[i]) j++;
    const span = j === i ? view.runs[i]!.runId : `${view.runs[i]!.runId} to ${view.runs[j]!.runId}`;
    parts.push(
      `<i class="o-${e.outcomes[i]}" style="width:calc(var(--night) * ${j - i + 1})" title="${esc(`${span}: ${OUTCOME_TEXT[e.outcomes[i]!]}`)}"></i>`,
    );
    i = j + 1;
  }
  return parts.join('');
}

function why(e: HistoryEntry): string {
  const changes = (e.changes ?? []).map((c) => `${INPUT_NAMES[c.input]}: ${c.before} → ${c.after}`);
  const changed = e.changes ? ` <span class="changes">${changes.length ? esc(changes.join('; ')) : 'nothing but the night'}</span>` : '';
  const bisected = e.bisected?.commit
    ? ` <span class="bisected">first bad commit: ${esc(`${e.bisected.commit.slice(0, 12)} ${e.bisected.subject ?? ''}`)}</span>`
    : '';
  switch (e.label) {
    case 'regression':
      return `last good ${esc(e.lastGood!)}, first bad ${esc(e.firstBad!)}.${changed}${bisected}`;
    case 'fixed':
      return `last bad ${esc(e.lastBad!)}, first good ${esc(e.firstGood!)}.${changed}`;
    case 'unstable':
      return `failed ${e.failed} of ${e.told} nights that told (${Math.round((100 * e.failed!) / e.told!)}%)`;
    case 'missing':
      return 'not reported by the newest run, which ran its cell';
    case 'new':
      return 'first reported by the newest run, failing';
    default:
      return '';
  }
}

/** What the page does not list: per cell, its tests that passed every night, known failures, and those no night told of. */
function folded(view: HistoryView): string {
  const per = new Map<string, Record<'pass' | 'known' | 'cannot-tell', number>>();
  for (const e of view.entries) {
    if (e.label !== 'pass' && e.label !== 'known' && e.label !== 'cannot-tell' && !(e.label === 'new' && last(e) !== 'bad')) continue;
    const row = per.get(e.cell) ?? per.set(e.cell, { pass: 0, known: 0, 'cannot-tell': 0 }).get(e.cell)!;
    row[e.label === 'new' ? 'pass' : e.label]++;
  }
  const total = [...per.values()].reduce((n, r) => n + r.pass + r.known + r['cannot-tell'], 0);
  const rows = [...per.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([cell, r]) => `<tr><td>${esc(sanitizeLine(cell))}</td><td>${r.pass}</td><td>${r.known}</td><td>${r['cannot-tell']}</td></tr>`);
  return [
    `<h2>Unchanged (${total}), folded</h2>`,
    `<p>These cells and tests went the same way every night that told, so the page counts them instead of drawing them: a pass (or first seen passing), a known failure, or no night that told. <code>kvmatrix history --json</code> lists each.</p>`,
    `<table class="folded"><thead><tr><th>cell</th><th>pass</th><th>known</th><th>cannot tell</th></tr></thead><tbody>${rows.join('')}</tbody></table>`,
  ].join('\n');
}

function style(nights: number): string {
  // a year of nights fits a screen: narrower stretches the more there are
  const night = nights > 120 ? 3 : nights > 40 ? 6 : 14;
  return `
:root{--night:${night}px}
body{font:14px/1.4 system-ui,sans-serif;margin:1rem;color:#111;background:#fff}
h1{font-size:1.3rem;margin:.2rem 0}h2{font-size:1.1rem}.meta{color:#555}
table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}
.changed thead th{position:sticky;top:0;background:#f4f4f4}
tr.cell th{background:#eef;font-family:monospace}
td.nights,th.nights{white-space:nowrap;padding:2px;line-height:0}
.nights i,.nights .run,.legend i{display:inline-block;height:14px;min-width:var(--night)}
.nights .run{width:var(--night);height:10px;background:#bbb;border-right:1px solid #fff;box-sizing:border-box}
a.run{background:#557}a.run:hover{background:#000}
.legend i{width:14px;vertical-align:middle}
.o-good{background:#3a3}.o-known{background:#9b9}.o-bad{background:#d22}.o-flaky{background:#f90}.o-infra{background:#85c}.o-skip{background:#ddd}.o-absent{background:#fff;outline:1px dotted #ccc;outline-offset:-1px}
.l-regression td:first-child{color:#b00;font-weight:bold}.l-unstable td:first-child{color:#c60;font-weight:bold}.l-fixed td:first-child{color:#070;font-weight:bold}
.counts span{margin-right:.8rem}.changes{color:#444}.bisected{font-family:monospace}
tr.more td{color:#555;font-style:italic}
`;
}
