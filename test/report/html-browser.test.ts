/**
 * index.html opened in Debian's chromium: a hostile small run and a
 * generated run of 300 cells. The report of a real run is opened by the
 * end-to-end test of the default matrix (test/integration/murray.test.ts).
 */
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import t from 'tap';
import { writeReports } from '../../harness/run/write-reports.js';
import type { RunResults } from '../../harness/report/types.js';
import { browserSkipReason, checkReportPage, openReport, withBrowser } from '../support/browser.js';
import { generatedRun, mixedRun } from '../support/results.js';
import { tempTree } from '../support/temp-tree.js';

t.setTimeout(5 * 60 * 1000);
const skip = browserSkipReason();

/** A run folder as a run leaves it: reports plus each booted cell's console. */
function runFolder(results: RunResults, consoleText: (id: string) => string): string {
  const dir = tempTree({}, 'kvmatrix-html-');
  for (const cell of results.cells) {
    if (!cell.console) continue;
    mkdirSync(dirname(join(dir, cell.console)), { recursive: true });
    writeFileSync(join(dir, cell.console), consoleText(cell.id));
  }
  writeReports(results, dir);
  return dir;
}

t.test('a run with hostile console text: the page shows it as text and runs nothing', { skip }, async (t) => {
  const results = mixedRun();
  results.cells[2]!.reasons.push('<img src=x onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>');
  const dir = runFolder(results, (id) => `[    0.000000] Booting ${id}\n\x1b[31m<script>document.title="pwned"</script>\x00\nagent done\n`);
  await withBrowser(async (browser) => {
    const { page, requests } = await openReport(browser, join(dir, 'index.html'));
    const failing = results.cells.find((c) => c.id === 'unpatched/qemu-bridged/legacy')!;
    await checkReportPage(t, page, results, failing);
    await page.locator(`table.grid a[data-cell="${results.cells[2]!.id}"]`).click();
    t.not(await page.title(), 'pwned', 'no injected script ran');
    t.equal(await page.locator('img').count(), 0, 'no injected element');
    t.match(await page.locator('.detail:target').innerText(), '<script>document.title="pwned"</script>', 'the text is shown as text');
    t.same(
      requests.filter((u) => !u.startsWith('file:')),
      [],
      'the page fetched nothing from the network',
    );
  });
});

t.test('300 cells: the grid stays one row per kernel, its header stays in view, a failing cell opens', { skip }, async (t) => {
  const results = generatedRun(30);
  t.equal(results.cells.length, 300);
  const consoleLines = Array.from({ length: 400 }, (_, i) => `[ ${(i / 100).toFixed(6)}] a console line of a generated cell, number ${i}`);
  const dir = runFolder(results, (id) => `${consoleLines.join('\n')}\nKVMATRIX end ${id}\n`);
  const size = statSync(join(dir, 'index.html')).size;
  t.ok(size < 20 * 1024 * 1024, `index.html is ${(size / 1024 / 1024).toFixed(1)} MiB`);
  await withBrowser(async (browser) => {
    const { page, requests } = await openReport(browser, join(dir, 'index.html'));
    const target = results.cells.find((c) => c.status === 'unexpected' && c.verdict === 'fail')!;
    await checkReportPage(t, page, results, target);
    t.match(
      await page.locator(`[id="c-${target.id}"] pre.console`).innerText(),
      `KVMATRIX end ${target.id}`,
      'its own console, to the end',
    );

    // on a short window scrolled to the last kernel, the column headers are still on screen
    await page.setViewportSize({ width: 1400, height: 400 });
    const headAt = await page
      .locator('table.grid')
      .evaluate((table) => table.getBoundingClientRect().top + table.ownerDocument.defaultView!.scrollY);
    await page.locator('table.grid tbody tr').last().scrollIntoViewIfNeeded();
    const scrolled = await page.locator('table.grid').evaluate((table) => table.ownerDocument.defaultView!.scrollY);
    t.ok(scrolled > headAt, `scrolled past the grid's top (${scrolled}px > ${headAt}px)`);
    const headTop = await page
      .locator('table.grid thead th')
      .first()
      .evaluate((th) => th.getBoundingClientRect().top);
    t.ok(headTop >= 0 && headTop < 5, `the grid header sticks to the top (${headTop}px)`);
    await page.setViewportSize({ width: 1400, height: 900 });

    const unexpected = await page.locator('table.grid td.unexpected').count();
    t.equal(unexpected, results.summary.unexpected, 'every unexpected cell is marked');
    t.equal(await page.locator('#unexpected li').count(), results.summary.unexpected, 'and listed');

    const shot = join(dir, 'index.png');
    await page.locator('table.grid a[data-cell]').nth(1).click();
    await page.screenshot({ path: shot });
    t.ok(statSync(shot).size > 10_000, `screenshot saved: ${shot}`);
    t.same(
      requests.filter((u) => !u.startsWith('file:')),
      [],
      'the page fetched nothing from the network',
    );
  });
});
