import { globMatchesPath, type TestPath } from '../matrix/test-path.js';
import { cellInputs, type CellInputs, type InputChange } from './inputs.js';
import { labelSeries, LABELS, outcomeOf, type HistoryLabel, type Observation, type Outcome } from './labels.js';
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
  /** Missing: the first run that did not report it though it should have. */
  missingSince?: string;
  /** A regression `history bisect` was run on: how it ended, and the first bad commit it found. */
  bisected?: { outcome: string; commit: string | null; subject: string | null; folder: string };
}

export interface HistoryView {
  matrix: string;
  /** The other matrices the history holds runs of. */
  others: string[];
  runs: { runId: string; startedAt: string; folder: string; interrupted: string | null }[];
  /** Cells and tests, in the order of LABELS (what changed first), then by cell and path; a cell's own entry has no test. */
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
    // a cell's tests are expected where the cell went as the matrix expects; where it failed, a test
    // it did not reach is its failure's, not a test gone missing; and where the run's --test named them
    const tests = window.tests.get(cell) ?? new Map<string, (Observation | null)[]>();
    const read = cellOutcomes.map((o) => o === 'good' || o === 'known');
    const outcomesOf = withSuitesJudgedByTheirCases(tests);
    for (const [test, seen] of tests) {
      const asked = read.map((r, i) => r && (runs[i]!.testGlob === null || globMatchesPath(runs[i]!.testGlob!, test as TestPath)));
      entries.push(entry(runs, { cell, test }, outcomesOf(test, seen), inputs, asked));
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
    others: window.others,
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
  const { lastGood, firstBad, lastBad, firstGood, missingSince, ...rest } = labelSeries({ outcomes, inputs, expectedToReport });
  const nights = Object.entries({ lastGood, firstBad, lastBad, firstGood, missingSince }).flatMap(([key, i]) =>
    i === undefined ? [] : [[key, runs[i]!.runId]],
  );
  return { ...at, outcomes, ...rest, ...Object.fromEntries(nights) };
}

/**
 * A suite is stored as a test of its own only on the nights it failed
 * before its cases could be named; on the others its cases speak for it.
 * Such a night reads as the suite passing when all its cases went as
 * expected, and as not reported (not missing) when some did not: their
 * failures are theirs.
 */
function withSuitesJudgedByTheirCases(
  tests: ReadonlyMap<string, (Observation | null)[]>,
): (test: string, seen: (Observation | null)[]) => Outcome[] {
  const paths = [...tests.keys()];
  const suites = new Map(
    paths.map((p) => [p, paths.filter((q) => q.startsWith(`${p}.`))] as const).filter(([, under]) => under.length > 0),
  );
  return (test, seen) => {
    const under = suites.get(test);
    return seen.map((night, i) => {
      if (night !== null || !under) return outcomeOf(night);
      const cases = under.map((q) => tests.get(q)![i]!).filter((o): o is Observation => o !== null);
      if (cases.length === 0) return 'absent';
      return cases.every((o) => ['good', 'known', 'skip'].includes(outcomeOf(o))) ? 'good' : 'absent';
    });
  };
}
