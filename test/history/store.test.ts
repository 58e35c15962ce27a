import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import t from 'tap';
import { addRun, rowsToAdd } from '../../harness/history/add.js';
import { historyView } from '../../harness/history/history-view.js';
import { recordRuns } from '../../harness/history/record-runs.js';
import { loadRun } from '../../harness/report/load-results.js';
import { SCHEMA_VERSION } from '../../harness/history/migrations.js';
import { openStore } from '../../harness/history/store.js';
import { InputError } from '../../harness/matrix/input-error.js';
import { engines, rowCounts, runFolder } from '../support/history-stores.js';
import { nightRun } from '../support/night-runs.js';
import { tempTree } from '../support/temp-tree.js';

const NOW = new Date('2026-12-07T00:00:00Z');
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

const [sqlite, postgres] = engines(t);

for (const engine of [sqlite!, postgres!]) {
  t.test(`${engine.name}: a run is recorded whole, once`, { skip: engine.skip }, async (t) => {
    const target = await engine.fresh('whole');
    const night = runFolder(nightRun({ night: 0, cells: 4, suites: 3, cases: 5 }));
    const { added } = await recordRuns(target, [night], NOW);
    t.same(added, [{ kind: 'added', runId: night.results.runId, cells: 4, results: 60 }]);
    t.same(await rowCounts(target), { runs: 1, run_kernels: 1, cells: 4, results: 60 });

    const again = await recordRuns(target, [night, night], NOW);
    t.same(
      again.added.map((a) => a.kind),
      ['already', 'already'],
      'the same run, given twice more, is recorded once',
    );

    const altered = nightRun({ night: 0, cells: 4, suites: 3, cases: 5, fails: (c) => c === 1 });
    await t.rejects(recordRuns(target, [runFolder(altered)], NOW), /already, with other results.*this run was not added/);
    t.same(await rowCounts(target), { runs: 1, run_kernels: 1, cells: 4, results: 60 }, 'the other results added nothing');

    const store = await openStore(target, { create: false });
    try {
      const leaf = await store.db
        .selectFrom('results')
        .selectAll()
        .where('cell_id', '=', night.results.cells[1]!.id)
        .where('path', '=', 'kunit.suite01.case02')
        .executeTakeFirstOrThrow();
      t.match(leaf, { run_id: night.results.runId, verdict: 'pass', expected: 'pass', status: 'as-expected', reasons: '[]' });
      const run = await store.db.selectFrom('runs').selectAll().executeTakeFirstOrThrow();
      t.match(run, {
        matrix_name: 'nightly',
        matrix_digest: 'sha256:nightly',
        host_name: 'night-host',
        kvmatrix_version: '0.1.0',
        cells: 4,
      });
    } finally {
      await store.close();
    }
  });

  t.test(`${engine.name}: a run that cannot be recorded as it says adds nothing, and names its file`, { skip: engine.skip }, async (t) => {
    const target = await engine.fresh('refused');
    const good = runFolder(nightRun({ night: 1, cells: 2, suites: 1, cases: 2 }));
    const twice = nightRun({ night: 2, cells: 2, suites: 1, cases: 2 });
    twice.cells[1] = { ...twice.cells[1]!, id: twice.cells[0]!.id };
    const bad = runFolder(twice);
    const error = await recordRuns(target, [good, bad], NOW).catch((e: unknown) => e);
    t.type(error, InputError);
    t.match(String(error), `${bad.file}: cells: cell ${twice.cells[0]!.id} is listed twice`);
    if (target.engine === 'sqlite') t.notOk(existsSync(target.file), 'no store was even started');

    const shard = nightRun({ night: 3, cells: 2, suites: 1, cases: 2 });
    shard.shard = { index: 1, count: 2, selected: 4 };
    t.throws(() => rowsToAdd(runFolder(shard), NOW), /shard: a shard of a run \(1\/2\): add the run its shards merge into/);
  });

  t.test(`${engine.name}: a store from a newer kvmatrix is refused, and left as it is`, { skip: engine.skip }, async (t) => {
    const target = await engine.fresh('newer');
    await recordRuns(target, [runFolder(nightRun({ night: 0, cells: 1, suites: 1, cases: 1 }))], NOW);
    const store = await openStore(target, { create: false });
    await store.db.updateTable('kvmatrix_store').set({ value: '99' }).where('key', '=', 'schema').execute();
    await store.close();
    await t.rejects(
      openStore(target, { create: true }),
      new RegExp(`written by a newer kvmatrix \\(history schema 99; this one knows up to ${SCHEMA_VERSION}\\)`),
    );
    await t.rejects(recordRuns(target, [runFolder(nightRun({ night: 1, cells: 1, suites: 1, cases: 1 }))], NOW), /newer kvmatrix/);
  });
}

t.test('sqlite: a file that is not a history is one error, and is left untouched', async (t) => {
  const dir = tempTree({});
  const run = runFolder(nightRun({ night: 0, cells: 1, suites: 1, cases: 1 }));

  const garbage = join(dir, 'garbage.sqlite');
  writeFileSync(garbage, 'this is not a database, but it is long enough to look like a header of one\n'.repeat(20));
  const before = sha(garbage);
  await t.rejects(
    recordRuns({ engine: 'sqlite', file: garbage }, [run], NOW),
    new RegExp(`^${garbage}: not a kvmatrix history, or a damaged one \\(file is not a database\\); left as it is$`),
  );
  t.equal(sha(garbage), before);

  const foreign = join(dir, 'notes.sqlite');
  const db = new Database(foreign);
  db.exec("create table notes (body text); insert into notes values ('mine')");
  db.close();
  const was = sha(foreign);
  await t.rejects(
    recordRuns({ engine: 'sqlite', file: foreign }, [run], NOW),
    /notes\.sqlite: not a kvmatrix history \(it has tables notes, and no kvmatrix_store\); left as it is/,
  );
  t.equal(sha(foreign), was);

  const damaged = join(dir, 'damaged.sqlite');
  await recordRuns({ engine: 'sqlite', file: damaged }, [runFolder(nightRun({ night: 4, cells: 12, suites: 10, cases: 20 }))], NOW);
  const bytes = readFileSync(damaged);
  bytes.fill(0x5a, 8192, 65536);
  writeFileSync(damaged, bytes);
  const hurt = sha(damaged);
  await t.rejects(
    (async () => {
      const store = await openStore({ engine: 'sqlite', file: damaged }, { create: true });
      try {
        await addRun(store, rowsToAdd(run, NOW));
      } finally {
        await store.close();
      }
    })(),
    /damaged\.sqlite: not a kvmatrix history, or a damaged one \(database disk image is malformed\); left as it is/,
  );
  t.equal(sha(damaged), hurt);

  const nowhere = join(dir, 'none', 'history.sqlite');
  await t.rejects(recordRuns({ engine: 'sqlite', file: nowhere }, [run], NOW), /none\/history\.sqlite: its folder does not exist/);
  await t.rejects(
    openStore({ engine: 'sqlite', file: join(dir, 'absent.sqlite') }, { create: false }),
    /absent\.sqlite: no history here yet/,
  );
  t.notOk(existsSync(join(dir, 'absent.sqlite')), 'asking of a missing history does not start one');
});

t.test('postgres: a database whose tables are not a history is refused, and left as it is', { skip: postgres!.skip }, async (t) => {
  const target = await postgres!.fresh('foreign');
  if (target.engine !== 'postgres') throw new Error('a postgres target');
  const client = new pg.Client({ connectionString: target.url });
  await client.connect();
  t.teardown(() => client.end());
  await client.query("create table runs (what text); insert into runs values ('a table of somebody else''s')");
  await client.query('create table unrelated (x integer)');
  await t.rejects(
    recordRuns(target, [runFolder(nightRun({ night: 0, cells: 1, suites: 1, cases: 1 }))], NOW),
    /not a kvmatrix history \(it has tables runs, and no kvmatrix_store\); left as it is/,
  );
  const tables = await client.query("select table_name from information_schema.tables where table_schema = 'public' order by 1");
  t.same(
    tables.rows.map((r: { table_name: string }) => r.table_name),
    ['runs', 'unrelated'],
  );
  t.same((await client.query('select what from runs')).rows, [{ what: "a table of somebody else's" }]);
});

for (const engine of [sqlite!, postgres!]) {
  t.test(`${engine.name}: a window reads the same from the cells' leaf sets as from every result row`, { skip: engine.skip }, async (t) => {
    const target = await engine.fresh('leafsets');
    const nights = [0, 1, 2, 3, 4].map((night) =>
      runFolder(
        nightRun({
          night,
          cells: 3,
          suites: 2,
          cases: 4,
          // a case that breaks, one that flips, and a test that is new on the fourth night
          fails: (c, p) => (c === 0 && p.endsWith('suite01.case02') && night >= 2) || (c === 1 && p.endsWith('case00') && night % 2 === 1),
        }),
      ),
    );
    const extra = nights[3]!.results;
    extra.cells[2]!.tests![0]!.children.push({
      ...extra.cells[2]!.tests![0]!.children[0]!,
      name: 'suite09',
      path: 'kunit.suite09' as never,
      children: [],
    });
    writeFileSync(nights[3]!.file, JSON.stringify(extra));
    await recordRuns(target, [...nights.slice(0, 3), loadRun(nights[3]!.runDir), nights[4]!], NOW);
    const fromSets = await historyView(target, { last: 30 });
    const store = await openStore(target, { create: false });
    await store.db.updateTable('cells').set({ leaf_set: null }).execute();
    await store.db.deleteFrom('leaf_sets').execute();
    await store.close();
    const fromRows = await historyView(target, { last: 30 });
    t.same(fromSets, fromRows);
    t.ok(fromSets!.entries.some((e) => e.label === 'regression'));
    t.ok(fromSets!.entries.some((e) => e.test === 'kunit.suite09' && e.outcomes.join() === 'absent,absent,absent,good,absent'));
  });
}
