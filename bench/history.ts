/**
 * The history at a year's scale: 365 nights of a 12-cell matrix with 200
 * leaves a cell (876,000 results), generated and stored in a SQLite file,
 * then through the CLI: `kvmatrix history` over its default window and over
 * the whole year, one `history add` of a new night, and the page of the
 * whole year (its size, and its first frame drawn in chromium). Targets: history
 * under 2 s, an add under 1 s.
 */
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { addRun } from '../harness/history/add.js';
import { runRows } from '../harness/history/run-rows.js';
import { openStore } from '../harness/history/store.js';
import { cliPath } from '../test/support/cli.js';
import { CHROMIUM, withBrowser } from '../test/support/browser.js';
import { nightRun } from '../test/support/night-runs.js';

type Report = (name: string, a: number[], b: number[] | null, target: string) => void;
type TimeSpawn = (argv: string[], cwd: string, out: string) => Promise<number>;

export const YEAR = 365;

/** A year with something to find: a case that fails every seventh night, one that breaks for good on night 300, a cell down for a night. */
export function yearNight(night: number) {
  return nightRun({
    night,
    fails: (cell, path) =>
      (cell === 0 && path === 'kunit.suite00.case03' && night % 7 === 3) ||
      (cell === 1 && path === 'kunit.suite02.case05' && night >= 300) ||
      (cell === 2 && night === 200),
  });
}

export async function benchHistory(work: string, rounds: number, timeSpawn: TimeSpawn, report: Report): Promise<void> {
  const dir = join(work, 'history');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'history.sqlite');
  const started = performance.now();
  const store = await openStore({ engine: 'sqlite', file }, { create: true });
  for (let night = 0; night < YEAR; night++) {
    const rows = runRows(yearNight(night), { folder: dir, resultsSha256: `generated-${night}`, addedAt: new Date().toISOString() });
    await addRun(store, { ...rows, file: `generated night ${night}` });
  }
  await store.close();
  console.log(
    `history: ${YEAR} nights x 12 cells x 200 leaves stored in ${((performance.now() - started) / 1000).toFixed(1)} s, ${(statSync(file).size / 2 ** 20).toFixed(0)} MiB`,
  );

  const run = (args: string[], out: string) => timeSpawn([process.execPath, cliPath, ...args, '--store', file], dir, join(dir, out));
  const window: number[] = [];
  const year: number[] = [];
  const add: number[] = [];
  for (let r = 0; r < rounds; r++) {
    window.push(await run(['history'], 'window.out'));
    year.push(await run(['history', '--last', String(YEAR + rounds)], 'year.out'));
    const night = yearNight(YEAR + r);
    const folder = join(dir, night.runId);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'results.json'), JSON.stringify(night));
    add.push(await run(['history', 'add', folder], 'add.out'));
  }
  report('history', window, null, `kvmatrix history, its default window of 30 nights of ${YEAR}; target < 2 s`);
  report('hist365', year, null, `kvmatrix history --last ${YEAR}: the whole year, 876,000 results; target < 2 s`);
  report('add', add, null, 'kvmatrix history add of one night (12 cells, 2,400 results) to the year; target < 1 s');

  const pageDir = join(dir, 'page');
  await run(['history', '--last', String(YEAR), '--html', pageDir], 'page.out');
  const page = join(pageDir, 'index.html');
  const paints: number[] = [];
  await withBrowser(async (browser) => {
    for (let r = 0; r < rounds; r++) {
      const tab = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await tab.goto(pathToFileURL(page).href, { waitUntil: 'load' });
      // from the navigation's start to the first frame drawn after the page loaded
      paints.push(
        await tab.evaluate(
          () =>
            new Promise<number>((resolve) => {
              (globalThis as unknown as { requestAnimationFrame(f: () => void): void }).requestAnimationFrame(() =>
                resolve(performance.now()),
              );
            }),
        ),
      );
      await tab.close();
    }
  }).catch((error: unknown) => console.log(`page: not opened in ${CHROMIUM}: ${String(error)}`));
  console.log(`page    ${(statSync(page).size / 1024).toFixed(0)} KiB for ${YEAR} nights`);
  if (paints.length) report('paint', paints, null, `the year's page in chromium: navigation to its first frame after load`);
}
