import { createHash } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import type { Kysely } from 'kysely';
import { InputError } from '../matrix/input-error.js';
import type { LoadedRun } from '../report/load-results.js';
import { runRows, type RunRows } from './run-rows.js';
import { guarded, type HistoryStore } from './store.js';
import type { HistoryTables } from './tables.js';

export type AddOutcome =
  | { kind: 'added'; runId: string; cells: number; results: number }
  /** The same results were added before: recorded once. */
  | { kind: 'already'; runId: string };

/** Rows a statement: well under SQLite's 32,766 and PostgreSQL's 65,535 parameters. */
const CHUNK = 1000;

/**
 * Records one run, whole or not at all: its rows go in one transaction,
 * alone among the store's writers, so that a kill half-way leaves the
 * store as it was and two adds at once lose nothing. A run added before is
 * recorded once; the same run id with other results is refused.
 */
export async function addRun(store: HistoryStore, rows: RowsToAdd): Promise<AddOutcome> {
  const { file } = rows;
  const runId = rows.run.run_id;
  return guarded(store, () =>
    store.write(async (trx) => {
      const before = await trx
        .selectFrom('runs')
        .select(['results_sha256', 'folder', 'added_at'])
        .where('run_id', '=', runId)
        .executeTakeFirst();
      if (before) {
        if (before.results_sha256 === rows.run.results_sha256) return { kind: 'already', runId };
        throw new InputError(
          `run ${runId} is in ${store.name} already, with other results (added from ${before.folder} at ${before.added_at}); this run was not added`,
          { file },
        );
      }
      await insertRows(trx, rows);
      return { kind: 'added', runId, cells: rows.cells.length, results: rows.results.length };
    }),
  );
}

/** A run's rows, and the results.json they came from. */
export type RowsToAdd = RunRows & { file: string };

/** A run as rows to add, or one InputError naming its file: a shard, or a kernel, cell or test named twice. */
export function rowsToAdd(loaded: LoadedRun, now: Date): RowsToAdd {
  const { results, file } = loaded;
  if (results.shard) {
    throw new InputError(
      `a shard of a run (${results.shard.index}/${results.shard.count}): add the run its shards merge into (kvmatrix report merge), once`,
      { file, keyPath: 'shard' },
    );
  }
  const rows = runRows(results, {
    folder: realpathSync(loaded.runDir),
    resultsSha256: createHash('sha256').update(readFileSync(file)).digest('hex'),
    addedAt: now.toISOString(),
  });
  refuseTwice(rows, file);
  return { ...rows, file };
}

async function insertRows(trx: Kysely<HistoryTables>, rows: RunRows): Promise<void> {
  await trx.insertInto('runs').values(rows.run).execute();
  if (rows.kernels.length) await trx.insertInto('run_kernels').values(rows.kernels).execute();
  for (let i = 0; i < rows.cells.length; i += CHUNK)
    await trx
      .insertInto('cells')
      .values(rows.cells.slice(i, i + CHUNK))
      .execute();
  for (let i = 0; i < rows.results.length; i += CHUNK)
    await trx
      .insertInto('results')
      .values(rows.results.slice(i, i + CHUNK))
      .execute();
  // a set many nights share is stored by the first of them
  for (const set of rows.leafSets) {
    await trx
      .insertInto('leaf_sets')
      .values(set)
      .onConflict((c) => c.column('digest').doNothing())
      .execute();
  }
}

/** A results.json that names a kernel, cell or test twice cannot be recorded as it says. */
function refuseTwice(rows: RunRows, file: string): void {
  const twice = (keys: string[]) => keys.find((k, i) => keys.indexOf(k) !== i);
  const kernel = twice(rows.kernels.map((k) => k.kernel_id));
  if (kernel !== undefined) throw new InputError(`kernel ${kernel} is listed twice`, { file, keyPath: 'kernels' });
  const cell = twice(rows.cells.map((c) => c.cell_id));
  if (cell !== undefined) throw new InputError(`cell ${cell} is listed twice`, { file, keyPath: 'cells' });
  const seen = new Set<string>();
  for (const r of rows.results) {
    const key = `${r.cell_id}\n${r.path}`;
    if (seen.has(key)) throw new InputError(`cell ${r.cell_id} reports test ${r.path} twice`, { file, keyPath: 'cells' });
    seen.add(key);
  }
}
