import { InputError } from '../matrix/input-error.js';
import { globMatchesPath, type TestPath } from '../matrix/test-path.js';
import type { HistoryEntry, HistoryView } from './label-window.js';
import type { HistoryWindow } from './window.js';

/** A regression to bisect: the commits its last good and first bad runs built, and how many boots a step takes. */
export interface BisectTarget {
  entry: HistoryEntry & { lastGood: string; firstBad: string };
  good: string;
  bad: string;
  /** 3 when the test or its cell was flaky some night of the window, or the cell is unstable, else 1. */
  tries: number;
}

/** Boots a bisect step takes for a test whose boots once disagreed. */
export const UNSTABLE_TRIES = 3;

/**
 * The regression of a cell (or of its tests a glob names) in the window,
 * and the git commits its cell's kernel was built from on its last good
 * and first bad night. Anything else is one InputError saying what the
 * history has instead.
 */
export function bisectTarget(window: HistoryWindow, view: HistoryView, cell: string, test?: string): BisectTarget {
  const mine = view.entries.filter((e) => e.cell === cell);
  if (mine.length === 0) throw new InputError(`no cell ${cell} in the history's window of ${view.matrix}`, { file: '--cell' });
  const named = mine.filter((e) =>
    test === undefined ? e.test === undefined : e.test !== undefined && globMatchesPath(test, e.test as TestPath),
  );
  const regression = named.find((e) => e.label === 'regression');
  if (!regression || regression.lastGood === undefined || regression.firstBad === undefined) {
    const what = test === undefined ? `cell ${cell}` : `no test of ${cell} that ${test} names`;
    const labels = [...new Set(named.map((e) => e.label))].join(', ') || 'not in the window';
    throw new InputError(`${what} is not a regression in the window (${test === undefined ? 'it is' : 'they are'}: ${labels})`, {
      file: test === undefined ? '--cell' : '--test',
    });
  }
  const nights = window.cells.get(cell)!;
  const commitAt = (runId: string) => {
    const i = window.runs.findIndex((r) => r.runId === runId);
    const kernel = nights[i] ? window.runs[i]!.facts.kernels.get(nights[i]!.kernel) : undefined;
    return kernel?.commit ?? /^git:([0-9a-f]{40})/.exec(kernel?.source ?? '')?.[1] ?? null;
  };
  const good = commitAt(regression.lastGood);
  const bad = commitAt(regression.firstBad);
  const changed = (regression.changes ?? []).map((c) => `${c.input}: ${c.before} -> ${c.after}`).join('; ') || 'nothing but the night';
  if (!good || !bad) {
    throw new InputError(
      `the regression's last good run (${regression.lastGood}) and first bad run (${regression.firstBad}) did not both build a git commit; what changed: ${changed}`,
      { file: '--cell' },
    );
  }
  if (good === bad) {
    throw new InputError(
      `the regression's last good and first bad runs both built ${good}: no commit to bisect; what changed: ${changed}`,
      {
        file: '--cell',
      },
    );
  }
  // a regression itself had no flaky night (that would make it unstable); its cell may have, on another test's account
  const cellEntry = mine.find((e) => e.test === undefined);
  const shaky = cellEntry !== undefined && (cellEntry.label === 'unstable' || cellEntry.outcomes.includes('flaky'));
  return { entry: regression as BisectTarget['entry'], good, bad, tries: shaky ? UNSTABLE_TRIES : 1 };
}
