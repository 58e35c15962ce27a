import { copyFileSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import t, { type Test } from 'tap';
import { historyView } from '../../harness/history/history-view.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../harness/history/migrations.js';
import { runRows } from '../../harness/history/run-rows.js';
import { openStore } from '../../harness/history/store.js';
import type { StoreTarget } from '../../harness/history/store-target.js';
import type { HistoryTables } from '../../harness/history/tables.js';
import { projectRoot } from '../../harness/host/install-paths.js';
import { engines } from '../support/history-stores.js';
import { nightRun } from '../support/night-runs.js';
import { tempTree } from '../support/temp-tree.js';

/**
 * A history written by the first schema is brought up to this one, never
 * reset: test/fixtures/history/schema-1.sqlite was written by kvmatrix at
 * eb2608f (three nights, two cells, one case that broke on the second).
 */
const FIXTURE = join(projectRoot, 'test/fixtures/history/schema-1.sqlite');
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const [, postgres] = engines(t);

async function checkMigrated(t: Test, target: StoreTarget): Promise<void> {
  const store = await openStore(target, { create: false });
  try {
    const meta = await store.db.selectFrom('kvmatrix_store').selectAll().orderBy('key').execute();
    t.same(meta, [
      { key: 'format', value: 'kvmatrix-history' },
      { key: 'schema', value: String(SCHEMA_VERSION) },
    ]);
    t.same(await store.db.selectFrom('bisections').selectAll().execute(), [], 'the tables of later schemas are there, empty');
    const results = await store.db
      .selectFrom('results')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    t.equal(Number(results.n), 24, 'every result of the three nights kept');
  } finally {
    await store.close();
  }
  const view = await historyView(target, { last: 30 });
  const broke = view!.entries.find((e) => e.test === 'kunit.suite01.case01' && e.cell === 'k0/qemu-flat/legacy');
  t.match(broke, {
    label: 'regression',
    lastGood: '20260101-020000-0000',
    firstBad: '20260102-020000-0001',
    outcomes: ['good', 'bad', 'bad'],
  });
}

t.test("sqlite: the first schema's file is migrated, its runs kept, and the fixture itself untouched", async (t) => {
  const before = sha(FIXTURE);
  const copy = join(tempTree({}), 'history.sqlite');
  copyFileSync(FIXTURE, copy);
  await checkMigrated(t, { engine: 'sqlite', file: copy });
  await checkMigrated(t, { engine: 'sqlite', file: copy });
  t.equal(sha(FIXTURE), before);
});

t.test('postgres: a database of the first schema is migrated, its runs kept', { skip: postgres!.skip }, async (t) => {
  const target = await postgres!.fresh('first');
  if (target.engine !== 'postgres') throw new Error('a postgres target');
  // the first schema as its one step made it, and the same three nights the fixture holds, inserted at that schema
  const db = new Kysely<HistoryTables>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: target.url }) }) });
  try {
    await MIGRATIONS[0]!.up(db as Kysely<unknown>);
    await db.schema
      .createTable('kvmatrix_store')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text')
      .execute();
    await db
      .insertInto('kvmatrix_store')
      .values([
        { key: 'format', value: 'kvmatrix-history' },
        { key: 'schema', value: '1' },
      ])
      .execute();
    for (const night of [0, 1, 2]) {
      const rows = runRows(
        nightRun({ night, cells: 2, suites: 2, cases: 2, fails: (c, p) => night >= 1 && c === 0 && p.endsWith('suite01.case01') }),
        {
          folder: '/nowhere',
          resultsSha256: `night-${night}`,
          addedAt: '2026-12-07T19:45:00Z',
        },
      );
      await db.insertInto('runs').values(rows.run).execute();
      // a cell of the first schema had no leaf set
      await db
        .insertInto('cells')
        .values(rows.cells.map(({ leaf_set: _, ...cell }) => cell) as typeof rows.cells)
        .execute();
      await db.insertInto('results').values(rows.results).execute();
    }
  } finally {
    await db.destroy();
  }
  await checkMigrated(t, target);
});
