import { existsSync } from 'node:fs';
import { execa } from 'execa';
import Database from 'better-sqlite3';
import pg from 'pg';
import t from 'tap';
import type { StoreTarget } from '../../harness/history/store-target.js';
import { cliPath, kvmatrix } from '../support/cli.js';
import { engines, rowCounts, runFolder, storeArg } from '../support/history-stores.js';
import { nightRun } from '../support/night-runs.js';
import { tempTree } from '../support/temp-tree.js';

/**
 * `kvmatrix history add` as processes do it to a store: two at once, and
 * one killed while its transaction is open. The built CLI, a real SQLite
 * file and a real PostgreSQL server.
 */
const [sqlite, postgres] = engines(t);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const engine of [sqlite!, postgres!]) {
  t.test(`${engine.name}: two adds at once lose nothing`, { skip: engine.skip }, async (t) => {
    const target = await engine.fresh('together');
    const root = tempTree({});
    const nights = Array.from({ length: 9 }, (_, i) => runFolder(nightRun({ night: i, cells: 6, suites: 5, cases: 10 }), root));
    const shared = nights[8]!;
    const left = [...nights.slice(0, 4), shared].map((n) => n.runDir);
    const right = [...nights.slice(4, 8), shared].map((n) => n.runDir);
    const [a, b] = await Promise.all([
      kvmatrix(['history', 'add', ...left, '--store', storeArg(target)]),
      kvmatrix(['history', 'add', ...right, '--store', storeArg(target)]),
    ]);
    t.equal(a.code, 0, a.stderr);
    t.equal(b.code, 0, b.stderr);
    t.same(await rowCounts(target), { runs: 9, run_kernels: 9, cells: 54, results: 54 * 50 });
    const told = `${a.stdout}${b.stdout}`;
    t.equal(told.split(`added run ${shared.results.runId}`).length - 1, 1, 'the run both gave was added by one');
    t.equal(told.split(`run ${shared.results.runId} is recorded already`).length - 1, 1, 'and found there by the other');
  });

  t.test(`${engine.name}: an add killed half-way leaves the store as it was`, { skip: engine.skip }, async (t) => {
    const target = await engine.fresh('killed');
    const root = tempTree({});
    const first = runFolder(nightRun({ night: 0, cells: 2, suites: 2, cases: 2 }), root);
    t.equal((await kvmatrix(['history', 'add', first.runDir, '--store', storeArg(target)])).code, 0);
    const before = await rowCounts(target);

    // a large run, so that its transaction is open long enough to be caught in the act
    let caught = false;
    for (let attempt = 1; attempt <= 6 && !caught; attempt++) {
      const big = runFolder(nightRun({ night: attempt, cells: 12 * attempt, suites: 20, cases: 40 }), root);
      const add = execa(process.execPath, [cliPath, 'history', 'add', big.runDir, '--store', storeArg(target)], { reject: false });
      const watching = await transactionWatcher(target);
      try {
        while (add.exitCode === null && add.pid !== undefined) {
          if (await watching.inTransaction()) {
            add.kill('SIGKILL');
            caught = true;
            break;
          }
          await sleep(1);
        }
      } finally {
        await watching.close();
      }
      const ended = await add;
      if (!caught) {
        t.equal(ended.exitCode, 0, 'an add not caught in the act finished');
        before.runs += 1;
        before.run_kernels += big.results.kernels.length;
        before.cells += big.results.cells.length;
        before.results += big.results.cells.length * 800;
        continue;
      }
      t.equal(ended.signal, 'SIGKILL', `killed inside its transaction (attempt ${attempt})`);
      if (target.engine === 'sqlite') t.ok(existsSync(`${target.file}-journal`), 'a hot journal was left behind');
      t.same(await rowCounts(target), before, 'the store reads as it was before the add');
      if (target.engine === 'sqlite') {
        const db = new Database(target.file, { readonly: true });
        t.equal(db.pragma('integrity_check', { simple: true }), 'ok');
        db.close();
      }
      const again = await kvmatrix(['history', 'add', big.runDir, '--store', storeArg(target)]);
      t.equal(again.code, 0, again.stderr);
      t.match(again.stdout, `added run ${big.results.runId}`, 'the killed run is added whole afterwards, not found half there');
    }
    t.ok(caught, 'one add was caught inside its transaction');
  });
}

/** Whether another process holds a write transaction of the store open, having written in it. */
async function transactionWatcher(target: StoreTarget): Promise<{ inTransaction(): Promise<boolean>; close(): Promise<void> }> {
  if (target.engine === 'sqlite') {
    // SQLite writes the rollback journal when a transaction first changes a page
    return { inTransaction: async () => existsSync(`${target.file}-journal`), close: async () => {} };
  }
  const client = new pg.Client({ connectionString: target.url });
  await client.connect();
  return {
    async inTransaction() {
      const busy = await client.query(
        'select 1 from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and backend_xid is not null',
      );
      return (busy.rowCount ?? 0) > 0;
    },
    close: () => client.end(),
  };
}
