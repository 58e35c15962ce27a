import { sanitizeLine } from '../console/sanitize.js';
import { INPUT_NAMES, type InputChange } from './inputs.js';
import type { HistoryEntry, HistoryView } from './label-window.js';
import { LABELS, type HistoryLabel, type Outcome } from './labels.js';

/** One character a night, oldest first: how a test's nights read at a glance. */
export const NIGHT_MARKS: Record<Outcome, string> = { good: '.', known: 'k', bad: 'X', flaky: '~', infra: 'E', skip: 's', absent: ' ' };

const SHOWN: ReadonlySet<HistoryLabel> = new Set(['regression', 'unstable', 'fixed', 'missing', 'new', 'persistent']);

/** `kvmatrix history`: what changed over the window, test by test; the unchanged counted, not listed. */
export function renderHistoryText(view: HistoryView): string {
  const { runs } = view;
  const lines = [
    `history of ${view.matrix}: ${runs.length} run${runs.length === 1 ? '' : 's'}, ${runs[0]!.runId} to ${runs[runs.length - 1]!.runId} (newest)`,
    ...(view.others.length ? [`(the history also holds runs of ${sanitizeLine(view.others.join(', '))}: --name picks one)`] : []),
    `nights, oldest first: ${Object.entries(NIGHT_MARKS)
      .filter(([, mark]) => mark !== ' ')
      .map(([outcome, mark]) => `${mark} ${outcome}`)
      .join(', ')}, blank not reported`,
    '',
  ];
  const header = lines.length;
  for (const e of view.entries) {
    if (!SHOWN.has(e.label) || (e.label === 'new' && e.outcomes[e.outcomes.length - 1] !== 'bad')) continue;
    lines.push(`${e.label.padEnd(11)} |${e.outcomes.map((o) => NIGHT_MARKS[o]).join('')}| ${whom(e)}${detail(e)}`);
    if (e.changes && (e.label === 'regression' || e.label === 'fixed')) lines.push(...changeLines(e.changes));
    if (e.bisected) lines.push(`            ${bisectedLine(e.bisected)}`);
  }
  if (lines.length === header) lines.push('nothing changed over the window');
  lines.push('', LABELS.map((l) => `${l} ${view.counts[l]}`).join(', '));
  return `${lines.join('\n')}\n`;
}

function whom(e: HistoryEntry): string {
  return sanitizeLine(e.test === undefined ? `${e.cell} (the cell)` : `${e.test} on ${e.cell}`);
}

function detail(e: HistoryEntry): string {
  switch (e.label) {
    case 'regression':
      return `: last good ${e.lastGood}, first bad ${e.firstBad}`;
    case 'fixed':
      return `: last bad ${e.lastBad}, first good ${e.firstGood}`;
    case 'unstable':
      return `: failed ${e.failed} of ${e.told} nights that told`;
    case 'missing':
      return ': not reported by the newest run, which ran its cell';
    case 'new':
      return ': first reported by the newest run, failing';
    default:
      return '';
  }
}

function changeLines(changes: InputChange[]): string[] {
  if (changes.length === 0) return ['            what changed: nothing but the night'];
  return changes.map((c) => `            ${INPUT_NAMES[c.input]}: ${sanitizeLine(c.before)} -> ${sanitizeLine(c.after)}`);
}

function bisectedLine(b: NonNullable<HistoryEntry['bisected']>): string {
  return sanitizeLine(
    b.outcome === 'found'
      ? `first bad commit (history bisect): ${b.commit} ${b.subject ?? ''}`.trimEnd()
      : `history bisect: ${b.outcome} (${b.folder})`,
  );
}
