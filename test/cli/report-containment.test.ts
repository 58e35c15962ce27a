/**
 * `kvmatrix report <run>` reads files the run folder's results.json names
 * (each cell's console, for the page). A results.json may come from
 * anywhere: every path it names that report reads or links to must stay
 * inside the folder, by its text and, for what is read, by where symbolic
 * links lead. A run folder that breaks this is refused with one message
 * naming the field, and nothing in it is rewritten.
 */
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { RunResults } from '../../harness/report/types.js';
import { writeReports } from '../../harness/run/write-reports.js';
import { kvmatrix } from '../support/cli.js';
import { mixedRun } from '../support/results.js';
import { tempTree } from '../support/temp-tree.js';

const SECRET = 'not a console: a file of this machine';

/** A run folder written by the report writer, then results.json changed by `change` as a hand (or a hostile sender) might. */
function runFolder(change: (results: RunResults, secret: string) => void): { run: string; secret: string } {
  const outside = tempTree({ 'secret.txt': `${SECRET}\n` }, 'kvmatrix-outside-');
  const run = tempTree({}, 'kvmatrix-run-');
  const results = mixedRun();
  writeReports(results, run);
  change(results, join(outside, 'secret.txt'));
  writeFileSync(join(run, 'results.json'), JSON.stringify(results));
  return { run, secret: join(outside, 'secret.txt') };
}

const mtime = (file: string) => statSync(file).mtimeMs;

t.test('a path that climbs out by its text: refused, the field named, nothing rewritten', async (t) => {
  const cases: [string, (r: RunResults, secret: string) => void, RegExp][] = [
    [
      'cells[0].console',
      (r) => void (r.cells[0]!.console = '../secret.txt'),
      /results\.json: cells\[0\]\.console: a path inside the run folder$/m,
    ],
    [
      'cells[1].reproduce',
      (r, s) => void (r.cells[1]!.reproduce = s),
      /results\.json: cells\[1\]\.reproduce: a path inside the run folder$/m,
    ],
    [
      'cells[2].retried[0].console',
      (r) => void (r.cells[2]!.retried = [{ verdict: 'error', reasons: ['x'], console: 'cells/../../x.log' }]),
      /cells\[2\]\.retried\[0\]\.console: a path inside the run folder$/m,
    ],
    [
      'cells[0].kvmtool.guestConsole',
      (r) =>
        void (r.cells[0]!.kvmtool = { mode: 'nested', lkvm: { path: '/l', from: '--lkvm' }, lkvmArgs: [], guestConsole: '/etc/passwd' }),
      /cells\[0\]\.kvmtool\.guestConsole: a path inside the run folder$/m,
    ],
  ];
  for (const [field, change, message] of cases) {
    const { run } = runFolder(change);
    const before = mtime(join(run, 'index.html'));
    const out = await kvmatrix(['report', run]);
    t.equal(out.code, 2, `${field}: exit 2\n${out.stderr}`);
    t.match(out.stderr, message, field);
    t.equal(out.stderr.trim().split('\n').length, 1, `${field}: one message`);
    t.equal(mtime(join(run, 'index.html')), before, `${field}: the page is not rewritten`);
  }
});

t.test('a console that is a symbolic link out of the folder: refused where it is read, before any report is written', async (t) => {
  const { run, secret } = runFolder(() => undefined);
  const results = JSON.parse(readFileSync(join(run, 'results.json'), 'utf8')) as RunResults;
  const link = join(run, results.cells[0]!.console!);
  mkdirSync(join(link, '..'), { recursive: true });
  symlinkSync(secret, link);
  const before = ['report.tap', 'junit.xml', 'index.html'].map((f) => mtime(join(run, f)));
  const out = await kvmatrix(['report', run]);
  t.equal(out.code, 2, out.stderr);
  t.match(
    out.stderr,
    /results\.json: cells\[0\]\.console: cells\/patched\/qemu-flat\/legacy\/console\.log leads out of the run folder \(to .*secret\.txt\): refused$/m,
  );
  t.same(
    ['report.tap', 'junit.xml', 'index.html'].map((f) => mtime(join(run, f))),
    before,
    'no report rewritten',
  );
  t.notMatch(readFileSync(join(run, 'index.html'), 'utf8'), SECRET);
});

t.test('a link inside the folder, and a console that is gone, are as before', async (t) => {
  const { run } = runFolder(() => undefined);
  const results = JSON.parse(readFileSync(join(run, 'results.json'), 'utf8')) as RunResults;
  const first = join(run, results.cells[0]!.console!);
  mkdirSync(join(first, '..'), { recursive: true });
  writeFileSync(join(run, 'kept.log'), 'a console kept elsewhere in the folder\n');
  symlinkSync(join(run, 'kept.log'), first);
  const out = await kvmatrix(['report', run]);
  t.equal(out.code, 0, out.stderr);
  t.match(readFileSync(join(run, 'index.html'), 'utf8'), /a console kept elsewhere in the folder/);
  t.notOk(existsSync(join(run, results.cells[2]!.console!)), "the third cell's console was never written: its tail stands in");
});
