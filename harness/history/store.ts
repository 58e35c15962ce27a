import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';
import { InputError } from '../matrix/input-error.js';
import { StoreError } from './store-error.js';
import { describeStore, type StoreTarget } from './store-target.js';
import type { HistoryTables } from './tables.js';

/** The tables a history has; a database that has some of them and no kvmatrix_store is not ours. */
const HISTORY_TABLES = ['kvmatrix_store', 'runs', 'run_kernels', 'cells', 'results', 'bisections', 'leaf_sets'];
const FORMAT = 'kvmatrix-history';
/** pg_advisory_xact_lock's key for "a writer of this history": one writer at a time. */
const WRITE_LOCK = 0x6b766d78;
/** How long a writer waits for another (an add of a year of leaves takes seconds, not minutes). */
const WAIT_MS = 120_000;

export interface HistoryStore {
  target: StoreTarget;
  /** The store as messages name it (a URL without its password). */
  name: string;
  db: Kysely<HistoryTables>;
  /** Runs `work` in one transaction, alone among the store's writers; nothing of it stays if it throws. */
  write<T>(work: (trx: Kysely<HistoryTables>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Create an empty history where there is none (adding a run); else there must be one. */
  create: boolean;
}

/**
 * Opens a history, checks that it is one (a corrupt, foreign or newer
 * store is one InputError naming it, and is left untouched) and brings an older one
 * up to this kvmatrix's schema.
 */
export async function openStore(target: StoreTarget, options: OpenOptions): Promise<HistoryStore> {
  const store = target.engine === 'sqlite' ? await openSqlite(target.file, options) : await openPostgres(target.url);
  try {
    await bringUpToDate(store, options);
    return store;
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** Opens a history, lets `use` work with it, and closes it whatever happens. */
export async function withStore<T>(target: StoreTarget, options: OpenOptions, use: (store: HistoryStore) => Promise<T>): Promise<T> {
  const store = await openStore(target, options);
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

async function openSqlite(file: string, options: OpenOptions): Promise<HistoryStore> {
  const name = describeStore({ engine: 'sqlite', file });
  if (!existsSync(file)) {
    if (!options.create) throw new InputError(`no history here yet (kvmatrix history add RUN starts one)`, { file: name });
    if (!existsSync(dirname(file))) throw new InputError(`its folder does not exist`, { file: name });
  } else if (!statSync(file).isFile()) {
    throw new InputError(`not a file`, { file: name });
  }
  const Database = nodeModules('better-sqlite3') as typeof import('better-sqlite3');
  let database: import('better-sqlite3').Database;
  try {
    database = new Database(file, { timeout: WAIT_MS });
  } catch (error) {
    throw new StoreError(`${name}: ${(error as Error).message}`);
  }
  const db = new Kysely<HistoryTables>({ dialect: new SqliteDialect({ database }) });
  return {
    target: { engine: 'sqlite', file },
    name,
    db,
    // IMMEDIATE takes the write lock at BEGIN: two deferred writers would both read, then one fail to write
    write: (work) =>
      db.connection().execute(async (conn) => {
        await sql`begin immediate`.execute(conn);
        try {
          const out = await work(conn);
          await sql`commit`.execute(conn);
          return out;
        } catch (error) {
          if (database.inTransaction) await sql`rollback`.execute(conn);
          throw error;
        }
      }),
    close: () => db.destroy(),
  };
}

async function openPostgres(url: string): Promise<HistoryStore> {
  const name = describeStore({ engine: 'postgres', url });
  const pg = nodeModules('pg') as typeof import('pg');
  const pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 15_000 });
  // an idle client's error (the server went away) is reported by the query that meets it
  pool.on('error', () => {});
  const db = new Kysely<HistoryTables>({ dialect: new PostgresDialect({ pool }) });
  return {
    target: { engine: 'postgres', url },
    name,
    db,
    write: (work) =>
      db.transaction().execute(async (trx) => {
        await sql`set local lock_timeout = ${sql.lit(`${WAIT_MS}ms`)}`.execute(trx);
        await sql`select pg_advisory_xact_lock(${sql.lit(WRITE_LOCK)})`.execute(trx);
        return work(trx);
      }),
    close: () => db.destroy(),
  };
}

/**
 * The engines' drivers, loaded from node_modules when a history command
 * runs, never bundled (bundle.mjs): better-sqlite3 is compiled, and pg
 * would pull in its optional native binding. require, because the bundle
 * runs in a vm.Script, which has no dynamic import().
 */
function nodeModules(name: 'better-sqlite3' | 'pg'): unknown {
  return createRequire(import.meta.url)(name);
}

async function bringUpToDate(store: HistoryStore, options: OpenOptions): Promise<void> {
  const found = await guarded(store, () => schemaOf(store));
  if (found === SCHEMA_VERSION) return;
  if (typeof found === 'number' && found > SCHEMA_VERSION) {
    throw new InputError(`written by a newer kvmatrix (history schema ${found}; this one knows up to ${SCHEMA_VERSION})`, {
      file: store.name,
    });
  }
  if (found === 'empty' && !options.create)
    throw new InputError(`no history here yet (kvmatrix history add RUN starts one)`, { file: store.name });
  await guarded(store, () =>
    store.write(async (trx) => {
      // another writer may have brought it up while this one waited
      const now = await schemaOf(store, trx);
      if (now === SCHEMA_VERSION) return;
      const from = now === 'empty' ? 0 : now;
      for (const step of MIGRATIONS.filter((m) => m.version > from)) await step.up(trx as Kysely<unknown>);
      if (now === 'empty') {
        await trx.schema
          .createTable('kvmatrix_store')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('value', 'text', (c) => c.notNull())
          .execute();
        await trx
          .insertInto('kvmatrix_store')
          .values([
            { key: 'format', value: FORMAT },
            { key: 'schema', value: String(SCHEMA_VERSION) },
          ])
          .execute();
      } else {
        await trx
          .updateTable('kvmatrix_store')
          .set({ value: String(SCHEMA_VERSION) })
          .where('key', '=', 'schema')
          .execute();
      }
    }),
  );
}

/** The store's schema version; 'empty' for a database with none of its tables. */
async function schemaOf(store: HistoryStore, db: Kysely<HistoryTables> = store.db): Promise<number | 'empty'> {
  const tables = await tableNames(store, db);
  if (!tables.includes('kvmatrix_store')) {
    // a file is a history alone; a server's database may hold other things beside one
    const strangers = store.target.engine === 'sqlite' ? tables : tables.filter((t) => HISTORY_TABLES.includes(t));
    if (strangers.length === 0) return 'empty';
    throw new InputError(
      `not a kvmatrix history (it has tables ${strangers.slice(0, 5).join(', ')}, and no kvmatrix_store); left as it is`,
      {
        file: store.name,
      },
    );
  }
  const meta = new Map((await db.selectFrom('kvmatrix_store').select(['key', 'value']).execute()).map((r) => [r.key, r.value]));
  const version = Number(meta.get('schema'));
  if (meta.get('format') !== FORMAT || !Number.isInteger(version) || version < 1) {
    throw new InputError(
      `not a kvmatrix history (kvmatrix_store says format ${meta.get('format') ?? 'none'}, schema ${meta.get('schema') ?? 'none'}); left as it is`,
      { file: store.name },
    );
  }
  return version;
}

/** What the database holds: a file's every table, view, index and trigger (and an application id another program set); a server's tables. */
async function tableNames(store: HistoryStore, db: Kysely<HistoryTables>): Promise<string[]> {
  if (store.target.engine === 'postgres') {
    const tables = await sql<{
      name: string;
    }>`select table_name as name from information_schema.tables where table_schema = current_schema()`.execute(db);
    return tables.rows.map((r) => r.name);
  }
  const objects = await sql<{ name: string }>`select name from sqlite_master where name not like 'sqlite\\_%' escape '\\'`.execute(db);
  const application = (await sql<{ application_id: number }>`pragma application_id`.execute(db)).rows[0]?.application_id ?? 0;
  return [...objects.rows.map((r) => r.name), ...(application !== 0 ? [`(application id ${application})`] : [])];
}

/** A store's own failure as one error naming it: a corrupt file is bad input, a server out of reach a StoreError. */
export async function guarded<T>(store: HistoryStore, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof StoreError || error instanceof InputError) throw error;
    const code = String((error as { code?: unknown }).code ?? '');
    const message = (error as Error).message ?? String(error);
    // better-sqlite3 gives extended codes (SQLITE_CORRUPT_INDEX, SQLITE_IOERR_READ): matched by their family
    if (/^SQLITE_(NOTADB|CORRUPT)/.test(code) || (code === 'SQLITE_ERROR' && /^no such (table|column)/.test(message))) {
      throw new InputError(`not a kvmatrix history, or a damaged one (${message}); left as it is`, { file: store.name });
    }
    if (/^SQLITE_(BUSY|LOCKED|READONLY|CANTOPEN|FULL|IOERR|PERM|AUTH|NOMEM)/.test(code)) throw new StoreError(`${store.name}: ${message}`);
    if (store.target.engine === 'postgres' && isConnectionTrouble(error)) {
      throw new StoreError(`${store.name}: ${(error as Error).message || String(code)}`);
    }
    throw error;
  }
}

function isConnectionTrouble(error: unknown): boolean {
  const code = String((error as { code?: unknown }).code ?? '');
  // node's socket errors, and PostgreSQL's classes 08 (connection), 28 (authorisation), 3D (no such database), 55P03 (lock timeout)
  return (
    /^E[A-Z]+$/.test(code) || /^(08|28|3D)/.test(code) || code === '55P03' || /timeout|terminated/i.test((error as Error).message ?? '')
  );
}
