/**
 * `kvmatrix report <run> --kcidb FILE` through the built CLI, on a run
 * folder written by the harness's own report writer: the file kcidb-io
 * validates, the same bytes on a second render, and bad options refused
 * with one message before anything is written. A real run's submission is
 * checked in test/integration/murray.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import t from 'tap';
import { writeReports } from '../../harness/run/write-reports.js';
import { kvmatrix } from '../support/cli.js';
import { validateKcidb } from '../support/kcidb.js';
import { mixedRun } from '../support/results.js';
import { tempTree } from '../support/temp-tree.js';

t.test('report --kcidb writes a submission kcidb-io takes, byte for byte the same each time', async (t) => {
  const run = tempTree({}, 'kvmatrix-run-');
  writeReports(mixedRun(), run);
  const out = tempTree({});
  const first = await kvmatrix(['report', run, '--kcidb', join(out, 'a.json'), '--kcidb-origin', 'nightly']);
  t.equal(first.code, 0, first.stderr);
  t.ok(first.stdout.split('\n').includes(`KCIDB submission: ${join(out, 'a.json')}`), first.stdout);
  t.match(validateKcidb(join(out, 'a.json')), /^\d+\.\d+$/);
  t.match(JSON.parse(readFileSync(join(out, 'a.json'), 'utf8')), {
    tests: [{ id: /^nightly:20261125-070000-abcd:test:/, origin: 'nightly' }],
  });
  await kvmatrix(['report', run, '--kcidb', join(out, 'b.json'), '--kcidb-origin', 'nightly']);
  t.ok(readFileSync(join(out, 'a.json')).equals(readFileSync(join(out, 'b.json'))), 'rendered again: the same bytes');
});

t.test('a bad origin or a file in a folder that does not exist: exit 2, one message, nothing written', async (t) => {
  const run = tempTree({}, 'kvmatrix-run-');
  writeReports(mixedRun(), run);
  const out = tempTree({});
  const origin = await kvmatrix(['report', run, '--kcidb', join(out, 'x.json'), '--kcidb-origin', 'My-CI']);
  t.equal(origin.code, 2);
  t.match(
    origin.stderr,
    /option '--kcidb-origin <name>' argument 'My-CI' is invalid\. "My-CI" is not a KCIDB origin: lower-case letters, digits and underscores only/,
  );
  const folder = await kvmatrix(['report', run, '--kcidb', join(out, 'missing', 'x.json')]);
  t.equal(folder.code, 2);
  t.match(folder.stderr, /the folder of .*missing\/x\.json does not exist/);
  t.notOk(existsSync(join(out, 'x.json')));
  const runFlag = await kvmatrix(['run', '--kcidb', join(out, 'missing', 'x.json'), '--out', out]);
  t.equal(runFlag.code, 2, 'run refuses it before building anything');
  t.match(runFlag.stderr, /the folder of .*missing\/x\.json does not exist/);
  t.notOk(existsSync(join(out, 'latest')), 'no run folder');
});

t.test('report --pack: the run folder as one archive GNU tar reads; a bad base URL or pack file refused first', async (t) => {
  const run = tempTree({}, 'kvmatrix-run-');
  writeReports(mixedRun(), run);
  const out = tempTree({});
  const packed = await kvmatrix(['report', run, '--pack', join(out, 'run.tar.gz')]);
  t.equal(packed.code, 0, packed.stderr);
  t.match(packed.stdout, new RegExp(`packed: ${join(out, 'run.tar.gz')} \\(unpacks into ${basename(run)}/\\)`));
  const names = execFileSync('tar', ['-tzf', join(out, 'run.tar.gz')], { encoding: 'utf8' }).split('\n');
  t.ok(
    ['results.json', 'report.tap', 'junit.xml', 'index.html'].every((f) => names.includes(`${basename(run)}/${f}`)),
    'results.json and the reports rendered from it',
  );

  const url = await kvmatrix(['report', run, '--kcidb', join(out, 'k.json'), '--kcidb-base-url', 'ftp://ci.example.org/runs']);
  t.equal(url.code, 2);
  t.match(url.stderr, /"ftp:\/\/ci\.example\.org\/runs" is not an http or https URL/);
  const missing = await kvmatrix(['report', run, '--pack', join(out, 'missing', 'run.tar.gz')]);
  t.equal(missing.code, 2);
  t.match(missing.stderr, /the folder of .*missing\/run\.tar\.gz does not exist/);
  t.notOk(existsSync(join(out, 'k.json')), 'nothing written');
});
