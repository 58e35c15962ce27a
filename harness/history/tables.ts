/**
 * The history's tables as Kysely sees them, one interface a table. Both
 * engines store the same values: text, integers, and JSON as text (SQLite
 * has no JSON column, and the store reads it back whole); a flag is 0 or 1.
 */
export interface HistoryTables {
  kvmatrix_store: StoreMetaRow;
  runs: RunRow;
  run_kernels: RunKernelRow;
  cells: CellRow;
  results: ResultRow;
  bisections: BisectionRow;
  leaf_sets: LeafSetRow;
}

/** `format` (always kvmatrix-history) and `schema` (its version, as text). */
export interface StoreMetaRow {
  key: string;
  value: string;
}

export interface RunRow {
  run_id: string;
  matrix_name: string;
  matrix_file: string;
  /** Digest of the matrix's cells, tests and rules; null in runs written before it was recorded. */
  matrix_digest: string | null;
  started_at: string;
  finished_at: string;
  /** sha256 of the results.json added: the same run id with other results is refused. */
  results_sha256: string;
  /** The run folder's absolute path when it was added (the page links into it while it is there). */
  folder: string;
  added_at: string;
  kvmatrix_version: string;
  kvmatrix_commit: string | null;
  host_name: string | null;
  /** JSON: the run's HostFacts, and a merged run's shards' (null for a run of one machine). */
  host: string;
  merged_hosts: string | null;
  /** JSON: a merged run's shard run ids; a shard run is never added. */
  merged_from: string | null;
  interrupted: string | null;
  /** JSON: what the command line chose. */
  selection: string;
  /** How many cells it reported. */
  cells: number;
}

export interface RunKernelRow {
  run_id: string;
  kernel_id: string;
  ok: number;
  /** `tarball:sha256:…`, `git:<commit>…` or `image:sha256:…`; null when unrecorded. */
  source: string | null;
  commit_id: string | null;
  commit_subject: string | null;
  /** KCIDB's patchset hash over the patches applied, in order; '' for none; null when unrecorded. */
  patchset_hash: string | null;
  /** JSON: the patches applied (file, direction, sha256). */
  patches: string | null;
  cache_key: string | null;
  /** A failed build: the stage it stopped at, and why. */
  stage: string | null;
  message: string | null;
}

export interface CellRow {
  run_id: string;
  cell_id: string;
  kernel_id: string;
  vmm: string;
  vmm_type: string;
  transport: string;
  topology: string;
  verdict: string;
  expected: string;
  status: string;
  /** JSON: the expect rule behind `expected` ({rule, scope}); null for the default, pass. */
  expected_by: string | null;
  expected_why: string | null;
  /** JSON: why it did not go as expected, most telling first. */
  reasons: string;
  interrupted: number;
  /** How many boots decided it (1 unless repeated). */
  boots: number;
  /** The digest of its judged tests' paths (leaf_sets); null in cells added before schema 3. */
  leaf_set: string | null;
}

/**
 * A cell's judged tests, by path, in order: most nights of a cell report
 * the same ones, so the history reads a night's passes from the set and
 * its results rows only where a test did not pass.
 */
export interface LeafSetRow {
  digest: string;
  /** JSON: the paths. */
  paths: string;
}

/** A test judged on its own (a leaf, or a node that failed before its children were named). */
export interface ResultRow {
  run_id: string;
  cell_id: string;
  path: string;
  verdict: string;
  expected: string;
  status: string;
  expected_by: string | null;
  reasons: string;
}

/** What `history bisect` found for a regression: one row a regression (cell, test, first bad run), the latest kept. */
export interface BisectionRow {
  cell_id: string;
  /** The test's path; '' for the cell itself. */
  test: string;
  first_bad_run: string;
  last_good_run: string;
  good_commit: string;
  bad_commit: string;
  /** found, ambiguous, aborted, interrupted: as the bisect ended. */
  outcome: string;
  first_bad_commit: string | null;
  first_bad_subject: string | null;
  /** The bisect's own folder (bisect.json, bisect.log, a run per step). */
  folder: string;
  recorded_at: string;
}
