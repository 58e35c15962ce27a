import type { HostFacts } from '../report/types.js';
import type { RunFacts } from './inputs.js';
import type { Observation } from './labels.js';
import { guarded, type HistoryStore } from './store.js';
import type { BisectionRow } from './tables.js';

/** The runs a history looks at: one matrix's newest N, oldest first, with every cell and test they reported. */
export interface HistoryWindow {
  matrix: string;
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
  interrupted: string | null;
  facts: RunFacts;
}

export interface CellNight extends Observation {
  kernel: string;
  vmm: string;
}

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
    const matrix =
      query.matrix ??
      (
        await db
          .selectFrom('runs')
          .select('matrix_name')
          .orderBy('started_at', 'desc')
          .orderBy('run_id', 'desc')
          .limit(1)
          .executeTakeFirst()
      )?.matrix_name;
    if (matrix === undefined) return null;
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
    const [kernels, cells, results, bisections] = await Promise.all([
      db.selectFrom('run_kernels').selectAll().where('run_id', 'in', ids).execute(),
      db
        .selectFrom('cells')
        .select(['run_id', 'cell_id', 'kernel_id', 'vmm', 'verdict', 'expected', 'status'])
        .where('run_id', 'in', ids)
        .execute(),
      db.selectFrom('results').select(['run_id', 'cell_id', 'path', 'verdict', 'expected', 'status']).where('run_id', 'in', ids).execute(),
      db.selectFrom('bisections').selectAll().where('first_bad_run', 'in', ids).execute(),
    ]);
    const runs: WindowRun[] = rows.map((r) => {
      const selection = JSON.parse(r.selection) as { cells: string[]; filters: string[]; test?: string };
      return {
        runId: r.run_id,
        startedAt: r.started_at,
        folder: r.folder,
        whole: selection.cells.length === 0 && selection.filters.length === 0 && selection.test === undefined,
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
    const tests = new Map<string, Map<string, (Observation | null)[]>>();
    for (const r of results) {
      const paths = tests.get(r.cell_id) ?? tests.set(r.cell_id, new Map()).get(r.cell_id)!;
      const nights =
        paths.get(r.path) ??
        paths
          .set(
            r.path,
            runs.map(() => null),
          )
          .get(r.path)!;
      nights[at.get(r.run_id)!] = { verdict: r.verdict, expected: r.expected, status: r.status };
    }
    return { matrix, runs, cells: byCell, tests, bisections };
  });
}
