import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import { openStore } from '../../harness/history/store.js';
import type { StoreTarget } from '../../harness/history/store-target.js';
import { loadRun, type LoadedRun } from '../../harness/report/load-results.js';
import type { RunResults } from '../../harness/report/types.js';
import { postgresMissing, startPostgres, type PostgresServer } from './postgres.js';
import { tempTree } from './temp-tree.js';

/** The two engines a history runs on, each making a fresh, empty store for a test. */
export interface Engine {
  name: 'sqlite' | 'postgres';
  /** Why this engine cannot be tested here, or false. */
  skip: string | false;
  fresh(label: string): Promise<StoreTarget>;
}

/**
 * SQLite in a temporary folder, and PostgreSQL in a throwaway cluster that
 * starts with the first store asked of it and stops when the test file ends.
 */
export function engines(t: Test): Engine[] {
  let server: Promise<PostgresServer> | null = null;
  let made = 0;
  t.teardown(async () => {
    if (server) (await server).stop();
  });
  return [
    { name: 'sqlite', skip: false, fresh: async (label) => ({ engine: 'sqlite', file: join(tempTree({}), `${label}.sqlite`) }) },
    {
      name: 'postgres',
      skip: postgresMissing() ?? false,
      async fresh(label) {
        server ??= startPostgres();
        return { engine: 'postgres', url: await (await server).database(`${label.replace(/\W/g, '_')}_${++made}`) };
      },
    },
  ];
}

/** A run written to a folder of its own, read back as `history add` reads it. */
export function runFolder(results: RunResults, root = tempTree({})): LoadedRun {
  const dir = join(root, results.runId);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'results.json'), JSON.stringify(results));
  return loadRun(dir);
}

/** Rows in each of the history's tables. */
export async function rowCounts(target: StoreTarget): Promise<Record<'runs' | 'run_kernels' | 'cells' | 'results', number>> {
  const store = await openStore(target, { create: false });
  try {
    const count = async (table: 'runs' | 'run_kernels' | 'cells' | 'results') =>
      Number(
        (
          await store.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    return {
      runs: await count('runs'),
      run_kernels: await count('run_kernels'),
      cells: await count('cells'),
      results: await count('results'),
    };
  } finally {
    await store.close();
  }
}

/** `--store`'s value for a target. */
export function storeArg(target: StoreTarget): string {
  return target.engine === 'sqlite' ? target.file : target.url;
}
