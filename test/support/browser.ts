/**
 * The HTML report in a real browser: Debian's chromium, driven by
 * playwright-core. `npm test` installs chromium (ensure-deps.sh --test);
 * where it is missing the browser tests skip and say so.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Test } from 'tap';
import { cellAnchor } from '../../harness/report/html.js';
import type { CellRecord, RunResults } from '../../harness/report/types.js';

export const CHROMIUM = '/usr/bin/chromium';

/** Why browser tests cannot run here, or false when they can. */
export function browserSkipReason(): string | false {
  return existsSync(CHROMIUM)
    ? false
    : `${CHROMIUM} is missing: install Debian's chromium (npm test does: harness/host/ensure-deps.sh --test)`;
}

// This machine's network is closed: Chromium's own background traffic is
// turned off so that it neither waits on it nor fills the log with refusals.
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function withBrowser<T>(use: (browser: Browser) => Promise<T>): Promise<T> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, timeout: 60_000 });
  try {
    return await use(browser);
  } finally {
    await browser.close();
  }
}

/**
 * Opens a run's index.html and records every request the page makes, so a
 * test can tell that a self-contained report fetched nothing.
 */
export async function openReport(browser: Browser, htmlPath: string): Promise<{ page: Page; requests: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(pathToFileURL(htmlPath).href);
  return { page, requests };
}

/**
 * What a reader of any run's page must be able to do: see one grid row
 * per kernel and one link per cell, click a cell and read its verdict,
 * reasons, devices, reproduce command and console in the panel that opens.
 */
export async function checkReportPage(t: Test, page: Page, results: RunResults, target: CellRecord): Promise<void> {
  const kernels = new Set(results.cells.map((c) => c.kernel));
  t.equal(await page.locator('table.grid tbody tr').count(), kernels.size, 'a grid row per kernel');
  t.equal(await page.locator('table.grid td a[data-cell]').count(), results.cells.length, 'a grid link per cell');
  t.equal(await page.locator('script').count(), 0, 'no script in the page');

  const panel = page.locator(`[id="${cellAnchor(target.id)}"]`);
  t.notOk(await panel.isVisible(), 'the detail panel is hidden before the click');
  await page.locator(`table.grid a[data-cell="${target.id}"]`).click();
  t.ok(await panel.isVisible(), `clicking ${target.id} opens its panel`);
  t.equal(new URL(page.url()).hash, `#${cellAnchor(target.id)}`, 'the panel has its own address');

  const text = await panel.innerText();
  t.match(text, `verdict ${target.verdict}`);
  t.match(text, `expected ${target.expected}`);
  for (const reason of target.reasons.slice(0, 3)) t.match(text, reason.slice(0, 60), 'a reason is shown');
  t.equal(await panel.locator('table.devices tbody tr').count(), target.devices.length, 'a row per device');
  for (const device of target.devices.filter((d) => d.bar0)) {
    const row = panel.locator('table.devices tbody tr', { hasText: device.name }).first();
    t.match(await row.innerText(), `${device.bar0!.kind} 0x${device.bar0!.start.toString(16)}`, `${device.name} shows its BAR0`);
  }
  if (target.reproduce) t.ok(await panel.locator(`a[href="${target.reproduce}"]`).isVisible(), 'the reproduce script is linked');
  if (target.console) {
    const consoleText = await panel.locator('pre.console').innerText();
    t.ok(consoleText.length > 0, `the console is shown (${consoleText.length} characters)`);
  }

  await panel.locator('a', { hasText: 'close' }).click();
  t.notOk(await panel.isVisible(), 'close hides the panel again');
}
