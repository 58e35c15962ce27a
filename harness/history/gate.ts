import type { HistoryEntry, HistoryView } from './label-window.js';
import type { Outcome } from './labels.js';

const TOLD: ReadonlySet<Outcome> = new Set(['good', 'known', 'bad', 'flaky']);

/**
 * What the newest run of a window brings, for a nightly job to gate on:
 * regressions it adds (a test or cell that went bad on this night, or a
 * new one that fails), or why it cannot tell (a cell whose boot was an
 * `error`, a stopped run, a night where no cell was tested, a test that
 * stopped being reported, a history with no run), or nothing new.
 */
export type GateDecision =
  | { kind: 'pass'; runId: string }
  | { kind: 'regression'; runId: string; added: HistoryEntry[] }
  | { kind: 'cannot-tell'; runId: string | null; why: string[] };

export function decideGate(view: HistoryView | null): GateDecision {
  if (!view) return { kind: 'cannot-tell', runId: null, why: ['the history has no run of this matrix'] };
  const newest = view.runs.length - 1;
  const runId = view.runs[newest]!.runId;
  const added = view.entries.filter((e) => addsRegression(e, runId, newest));
  if (added.length > 0) return { kind: 'regression', runId, added };
  const cells = view.entries.filter((e) => e.test === undefined && e.outcomes[newest] !== 'absent');
  const why = [
    ...(view.runs[newest]!.interrupted ? [`the newest run was stopped (${view.runs[newest]!.interrupted})`] : []),
    ...cells.filter((e) => e.outcomes[newest] === 'infra').map((e) => `${e.cell}: its boot was an error`),
    ...(cells.some((e) => TOLD.has(e.outcomes[newest]!)) ? [] : ['no cell of the newest run was tested (each was skipped or errored)']),
    // a test that stops being reported may hide a failure; the night after, it is a known absence
    ...view.entries
      .filter((e) => newlyMissing(e, runId))
      .map((e) => `${e.test === undefined ? e.cell : `${e.test} on ${e.cell}`}: no longer reported`),
  ];
  return why.length > 0 ? { kind: 'cannot-tell', runId, why } : { kind: 'pass', runId };
}

/** A regression this night brought, or a test first seen this night and failing. */
export function addsRegression(entry: HistoryEntry, runId: string, newest: number): boolean {
  return (entry.label === 'regression' && entry.firstBad === runId) || (entry.label === 'new' && entry.outcomes[newest] === 'bad');
}

/** A test (or cell) that this night, of all the nights that should have, was the first not to report. */
export function newlyMissing(entry: HistoryEntry, runId: string): boolean {
  return entry.label === 'missing' && entry.missingSince === runId;
}
