import { globMatchesPath, type TestPath } from '../matrix/test-path.js';
import { cellInputs, type CellInputs, type InputChange } from './inputs.js';
import { labelSeries, LABELS, outcomeOf, type HistoryLabel, type Outcome } from './labels.js';
import type { HistoryWindow } from './window.js';

/** A cell, or a test of a cell, labelled over the window; run ids where labels.ts has indexes. */
export interface HistoryEntry {
  cell: string;
  /** The test's path; absent for the cell itself. */
  test?: string;
  label: HistoryLabel;
  /** Night by night, oldest first, as the window's runs. */
  outcomes: Outcome[];
  lastGood?: string;
  firstBad?: string;
  lastBad?: string;
  firstGood?: string;
  changes?: InputChange[];
  failed?: number;
  told?: number;
  /** A regression `history bisect` was run on: how it ended, and the first bad commit it found. */
  bisected?: { outcome: string; commit: string | null; subject: string | null; folder: string };
}

export interface HistoryView {
  matrix: string;
  runs: { runId: string; startedAt: string; folder: string; interrupted: string | null }[];
  /** Cells first, each followed by its tests, in the order of LABELS, then by name. */
  entries: HistoryEntry[];
  counts: Record<HistoryLabel, number>;
}

/** Every cell and test of the window, labelled. */
export function labelWindow(window: HistoryWindow): HistoryView {
  const { runs } = window;
  const entries: HistoryEntry[] = [];
  for (const [cell, nights] of window.cells) {
    const inputs: (CellInputs | null)[] = nights.map((n, i) => (n ? cellInputs(runs[i]!.facts, n) : null));
    const cellOutcomes = nights.map(outcomeOf);
    entries.push(
      entry(
        runs,
        { cell },
        cellOutcomes,
        inputs,
        runs.map((r) => r.whole),
      ),
    );
    // a cell's tests are expected where the cell ran and its tests were read (a boot that hung before
    // they ran reports none: its failure is the cell's), and where the run's --test named them
    const tests = window.tests.get(cell) ?? new Map<string, unknown[]>();
    const read = cellOutcomes.map(
      (o, i) => o !== 'infra' && o !== 'skip' && o !== 'absent' && [...tests.values()].some((nights) => nights[i] !== null),
    );
    for (const [test, seen] of window.tests.get(cell) ?? []) {
      const asked = read.map((r, i) => r && (runs[i]!.testGlob === null || globMatchesPath(runs[i]!.testGlob!, test as TestPath)));
      entries.push(entry(runs, { cell, test }, seen.map(outcomeOf), inputs, asked));
    }
  }
  for (const e of entries) {
    if (e.label !== 'regression') continue;
    const found = window.bisections.find((b) => b.cell_id === e.cell && b.test === (e.test ?? '') && b.first_bad_run === e.firstBad);
    if (found)
      e.bisected = { outcome: found.outcome, commit: found.first_bad_commit, subject: found.first_bad_subject, folder: found.folder };
  }
  const rank = (e: HistoryEntry) => LABELS.indexOf(e.label);
  entries.sort((a, b) => rank(a) - rank(b) || a.cell.localeCompare(b.cell) || (a.test ?? '').localeCompare(b.test ?? ''));
  const counts = Object.fromEntries(LABELS.map((l) => [l, entries.filter((e) => e.label === l).length])) as Record<HistoryLabel, number>;
  return {
    matrix: window.matrix,
    runs: runs.map((r) => ({ runId: r.runId, startedAt: r.startedAt, folder: r.folder, interrupted: r.interrupted })),
    entries,
    counts,
  };
}

function entry(
  runs: HistoryWindow['runs'],
  at: { cell: string; test?: string },
  outcomes: Outcome[],
  inputs: (CellInputs | null)[],
  expectedToReport: boolean[],
): HistoryEntry {
  const { lastGood, firstBad, lastBad, firstGood, ...rest } = labelSeries({ outcomes, inputs, expectedToReport });
  const nights = Object.entries({ lastGood, firstBad, lastBad, firstGood }).flatMap(([key, i]) =>
    i === undefined ? [] : [[key, runs[i]!.runId]],
  );
  return { ...at, outcomes, ...rest, ...Object.fromEntries(nights) };
}
