import type { HistoryEntry, HistoryView } from './label-window.js';

/**
 * What the newest run of a window brings, for a nightly job to gate on:
 * regressions it adds (a test or cell that went bad on this night, or a
 * new one that fails), or why it cannot tell (a cell whose boot was an
 * `error`, a stopped run, a history with no run), or nothing new.
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
  const why = [
    ...(view.runs[newest]!.interrupted ? [`the newest run was stopped (${view.runs[newest]!.interrupted})`] : []),
    ...view.entries.filter((e) => e.test === undefined && e.outcomes[newest] === 'infra').map((e) => `${e.cell}: its boot was an error`),
  ];
  return why.length > 0 ? { kind: 'cannot-tell', runId, why } : { kind: 'pass', runId };
}

/** A regression this night brought, or a test first seen this night and failing. */
export function addsRegression(entry: HistoryEntry, runId: string, newest: number): boolean {
  return (entry.label === 'regression' && entry.firstBad === runId) || (entry.label === 'new' && entry.outcomes[newest] === 'bad');
}
