import { inputChanges, type CellInputs, type InputChange } from './inputs.js';

/**
 * What a test (or a cell) has been over a window of runs, in one
 * vocabulary with `compare`'s. The rules, and their precedence, are the
 * README's table under "History".
 */
export type HistoryLabel = 'regression' | 'unstable' | 'fixed' | 'missing' | 'new' | 'persistent' | 'known' | 'pass' | 'cannot-tell';

/** The order a reader wants them in: what changed first. */
export const LABELS: readonly HistoryLabel[] = [
  'regression',
  'unstable',
  'fixed',
  'missing',
  'new',
  'persistent',
  'known',
  'pass',
  'cannot-tell',
];

/**
 * One night of one test, as the history counts it:
 * good (as the matrix expects, a pass), known (a failure the matrix expects),
 * bad (not as expected: a fail, a crash, a timeout, a pass where a failure was expected),
 * flaky (the night's boots disagreed), infra (an `error`: the machine, not the kernel),
 * skip (not run), absent (not reported).
 */
export type Outcome = 'good' | 'known' | 'bad' | 'flaky' | 'infra' | 'skip' | 'absent';

export interface Observation {
  verdict: string;
  expected: string;
  status: string;
}

const VERDICTS: ReadonlySet<string> = new Set(['pass', 'fail', 'error', 'timeout', 'skip', 'flaky', 'crashed']);
const STATUSES: ReadonlySet<string> = new Set(['as-expected', 'unexpected', 'skipped']);

/**
 * A stored night as an outcome. Strict: a row whose verdict, status and
 * expectation do not add up (as expected, yet a pass where a failure was
 * expected; a verdict kvmatrix never writes) is `infra`, a night that
 * cannot tell, never a pass.
 */
export function outcomeOf(seen: Observation | null): Outcome {
  if (!seen) return 'absent';
  const { verdict, expected, status } = seen;
  if (!VERDICTS.has(verdict) || !STATUSES.has(status) || verdict === 'error') return 'infra';
  if (verdict === 'flaky') return 'flaky';
  if (status === 'unexpected') return 'bad';
  if (verdict === 'skip' || status === 'skipped') return verdict === 'skip' ? 'skip' : 'infra';
  if (verdict === 'pass' && expected === 'pass') return 'good';
  if (verdict !== 'pass' && expected === 'fail') return 'known';
  return 'infra';
}

const INFORMS: ReadonlySet<Outcome> = new Set(['good', 'known', 'bad', 'flaky']);
const isBad = (o: Outcome) => o === 'bad' || o === 'flaky';

/** A test's nights, oldest first, with what the cell was made of each night (null where it did not run). */
export interface Series {
  outcomes: Outcome[];
  inputs: (CellInputs | null)[];
  /** Night by night: was the test's cell selected and read, so that a test it lacks is missing? */
  expectedToReport: boolean[];
}

export interface Labelled {
  label: HistoryLabel;
  /** Indexes into the window's runs. A regression: its last good and first bad night; fixed: last bad and first good. */
  lastGood?: number;
  firstBad?: number;
  lastBad?: number;
  firstGood?: number;
  /** What differed between those two nights' inputs; empty: nothing but the night. */
  changes?: InputChange[];
  /** Missing: the first night it was expected and not reported, since it was last reported. */
  missingSince?: number;
  /** Unstable: the nights it failed, of the nights that told. */
  failed?: number;
  told?: number;
}

/** How many flips without a change of input make a test unstable (one is a regression, or a fix). */
export const UNSTABLE_FLIPS = 2;
/**
 * How many flips of any cause do: a nightly tree moves every night, so a
 * flaky test's flips come with a new commit each time; bad, good, bad,
 * good is a test that flips every few nights, not three commits that
 * broke, fixed and broke it again.
 */
export const UNSTABLE_ANY_FLIPS = 3;

export function labelSeries(series: Series): Labelled {
  const { outcomes, inputs } = series;
  const newest = outcomes.length - 1;
  const told = outcomes.flatMap((o, i) => (INFORMS.has(o) ? [i] : []));
  const seenBefore = outcomes.slice(0, newest).some((o) => o !== 'absent');
  if (outcomes[newest] === 'absent' && seenBefore && series.expectedToReport[newest])
    return { label: 'missing', missingSince: missingSince(series) };
  if (told.length === 0) return { label: 'cannot-tell' };

  let flips = 0;
  let unexplained = 0;
  for (let k = 1; k < told.length; k++) {
    const [a, b] = [told[k - 1]!, told[k]!];
    if (isBad(outcomes[a]!) === isBad(outcomes[b]!)) continue;
    flips++;
    if (sameInputs(inputs[a] ?? null, inputs[b] ?? null)) unexplained++;
  }
  const failed = told.filter((i) => isBad(outcomes[i]!)).length;
  if (outcomes.includes('flaky') || unexplained >= UNSTABLE_FLIPS || flips >= UNSTABLE_ANY_FLIPS) {
    return { label: 'unstable', failed, told: told.length };
  }

  const last = told[told.length - 1]!;
  if (isBad(outcomes[last]!)) {
    const lastGood = [...told].reverse().find((i) => i < last && !isBad(outcomes[i]!));
    // no night before told (first reported, or only errors and skips before): this night is its first bad one
    if (lastGood === undefined) return { label: told[0] === newest ? 'new' : 'persistent' };
    const firstBad = told.find((i) => i > lastGood)!;
    return { label: 'regression', lastGood, firstBad, changes: changesBetween(inputs[lastGood] ?? null, inputs[firstBad] ?? null) };
  }
  const lastBad = [...told].reverse().find((i) => isBad(outcomes[i]!));
  if (lastBad !== undefined) {
    const firstGood = told.find((i) => i > lastBad)!;
    return { label: 'fixed', lastBad, firstGood, changes: changesBetween(inputs[lastBad] ?? null, inputs[firstGood] ?? null) };
  }
  if (told[0] === newest) return { label: 'new' };
  return { label: outcomes[last] === 'known' ? 'known' : 'pass' };
}

function missingSince(series: Series): number {
  const lastReported = series.outcomes.findLastIndex((o) => o !== 'absent');
  return series.expectedToReport.findIndex((expected, i) => i > lastReported && expected);
}

function sameInputs(a: CellInputs | null, b: CellInputs | null): boolean {
  return a !== null && b !== null && inputChanges(a, b).length === 0;
}

function changesBetween(a: CellInputs | null, b: CellInputs | null): InputChange[] {
  return a && b ? inputChanges(a, b) : [];
}
