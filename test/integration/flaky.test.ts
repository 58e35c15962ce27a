/**
 * A guest that hangs on one boot out of three, under real QEMU with the
 * real kernel and agent: `run --repeat 3` calls the cell flaky (exit 1) in
 * results.json, TAP, JUnit and the HTML page, while a steady cell booted
 * three times beside it passes with three consoles of its own.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { runKcidb } from '../support/kcidb.js';
import { matrixHead } from '../support/matrix-files.js';
import { browserSkipReason, checkReportPage, openReport, withBrowser } from '../support/browser.js';
import { kvmatrix, readResults } from '../support/cli.js';
import { hangingQemu } from '../support/hanging-qemu.js';
import { parseTap } from '../support/tap.js';
import { tempTree } from '../support/temp-tree.js';

t.setTimeout(30 * 60 * 1000);

const FLAKY = 'patched/qemu-hangs/legacy';
const STEADY = 'patched/qemu-flat/legacy';

t.test('run --repeat 3: one hung boot in three makes the cell flaky, and every report says so', async (t) => {
  const dir = tempTree({});
  const qemu = hangingQemu(dir, [2]);
  const matrix = join(dir, 'm.yaml');
  writeFileSync(
    matrix,
    [
      ...matrixHead('flaky'),
      'vmms:',
      '  qemu-flat: { type: qemu, topology: flat }',
      `  qemu-hangs: { type: qemu, topology: flat, binary: ${qemu.path} }`,
      'transports: [legacy]',
      'boot: { timeout: 20 }',
      '',
    ].join('\n'),
  );
  const out = join(dir, 'results');
  const run = await kvmatrix(['run', matrix, '--repeat', '3', '--jobs', '2', '--out', out]);
  t.equal(run.code, 1, `exit 1: a flaky cell is never as expected\n${run.stdout}\n${run.stderr.slice(-3000)}`);
  t.equal(qemu.boots(), 3, 'the wrapper booted the flaky cell three times');
  t.match(run.stdout, /FLAKY \(expected pass\)/);
  t.match(run.stderr, new RegExp(`cell ${FLAKY}: booting \\(boot 2 of 3\\)`));

  const runDir = join(out, 'latest');
  const results = readResults(runDir);
  const flaky = results.cells.find((c) => c.id === FLAKY)!;
  const steady = results.cells.find((c) => c.id === STEADY)!;
  t.equal(flaky.verdict, 'flaky');
  t.equal(flaky.status, 'unexpected');
  t.same(
    flaky.repeats!.map((r) => r.verdict),
    ['pass', 'timeout', 'pass'],
    'the second boot hung, the others passed',
  );
  t.match(flaky.reasons[0], /^flaky: 3 boots disagree \(pass, timeout, pass\)/);
  t.match(flaky.repeats![1]!.reasons[0], /the guest did not reach the agent within 20 s|the agent started but did not finish within 20 s/);
  t.equal(flaky.console, flaky.repeats![1]!.console, "the hung boot's console is the cell's");
  for (const r of flaky.repeats!) {
    t.equal(r.console, `cells/${FLAKY}/boot-${r.boot}/console.log`, `boot ${r.boot} has a folder of its own`);
    t.ok(statSync(join(runDir, r.console!)).size > 0, `boot ${r.boot}'s console is kept`);
    t.ok(existsSync(join(runDir, r.reproduce!)), `boot ${r.boot}'s reproduce script is there`);
  }
  const nonces = flaky.repeats!.map((r) => /kvmatrix\.nonce=([0-9a-f]+)/.exec(readFileSync(join(runDir, r.reproduce!), 'utf8'))?.[1]);
  t.equal(new Set(nonces).size, 3, `each boot has its own nonce (${nonces.join(', ')})`);
  t.equal(steady.verdict, 'pass');
  t.same(
    steady.repeats!.map((r) => r.verdict),
    ['pass', 'pass', 'pass'],
  );
  t.equal(results.kernels.length, 1, 'the kernel was obtained once for six boots');
  t.equal(results.summary.byVerdict.flaky, 1);

  const { final, asserts } = await parseTap(readFileSync(join(runDir, 'report.tap'), 'utf8'));
  t.equal(final.ok, false);
  const tapFlaky = asserts.find((a) => a.name.startsWith(FLAKY))!;
  t.equal(tapFlaky.ok, false, 'TAP: not ok');
  t.same(
    (tapFlaky.diag as { boots: { verdict: string }[] }).boots.map((b) => b.verdict),
    ['pass', 'timeout', 'pass'],
    'TAP: every boot in the diagnostics',
  );
  t.equal(asserts.find((a) => a.name.startsWith(STEADY))!.ok, true);

  const xml = readFileSync(join(runDir, 'junit.xml'), 'utf8');
  t.equal(XMLValidator.validate(xml), true);
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
  const cases = [doc.testsuites.testsuite.testcase].flat() as { name: string; failure?: { type: string; '#text': string } }[];
  const junitFlaky = cases.find((c) => c.name === 'qemu-hangs/legacy')!;
  t.equal(junitFlaky.failure?.type, 'flaky', 'JUnit: a failure of type flaky');
  t.match(junitFlaky.failure!['#text'], /boot 2: timeout \(console: /);

  const kcidb = await runKcidb(runDir);
  const flakyTests = kcidb.tests.filter((x) => x.path === 'kvmatrix.flaky.qemu-hangs.legacy');
  t.same(
    flakyTests.map((x) => [x.misc.boot ?? 'cell', x.status]),
    [
      ['cell', 'FAIL'],
      [1, 'PASS'],
      [2, 'ERROR'],
      [3, 'PASS'],
    ],
    'KCIDB: the cell, and each boot with its own status',
  );
  t.match(flakyTests[2]!.log_excerpt, /within 20 s/, "the hung boot's reason");

  const skip = browserSkipReason();
  t.test('the HTML page in a real browser', { skip }, async (t) => {
    await withBrowser(async (browser) => {
      const { page, requests } = await openReport(browser, join(runDir, 'index.html'));
      const colour = (id: string) =>
        page.locator(`table.grid td:has(a[data-cell="${id}"])`).evaluate((el) => {
          const style = el.ownerDocument.defaultView!.getComputedStyle(el);
          return `${style.backgroundImage} ${style.backgroundColor}`;
        });
      t.not(await colour(FLAKY), await colour(STEADY), 'a flaky cell has a colour of its own');
      await checkReportPage(t, page, results, flaky);
      await page.locator(`table.grid a[data-cell="${FLAKY}"]`).click();
      const boots = page.locator(`[data-cell="${FLAKY}"] ol.boots li`);
      t.equal(await boots.count(), 3, 'the panel lists the three boots');
      t.match(await boots.nth(1).innerText(), /^timeout/);
      t.same(
        requests.filter((u) => !u.startsWith('file:')),
        [],
        'no network request',
      );
    });
  });
});
