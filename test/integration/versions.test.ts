/**
 * Kernel versions as an axis: matrices/murray-versions.yaml builds Debian's
 * 6.1 and 6.12, each with and without the Murray fix, boots every QEMU cell
 * under real QEMU, and the bridged legacy cells of both unpatched kernels
 * fail for the reason the matrix names. Each version is its own cache entry.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { projectRoot } from '../../harness/host/install-paths.js';
import { browserSkipReason, openReport, withBrowser } from '../support/browser.js';
import { kvmatrix, makeSpy, readResults } from '../support/cli.js';
import { tempTree } from '../support/temp-tree.js';

t.setTimeout(60 * 60 * 1000);

const MATRIX = join(projectRoot, 'matrices', 'murray-versions.yaml');
const KERNELS = ['unpatched-6.1', 'patched-6.1', 'unpatched-6.12', 'patched-6.12'];
const skip = existsSync('/usr/src/linux-source-6.12.tar.xz')
  ? false
  : 'needs /usr/src/linux-source-6.12.tar.xz (apt-get install linux-source-6.12; npm test installs it through ensure-deps.sh --matrix matrices/murray-versions.yaml)';

t.test('the Murray matrix on 6.1 and 6.12', { skip }, async (t) => {
  const out = tempTree({}, 'kvmatrix-versions-');
  const run = await kvmatrix(['run', MATRIX, '--out', out], { env: { KVMATRIX_LKVM: '', CI: 'true' } });
  t.equal(run.code, 0, `every cell as the matrix expects\n${run.stdout}\n${run.stderr.slice(-3000)}`);
  const results = readResults(join(out, 'latest'));
  // the run's own folder: `latest` moves with the second run below
  const runDir = join(out, results.runId);

  t.same(
    results.kernels.map((k) => [k.id, k.ok]),
    KERNELS.map((id) => [id, true]),
    'four kernels, all built',
  );
  const keys = new Set(results.kernels.map((k) => k.key));
  t.equal(keys.size, 4, 'each kernel its own cache entry');
  const source = (id: string) => results.kernels.find((k) => k.id === id)!.source!;
  t.not(source('patched-6.1'), source('patched-6.12'), 'from two source tarballs');

  for (const kernel of KERNELS) {
    const version = kernel.endsWith('6.12') ? '6.12' : '6.1';
    const console = readFileSync(join(runDir, results.cells.find((c) => c.kernel === kernel)!.console!), 'utf8');
    t.match(console, new RegExp(`Linux version ${version.replace('.', '\\.')}\\.\\d+ `), `${kernel} boots a ${version} kernel`);
    for (const cell of results.cells.filter((c) => c.kernel === kernel && c.vmmType === 'qemu')) {
      const failing = kernel.startsWith('unpatched') && cell.vmm === 'qemu-bridged' && cell.transport === 'legacy';
      t.equal(cell.verdict, failing ? 'fail' : 'pass', `${cell.id}: ${cell.verdict}`);
      t.equal(cell.status, 'as-expected');
      if (failing) {
        for (const name of ['rng2', 'net2', 'blk2']) {
          const device = cell.devices.find((d) => d.name === name)!;
          t.ok(
            device.bar0!.kind === 'io' && device.bar0!.start >= 0x4000 && device.problems.length > 0,
            `${cell.id}: ${name} at io 0x${device.bar0!.start.toString(16)} fails`,
          );
        }
      }
    }
  }
  t.ok(
    results.cells.filter((c) => c.vmmType === 'kvmtool').every((c) => c.verdict === 'skip'),
    'kvmtool cells skip without an lkvm',
  );

  // the terminal table: a row per kernel, every row as wide as the header
  const table = run.stdout.split('\n').slice(0, 6);
  t.match(table[0], /^kernel +qemu-flat\/legacy +qemu-flat\/modern/);
  t.same(
    table.slice(2).map((l) => l.split(/\s{2,}/)[0]),
    KERNELS,
  );
  t.same(
    table.slice(2).map((l) => l.split(/\s{2,}/).length),
    KERNELS.map(() => 7),
    'seven columns in every row',
  );

  // a second run takes every kernel from the cache: no make
  const spy = makeSpy();
  const again = await kvmatrix(['run', MATRIX, '--filter', 'vmm=qemu-flat', '--out', out], {
    spyDir: spy.dir,
    env: { KVMATRIX_LKVM: '', CI: 'true' },
  });
  t.equal(again.code, 0);
  t.same(spy.calls(), [], 'no make ran');
  t.same(
    readResults(join(out, 'latest')).kernels.map((k) => [k.id, k.cached, k.key]),
    results.kernels.map((k) => [k.id, true, k.key]),
  );

  t.test('the HTML grid with four kernels', { skip: browserSkipReason() }, async (t) => {
    await withBrowser(async (browser) => {
      const { page } = await openReport(browser, join(runDir, 'index.html'));
      t.same(await page.locator('table.grid tbody th').allInnerTexts(), KERNELS, 'a row per kernel, in matrix order');
      const width = await page.locator('table.grid').evaluate((el) => el.getBoundingClientRect().width);
      t.ok(width <= 1400, `the grid fits a 1400-pixel window (${Math.round(width)} px)`);
      await page.screenshot({ path: join(out, 'versions-grid.png'), fullPage: true });
    });
  });
});
