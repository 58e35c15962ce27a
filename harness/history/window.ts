import type { HostFacts } from '../report/types.js';
import type { RunFacts } from './inputs.js';
import type { Observation } from './labels.js';
import { InputError } from '../matrix/input-error.js';
import { guarded, type HistoryStore } from './store.js';
import type { BisectionRow } from './tables.js';

/** The runs a history looks at: one matrix's newest N, oldest first, with every cell and test they reported. */
export interface HistoryWindow {
  matrix: string;
  /** The other matrices the history holds runs of (a store several pipelines share). */
  others: string[];
  runs: WindowRun[];
  /** Per cell, its night in each run (null where the run has no such cell). */
  cells: Map<string, (CellNight | null)[]>;
  /** Per cell, per test path, its night in each run. */
  tests: Map<string, Map<string, (Observation | null)[]>>;
  /** What `history bisect` found for regressions whose first bad run is in the window. */
  bisections: BisectionRow[];
}

export interface WindowRun {
  runId: string;
  startedAt: string;
  folder: string;
  /** The run selected the whole matrix (no --cell, --filter or --test): a cell it lacks has left the matrix. */
  whole: boolean;
  /** The run's --test glob: a test it does not name was not asked for, so is not missing. */
  testGlob: string | null;
  interrupted: string | null;
  facts: RunFacts;
}

export interface CellNight extends Observation {
  kernel: string;
  vmm: string;
}

/** A test as the matrix expects it: most of a history's nights. */
const PASSED: Observation = Object.freeze({ verdict: 'pass', expected: 'pass', status: 'as-expected' });

/** How many runs a history looks at unless told. */
export const DEFAULT_WINDOW = 30;

export interface WindowQuery {
  /** The matrix's name; default: the newest run's. */
  matrix?: string;
  last: number;
}

/** The window, or null when the store has no run (of that matrix). */
export async function readWindow(store: HistoryStore, query: WindowQuery): Promise<HistoryWindow | null> {
  return guarded(store, async () => {
    const db = store.db;
    const chosen = await chosenMatrix(store, query.matrix);
    if (!chosen) return null;
    const { matrix, others } = chosen;
    const newestFirst = await db
      .selectFrom('runs')
      .selectAll()
      .where('matrix_name', '=', matrix)
      .orderBy('started_at', 'desc')
      .orderBy('run_id', 'desc')
      .limit(query.last)
      .execute();
    if (newestFirst.length === 0) return null;
    const rows = newestFirst.reverse();
    const ids = rows.map((r) => r.run_id);
    const at = new Map(ids.map((id, i) => [id, i]));
    const [kernels, cells, notPassed, bisections] = await Promise.all([
      db.selectFrom('run_kernels').selectAll().where('run_id', 'in', ids).execute(),
      db
        .selectFrom('cells')
        .select(['run_id', 'cell_id', 'kernel_id', 'vmm', 'verdict', 'expected', 'status', 'leaf_set'])
        .where('run_id', 'in', ids)
        .execute(),
      // most of a year is passes: those come from the cells' leaf sets, and only the rest row by row
      db
        .selectFrom('results')
        .select(['run_id', 'cell_id', 'path', 'verdict', 'expected', 'status'])
        .where('run_id', 'in', ids)
        .where((eb) => eb.not(eb.and([eb('verdict', '=', 'pass'), eb('expected', '=', 'pass'), eb('status', '=', 'as-expected')])))
        .execute(),
      db.selectFrom('bisections').selectAll().where('first_bad_run', 'in', ids).execute(),
    ]);
    const digests = [...new Set(cells.flatMap((c) => (c.leaf_set ? [c.leaf_set] : [])))];
    const sets = new Map(
      digests.length
        ? (await db.selectFrom('leaf_sets').selectAll().where('digest', 'in', digests).execute()).map((l) => [
            l.digest,
            leafPaths(l.digest, l.paths, store.name),
          ])
        : [],
    );
    // cells added before schema 3 have no leaf set: their tests are read whole
    const older = [...new Set(cells.filter((c) => !c.leaf_set || !sets.has(c.leaf_set)).map((c) => c.run_id))];
    const olderRows = older.length
      ? await db.selectFrom('results').select(['run_id', 'cell_id', 'path']).where('run_id', 'in', older).execute()
      : [];
    const runs: WindowRun[] = rows.map((r) => {
      const selection = JSON.parse(r.selection) as { cells: string[]; filters: string[]; test?: string };
      return {
        runId: r.run_id,
        startedAt: r.started_at,
        folder: r.folder,
        whole: selection.cells.length === 0 && selection.filters.length === 0 && selection.test === undefined,
        testGlob: selection.test ?? null,
        interrupted: r.interrupted,
        facts: {
          matrixDigest: r.matrix_digest,
          kvmatrixVersion: r.kvmatrix_version,
          kvmatrixCommit: r.kvmatrix_commit,
          host: JSON.parse(r.host) as HostFacts,
          mergedHosts: r.merged_hosts ? (JSON.parse(r.merged_hosts) as HostFacts[]) : null,
          kernels: new Map(),
        },
      };
    });
    for (const k of kernels) {
      runs[at.get(k.run_id)!]!.facts.kernels.set(k.kernel_id, { source: k.source, commit: k.commit_id, patchsetHash: k.patchset_hash });
    }
    const byCell = new Map<string, (CellNight | null)[]>();
    for (const c of cells) {
      const nights =
        byCell.get(c.cell_id) ??
        byCell
          .set(
            c.cell_id,
            runs.map(() => null),
          )
          .get(c.cell_id)!;
      nights[at.get(c.run_id)!] = { verdict: c.verdict, expected: c.expected, status: c.status, kernel: c.kernel_id, vmm: c.vmm };
    }
    const key = (run: string, cell: string) => `${run}\n${cell}`;
    const failed = new Map<string, Map<string, Observation>>();
    for (const r of notPassed) {
      const k = key(r.run_id, r.cell_id);
      (failed.get(k) ?? failed.set(k, new Map()).get(k)!).set(r.path, { verdict: r.verdict, expected: r.expected, status: r.status });
    }
    const olderPaths = new Map<string, string[]>();
    for (const r of olderRows) {
      const k = key(r.run_id, r.cell_id);
      (olderPaths.get(k) ?? olderPaths.set(k, []).get(k)!).push(r.path);
    }
    const tests = new Map<string, Map<string, (Observation | null)[]>>();
    for (const c of cells) {
      const k = key(c.run_id, c.cell_id);
      const paths = (c.leaf_set ? sets.get(c.leaf_set) : undefined) ?? olderPaths.get(k) ?? [];
      const notGood = failed.get(k);
      const byPath = tests.get(c.cell_id) ?? tests.set(c.cell_id, new Map()).get(c.cell_id)!;
      const night = at.get(c.run_id)!;
      for (const path of paths) {
        const nights =
          byPath.get(path) ??
          byPath
            .set(
              path,
              runs.map(() => null),
            )
            .get(path)!;
        nights[night] = notGood?.get(path) ?? PASSED;
      }
    }
    return { matrix, others, runs, cells: byCell, tests, bisections };
  });
}

/**
 * The matrix to look at: the one named, or the newest run's. A name the
 * history has no run of, while it has runs of others, is a typo to point
 * out, not an empty history.
 */
async function chosenMatrix(store: HistoryStore, named: string | undefined): Promise<{ matrix: string; others: string[] } | null> {
  const names = (await store.db.selectFrom('runs').select('matrix_name').distinct().orderBy('matrix_name').execute()).map(
    (r) => r.matrix_name,
  );
  if (names.length === 0) return null;
  if (named !== undefined && !names.includes(named)) {
    throw new InputError(`no run of matrix ${named} (it holds runs of ${names.slice(0, 8).join(', ')})`, { file: store.name });
  }
  const newest = await store.db
    .selectFrom('runs')
    .select('matrix_name')
    .orderBy('started_at', 'desc')
    .orderBy('run_id', 'desc')
    .limit(1)
    .executeTakeFirstOrThrow();
  const matrix = named ?? newest.matrix_name;
  return { matrix, others: names.filter((n) => n !== matrix) };
}

/** A leaf set's paths; a set that is not a list of paths is a damaged store. */
function leafPaths(digest: string, text: string, store: string): string[] {
  let paths: unknown;
  try {
    paths = JSON.parse(text);
  } catch {
    paths = null;
  }
  if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string')) {
    throw new InputError(`a damaged kvmatrix history: leaf set ${digest} is not a list of test paths; left as it is`, { file: store });
  }
  return paths as string[];
}
