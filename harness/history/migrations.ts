import type { Kysely } from 'kysely';

/**
 * The store's schema, one step a version. A store written by an older
 * kvmatrix is brought up step by step, inside the write lock, and is never
 * reset; a step, once released, is never edited: a change is a new step.
 */
export interface Migration {
  version: number;
  what: string;
  up(db: Kysely<unknown>): Promise<void>;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    what: 'runs, their kernels, cells and judged tests',
    async up(db) {
      await db.schema
        .createTable('runs')
        .addColumn('run_id', 'text', (c) => c.primaryKey())
        .addColumn('matrix_name', 'text', (c) => c.notNull())
        .addColumn('matrix_file', 'text', (c) => c.notNull())
        .addColumn('matrix_digest', 'text')
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('finished_at', 'text', (c) => c.notNull())
        .addColumn('results_sha256', 'text', (c) => c.notNull())
        .addColumn('folder', 'text', (c) => c.notNull())
        .addColumn('added_at', 'text', (c) => c.notNull())
        .addColumn('kvmatrix_version', 'text', (c) => c.notNull())
        .addColumn('kvmatrix_commit', 'text')
        .addColumn('host_name', 'text')
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('merged_hosts', 'text')
        .addColumn('merged_from', 'text')
        .addColumn('interrupted', 'text')
        .addColumn('selection', 'text', (c) => c.notNull())
        .addColumn('cells', 'integer', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('runs_by_matrix').on('runs').columns(['matrix_name', 'started_at']).execute();
      await db.schema
        .createTable('run_kernels')
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('kernel_id', 'text', (c) => c.notNull())
        .addColumn('ok', 'integer', (c) => c.notNull())
        .addColumn('source', 'text')
        .addColumn('commit_id', 'text')
        .addColumn('commit_subject', 'text')
        .addColumn('patchset_hash', 'text')
        .addColumn('patches', 'text')
        .addColumn('cache_key', 'text')
        .addColumn('stage', 'text')
        .addColumn('message', 'text')
        .addPrimaryKeyConstraint('run_kernels_key', ['run_id', 'kernel_id'])
        .execute();
      await db.schema
        .createTable('cells')
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('cell_id', 'text', (c) => c.notNull())
        .addColumn('kernel_id', 'text', (c) => c.notNull())
        .addColumn('vmm', 'text', (c) => c.notNull())
        .addColumn('vmm_type', 'text', (c) => c.notNull())
        .addColumn('transport', 'text', (c) => c.notNull())
        .addColumn('topology', 'text', (c) => c.notNull())
        .addColumn('verdict', 'text', (c) => c.notNull())
        .addColumn('expected', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('expected_by', 'text')
        .addColumn('expected_why', 'text')
        .addColumn('reasons', 'text', (c) => c.notNull())
        .addColumn('interrupted', 'integer', (c) => c.notNull())
        .addColumn('boots', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('cells_key', ['run_id', 'cell_id'])
        .execute();
      await db.schema
        .createTable('results')
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('cell_id', 'text', (c) => c.notNull())
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('verdict', 'text', (c) => c.notNull())
        .addColumn('expected', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('expected_by', 'text')
        .addColumn('reasons', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('results_key', ['run_id', 'cell_id', 'path'])
        .execute();
    },
  },
  {
    version: 2,
    what: 'bisections: the first bad commit `history bisect` found for a regression',
    async up(db) {
      await db.schema
        .createTable('bisections')
        .addColumn('cell_id', 'text', (c) => c.notNull())
        .addColumn('test', 'text', (c) => c.notNull())
        .addColumn('first_bad_run', 'text', (c) => c.notNull())
        .addColumn('last_good_run', 'text', (c) => c.notNull())
        .addColumn('good_commit', 'text', (c) => c.notNull())
        .addColumn('bad_commit', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('first_bad_commit', 'text')
        .addColumn('first_bad_subject', 'text')
        .addColumn('folder', 'text', (c) => c.notNull())
        .addColumn('recorded_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('bisections_key', ['cell_id', 'test', 'first_bad_run'])
        .execute();
    },
  },
  {
    version: 3,
    what: "leaf sets: each cell's list of judged tests, stored once however many nights share it, so that a year reads in a second",
    async up(db) {
      await db.schema
        .createTable('leaf_sets')
        .addColumn('digest', 'text', (c) => c.primaryKey())
        .addColumn('paths', 'text', (c) => c.notNull())
        .execute();
      // null in cells added before: their tests are read from results, as before
      await db.schema.alterTable('cells').addColumn('leaf_set', 'text').execute();
    },
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
