import { stringify } from 'yaml';
import { sanitizeText } from '../console/sanitize.js';
import { clean, renderXml, type XmlElement } from '../report/junit.js';
import { cleanStrings, escapeDescription } from '../report/tap.js';
import { addsRegression, newlyMissing, type GateDecision } from './gate.js';
import type { HistoryEntry, HistoryView } from './label-window.js';

/** A cell of the newest run as the gate sees it: the regressions it adds, what it carries from before. */
interface GatedCell {
  cell: string;
  added: HistoryEntry[];
  /** Failing on the newest night, but not for the first time (persistent, an older regression, unstable). */
  carried: HistoryEntry[];
  infra: boolean;
  /** Its tests this night was the first not to report: the gate cannot tell. */
  gone: HistoryEntry[];
  /** Skipped this night: not run, so neither a pass nor a failure. */
  skipped: boolean;
}

function gatedCells(view: HistoryView): GatedCell[] {
  const newest = view.runs.length - 1;
  const runId = view.runs[newest]!.runId;
  const cells = new Map<string, GatedCell>();
  for (const e of view.entries) {
    if (e.test === undefined && e.outcomes[newest] !== 'absent') {
      cells.set(e.cell, {
        cell: e.cell,
        added: [],
        carried: [],
        gone: [],
        infra: e.outcomes[newest] === 'infra',
        skipped: e.outcomes[newest] === 'skip',
      });
    }
  }
  for (const e of view.entries) {
    const c = cells.get(e.cell);
    if (!c) continue;
    if (addsRegression(e, runId, newest)) c.added.push(e);
    else if (newlyMissing(e, runId)) c.gone.push(e);
    else if (e.outcomes[newest] === 'bad' || e.outcomes[newest] === 'flaky') c.carried.push(e);
  }
  return [...cells.values()].sort((a, b) => a.cell.localeCompare(b.cell));
}

const named = (e: HistoryEntry) => (e.test === undefined ? 'the cell' : e.test);

function entryLine(e: HistoryEntry): string {
  if (e.label === 'regression') return `${named(e)}: regression, last good ${e.lastGood}, first bad ${e.firstBad}`;
  if (e.label === 'unstable') return `${named(e)}: unstable, failed ${e.failed} of ${e.told} nights`;
  return `${named(e)}: ${e.label}`;
}

/** TAP 14 that fails only on the regressions the newest run adds; a failure carried from before is a TODO. */
export function renderGateTap(view: HistoryView, decision: GateDecision): string {
  const cells = gatedCells(view);
  const out = [
    'TAP version 14',
    `# kvmatrix history gate: ${view.matrix}, newest run ${decision.runId}: ${decision.kind}`,
    `1..${cells.length}`,
  ];
  cells.forEach((c, i) => {
    const n = i + 1;
    const name = escapeDescription(c.cell);
    if (c.added.length > 0) {
      const yaml = stringify(cleanStrings({ regressions: c.added.map(entryLine) }), { lineWidth: 0 }).trimEnd();
      out.push(`not ok ${n} - ${name}`, '  ---', ...yaml.split('\n').map((l) => `  ${l}`), '  ...');
    } else if (c.infra) {
      out.push(`not ok ${n} - ${name} # SKIP cannot tell: its boot was an error`);
    } else if (c.gone.length > 0) {
      out.push(
        `not ok ${n} - ${name} # SKIP cannot tell: no longer reported: ${escapeDescription(c.gone.map(named).slice(0, 3).join(', '))}`,
      );
    } else if (c.skipped) {
      out.push(`ok ${n} - ${name} # SKIP not run this night`);
    } else if (c.carried.length > 0) {
      out.push(
        `not ok ${n} - ${name} # TODO failing before this run: ${escapeDescription(c.carried.map(entryLine).slice(0, 3).join('; '))}`,
      );
    } else {
      out.push(`ok ${n} - ${name}`);
    }
  });
  return `${out.join('\n')}\n`;
}

/** The same as JUnit: an added regression is a <failure>, a carried failure or a cell that cannot tell <skipped>. */
export function renderGateJunit(view: HistoryView, decision: GateDecision): string {
  const cells = gatedCells(view);
  const failures = cells.filter((c) => c.added.length > 0).length;
  const skipped = cells.filter((c) => c.added.length === 0 && (c.infra || c.gone.length > 0 || c.skipped || c.carried.length > 0)).length;
  const tally = { '@_tests': String(cells.length), '@_failures': String(failures), '@_errors': '0', '@_skipped': String(skipped) };
  const testcase = (c: GatedCell): XmlElement => {
    const [kernel, ...rest] = c.cell.split('/');
    const body = sanitizeText([...c.added, ...c.carried].map(entryLine).join('\n'));
    const outcome: XmlElement =
      c.added.length > 0
        ? {
            failure: {
              '@_message': clean(`regression: ${c.added.map(named).slice(0, 5).join(', ')}`),
              '@_type': 'regression',
              '#text': body,
            },
          }
        : c.infra
          ? { skipped: { '@_message': 'cannot tell: its boot was an error' } }
          : c.gone.length > 0
            ? { skipped: { '@_message': clean(`cannot tell: no longer reported: ${c.gone.map(named).slice(0, 5).join(', ')}`) } }
            : c.skipped
              ? { skipped: { '@_message': 'not run this night' } }
              : c.carried.length > 0
                ? { skipped: { '@_message': clean(`failing before this run: ${c.carried.map(named).slice(0, 5).join(', ')}`) } }
                : {};
    return { '@_classname': `history.${kernel}`, '@_name': rest.join('/'), ...outcome, ...(body ? { 'system-out': body } : {}) };
  };
  return renderXml({
    testsuites: {
      '@_name': 'kvmatrix history gate',
      ...tally,
      testsuite: { '@_name': `gate ${view.matrix} ${decision.runId}`, ...tally, '@_hostname': 'kvmatrix', testcase: cells.map(testcase) },
    },
  });
}
