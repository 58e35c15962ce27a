import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InputError } from '../matrix/input-error.js';
import { loadRun, type LoadedRun } from '../report/load-results.js';
import type { RunResults } from '../report/types.js';
import { addRun, rowsToAdd, type AddOutcome } from './add.js';
import { withStore } from './store.js';
import { StoreError } from './store-error.js';
import type { StoreTarget } from './store-target.js';

/**
 * Adds runs to a history (started where there is none), oldest first, each
 * whole or not at all; the runs were read and checked before the store
 * was opened, so a bad one among them adds nothing. A run the store refuses
 * (its id there already with other results) stops the adding: the runs
 * before it are in, and were told.
 */
export async function recordRuns(
  target: StoreTarget,
  runs: readonly LoadedRun[],
  now: Date,
  /** Told of each run as it is recorded: when a later one is refused, the earlier ones are in. */
  onAdded: (outcome: AddOutcome) => void = () => {},
): Promise<{ store: string; added: AddOutcome[] }> {
  const oldestFirst = [...runs].sort((a, b) => a.results.startedAt.localeCompare(b.results.startedAt));
  const rows = oldestFirst.map((run) => rowsToAdd(run, now));
  return withStore(target, { create: true }, async (store) => {
    const added: AddOutcome[] = [];
    for (const run of rows) {
      const outcome = await addRun(store, run);
      added.push(outcome);
      onAdded(outcome);
    }
    return { store: store.name, added };
  });
}

export function describeAdded(outcome: AddOutcome): string {
  return outcome.kind === 'added'
    ? `added run ${outcome.runId}: ${outcome.cells} cell${outcome.cells === 1 ? '' : 's'}, ${outcome.results} test result${outcome.results === 1 ? '' : 's'}`
    : `run ${outcome.runId} is recorded already: added once`;
}

/**
 * `run --history`, before the run: a store that is there is opened and
 * checked (a file that is not a history is refused now, not after the
 * night), and one that is not must have a folder to go in.
 */
export async function readyStore(target: StoreTarget, outRoot: string): Promise<void> {
  if (target.engine === 'sqlite' && !existsSync(target.file)) {
    const folder = resolve(dirname(target.file));
    if (!existsSync(folder) && folder !== outRoot) throw new InputError('its folder does not exist', { file: target.file });
    return;
  }
  await withStore(target, { create: true }, async () => {});
}

/** What `run --history` says of its add: lines for stdout, for stderr, and whether the run is in the history. */
export interface FinishedRunRecord {
  out: string[];
  err: string[];
  recorded: boolean;
}

/**
 * `run --history`, after the run: adds it, or says why not. An interrupted
 * run is left out: half a night would read as tests gone missing. A store
 * that fails is told, not thrown: the run folder has the run all the same.
 */
export async function recordFinishedRun(target: StoreTarget, runDir: string, results: RunResults): Promise<FinishedRunRecord> {
  if (results.interrupted) {
    return {
      out: [],
      err: [`the run was stopped (${results.interrupted}): not added to the history (kvmatrix history add ${runDir} adds it)`],
      recorded: false,
    };
  }
  try {
    const { store, added } = await recordRuns(target, [loadRun(runDir)], new Date());
    return { out: added.map((outcome) => `history ${store}: ${describeAdded(outcome)}`), err: [], recorded: true };
  } catch (error) {
    if (!(error instanceof InputError || error instanceof StoreError)) throw error;
    return { out: [], err: [`the run is in ${runDir}, but not in the history: ${error.message}`], recorded: false };
  }
}
