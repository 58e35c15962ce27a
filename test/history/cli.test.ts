import Database from 'better-sqlite3';
import { join } from 'node:path';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { kvmatrix } from '../support/cli.js';
import { runFolder } from '../support/history-stores.js';
import { nightRun } from '../support/night-runs.js';
import { tempTree } from '../support/temp-tree.js';

/** The history commands' edges, through the built CLI: usage errors exit 2, never 1 (which the gate and bisect give a meaning). */
t.test('options given before the subcommand are refused, not swallowed', async (t) => {
  const dir = tempTree({});
  const run = runFolder(nightRun({ night: 0, cells: 1, suites: 1, cases: 1 }));
  const store = join(dir, 'h.sqlite');
  const wrong = await kvmatrix(['history', '--store', store, 'add', run.runDir]);
  t.equal(wrong.code, 2);
  t.match(wrong.stderr, '--store goes after the subcommand: kvmatrix history add ... --store ...');
  t.notOk(existsSync(store));
  for (const args of [['gate', '--bogus'], ['gate', '--last', '0'], ['bisect'], ['add']]) {
    const usage = await kvmatrix(['history', ...args]);
    t.equal(usage.code, 2, `history ${args.join(' ')}: exit 2 (${usage.stderr.trim()})`);
  }
});

t.test('a store another program made, and a damaged one, are one error each, exit 2', async (t) => {
  const dir = tempTree({});
  const run = runFolder(nightRun({ night: 0, cells: 1, suites: 1, cases: 1 }));
  const viewOnly = join(dir, 'view.sqlite');
  const db = new Database(viewOnly);
  db.exec('create view answer as select 42 as n');
  db.close();
  const foreign = await kvmatrix(['history', 'add', run.runDir, '--store', viewOnly]);
  t.equal(foreign.code, 2);
  t.match(foreign.stderr, /view\.sqlite: not a kvmatrix history \(it has tables answer, and no kvmatrix_store\); left as it is/);

  const store = join(dir, 'h.sqlite');
  t.equal((await kvmatrix(['history', 'add', run.runDir, '--store', store])).code, 0);
  const hurt = new Database(store);
  hurt.exec('drop table results');
  hurt.close();
  const damaged = await kvmatrix(['history', '--store', store]);
  t.equal(damaged.code, 2, damaged.stderr);
  t.match(damaged.stderr, /h\.sqlite: not a kvmatrix history, or a damaged one \(no such table: results\); left as it is/);
  t.notMatch(damaged.stderr, /internal error/);
  writeFileSync(join(dir, 'empty.sqlite'), '');
  t.equal((await kvmatrix(['history', 'gate', '--store', join(dir, 'empty.sqlite')])).code, 2, 'an empty file holds no history yet');
});

t.test('run --history refuses a shard, and history add refuses a results.json that does not validate, naming it', async (t) => {
  const shard = await kvmatrix(['run', '--history', '--shard', '1/2', '--out', tempTree({})]);
  t.equal(shard.code, 2);
  t.match(
    shard.stderr,
    '--history: a shard is not added to the history: merge the shards (kvmatrix report merge), then add the merged run',
  );

  const dir = tempTree({});
  const good = runFolder(nightRun({ night: 0, cells: 1, suites: 1, cases: 1 }));
  const bad = runFolder(nightRun({ night: 1, cells: 1, suites: 1, cases: 1 }));
  const results = JSON.parse(readFileSync(bad.file, 'utf8')) as { cells: { verdict: string }[] };
  results.cells[0]!.verdict = 'splendid';
  writeFileSync(bad.file, JSON.stringify(results));
  const store = join(dir, 'h.sqlite');
  const refused = await kvmatrix(['history', 'add', good.runDir, bad.runDir, '--store', store]);
  t.equal(refused.code, 2);
  t.match(refused.stderr, `${bad.file}: cells[0].verdict:`);
  t.notOk(existsSync(store), 'nothing of the command was added: the runs are read before the store is opened');
});
