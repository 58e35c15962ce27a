import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { addRun } from '../../harness/history/add.js';
import { runRows } from '../../harness/history/run-rows.js';
import { openStore } from '../../harness/history/store.js';
import { browserSkipReason, withBrowser } from '../support/browser.js';
import { kvmatrix } from '../support/cli.js';
import { nightRun } from '../support/night-runs.js';
import { tempTree } from '../support/temp-tree.js';

/**
 * The history's page in Debian's chromium: 120 nights of 12 cells with 100
 * tests each, where one test broke for good, one flips, one broke with the
 * kernel's commit on night 40 and was fixed by the next on night 60, and
 * one cell crashed whole for a night; the newest run's folder is at hand,
 * the others are not.
 */
const NIGHTS = 120;
const fails = (night: number) => (cell: number, path: string) =>
  (cell === 0 && path === 'kunit.suite01.case04' && night >= 110) ||
  (cell === 1 && path === 'kunit.suite02.case07' && night % 5 === 2) ||
  (cell === 2 && path === 'kunit.suite03.case01' && night >= 40 && night < 60) ||
  (cell === 3 && night === 100);

t.test(
  'the page: what changed first, a strip a test, the unchanged folded, links into the runs at hand',
  { skip: browserSkipReason() },
  async (t) => {
    const dir = tempTree({});
    const file = join(dir, 'history.sqlite');
    const store = await openStore({ engine: 'sqlite', file }, { create: true });
    const runs = Array.from({ length: NIGHTS }, (_, night) =>
      nightRun({ night, cells: 12, suites: 5, cases: 20, fails: fails(night), commit: (n) => (n < 40 ? 'a' : n < 60 ? 'b' : 'c') }),
    );
    for (const run of runs.slice(0, -1)) {
      await addRun(store, {
        ...runRows(run, { folder: join(dir, 'gone', run.runId), resultsSha256: run.runId, addedAt: run.finishedAt }),
        file: run.runId,
      });
    }
    await store.close();
    const newest = runs[NIGHTS - 1]!;
    const folder = join(dir, 'results', newest.runId);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'results.json'), JSON.stringify(newest));
    t.equal((await kvmatrix(['report', folder])).code, 0, 'the newest run has its own page');
    t.equal((await kvmatrix(['history', 'add', folder, '--store', file])).code, 0);

    const pageDir = join(dir, 'page');
    const made = await kvmatrix(['history', '--store', file, '--last', String(NIGHTS), '--html', pageDir]);
    t.equal(made.code, 0, made.stderr);
    const page = join(pageDir, 'index.html');
    t.ok(statSync(page).size < 256 * 1024, `the page stays small: ${statSync(page).size} bytes for ${NIGHTS} nights of 12 x 100 tests`);
    const html = readFileSync(page, 'utf8');

    await withBrowser(async (browser) => {
      const tab = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const requests: string[] = [];
      tab.on('request', (r) => requests.push(r.url()));
      await tab.goto(pathToFileURL(page).href);
      const rows = await tab.$$eval('table.changed tbody tr:not(.cell):not(.more)', (trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 2).map((td) => td.textContent ?? '')),
      );
      t.same(rows[0], ['regression', 'the cell'], 'the regression first: its cell');
      t.same(rows[1], ['regression', 'kunit.suite01.case04']);
      t.same(
        rows.map((r) => r[0]).filter((l, i, all) => all.indexOf(l) === i),
        ['regression', 'unstable', 'fixed'],
        'then the unstable, then the fixed',
      );
      t.ok(rows.some(([l, test]) => l === 'unstable' && test === 'kunit.suite02.case07'));
      t.ok(rows.some(([l, test]) => l === 'fixed' && test === 'kunit.suite03.case01'));
      const crashedNight = rows.filter(([, test]) => test?.startsWith('kunit.') && rows.length > 0).length;
      t.ok(crashedNight > 0);
      t.match(
        await tab.textContent('table.changed'),
        /and \d+ more tests of this cell that changed/,
        'the cell that crashed whole for a night lists 40 of its tests and counts the rest',
      );

      const regression = tab.locator('tr.l-regression', { hasText: 'kunit.suite01.case04' });
      t.match(await regression.textContent(), `last good ${runs[109]!.runId}, first bad ${runs[110]!.runId}. nothing but the night`);
      const strip = regression.locator('td.nights i');
      t.equal(await strip.count(), 2, 'equal nights are one stretch: 110 good, then 10 bad');
      t.same(
        await strip.evaluateAll((is) => is.map((i) => i.ownerDocument.defaultView!.getComputedStyle(i).backgroundColor)),
        ['rgb(51, 170, 51)', 'rgb(221, 34, 34)'],
        'green, then red',
      );
      const widths = await strip.evaluateAll((is) => is.map((i) => i.getBoundingClientRect().width));
      t.ok(Math.abs(widths[0]! / widths[1]! - 11) < 0.5, `the stretches are as long as their nights (${widths.join(', ')})`);

      t.match(await tab.textContent('body'), /Unchanged \(\d+\), folded/, 'the page says what it folded');
      const links = await tab.$$eval('a.run', (as) => as.map((a) => a.getAttribute('href') ?? ''));
      t.equal(links.length, 1, 'one run has its folder at hand');
      await tab.click('a.run');
      t.match(await tab.title(), `run ${newest.runId}`, "the link opens that run's own page");
      t.same(
        requests.filter((u) => !u.startsWith('file://')),
        [],
        'nothing fetched from a network',
      );
    });
    t.notMatch(html, /<script/, 'no script');
  },
);
