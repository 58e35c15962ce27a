/**
 * The default matrix end to end: the real CLI builds both real kernels
 * (or takes them from the cache), boots every QEMU cell under real QEMU with
 * the real agent, and writes reports that real parsers read back.
 *
 * Uses the cache the user's runs use (KVMATRIX_CACHE or the XDG default),
 * so on a fresh machine this is where the kernels are built, and on a
 * developer's machine it reuses them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import t, { type Test } from 'tap';
import { parseTap, tapSyntaxErrors } from '../support/tap.js';
import type { RunResults } from '../../harness/report/types.js';
import { judgedNodes, leavesOf } from '../../harness/verdict/tree.js';
import { projectRoot } from '../../harness/host/install-paths.js';
import { resolveCacheRoot } from '../../harness/kernel/cache.js';
import { parseConsole } from '../../harness/console/parse.js';
import { kvmatrix, makeSpy, readResults } from '../support/cli.js';
import { validateKcidb } from '../support/kcidb.js';
import type { KcidbSubmission } from '../../harness/report/kcidb.js';
import { tempTree } from '../support/temp-tree.js';
import { body, serveRoutes } from '../support/http-server.js';
import { browserSkipReason, checkReportPage, openReport, withBrowser } from '../support/browser.js';

t.setTimeout(60 * 60 * 1000);

const spy = makeSpy();
/** The first full run's folder, for the comparison below. */
let firstRun: string | undefined;

t.test('the Murray matrix: unpatched bridged legacy fails as expected, all else passes', async (t) => {
  const out = tempTree({}, 'kvmatrix-results-');
  // kvmtool cells have their own test (kvmtool.test.ts): here they must skip
  const kcidbFile = join(out, 'kcidb.json');
  const first = await kvmatrix(['run', '--out', out, '--kcidb', kcidbFile], { spyDir: spy.dir, env: { KVMATRIX_LKVM: '', CI: 'true' } });
  t.equal(first.code, 0, `exit 0 because every cell went as expected\n${first.stderr.slice(-3000)}`);
  t.notMatch(first.stdout + first.stderr, /[\x1b\x00-\x08\x0b-\x1f]/, 'CI output: plain lines, no escape sequence or control character');
  t.match(first.stderr, /^cell unpatched\/qemu-bridged\/legacy: fail \(expected\) in \d+\.\d s$/m, 'a line per cell as it ends');
  const results = readResults(join(out, 'latest'));
  t.equal(results.cells.length, 12);
  firstRun = join(out, results.runId);

  const failing = results.cells.find((c) => c.id === 'unpatched/qemu-bridged/legacy')!;
  t.equal(failing.verdict, 'fail');
  t.equal(failing.retried, undefined, "a kernel's failure is never retried");
  t.equal(failing.status, 'as-expected');
  // the devices behind ports 4-6 have their I/O BAR at 0x4000 and above
  for (const name of ['rng2', 'net2', 'blk2']) {
    const device = failing.devices.find((d) => d.name === name)!;
    t.equal(device.bar0?.kind, 'io', `${name} has an I/O BAR0`);
    t.ok(device.bar0!.start >= 0x4000, `${name} BAR0 at 0x${device.bar0!.start.toString(16)}`);
    t.ok(device.problems.length > 0, `${name} has problems: ${device.problems.join('; ')}`);
    t.ok(
      failing.reasons.some((r) => r.startsWith(`${name} `) && /io BAR0 0x[4-6]000/.test(r)),
      `a reason names ${name} and its BAR`,
    );
  }
  for (const device of failing.devices.filter((d) => d.bar0 && d.bar0.start < 0x4000)) {
    if (device.status !== null && device.status & 0x80) {
      t.ok(
        failing.reasons.some((r) => r.startsWith(`${device.name} `) && /FAILED/.test(r)),
        `${device.name} left with FAILED is named`,
      );
    }
  }

  for (const cell of results.cells.filter((c) => c.vmmType === 'qemu' && c.id !== failing.id)) {
    t.equal(cell.verdict, 'pass', `${cell.id} passes: ${cell.reasons.join('; ')}`);
    t.equal(cell.devices.length, cell.topology === 'bridged' ? 6 : 3);
    for (const device of cell.devices) {
      t.equal(device.presented, cell.transport, `${cell.id} ${device.name} is ${cell.transport}`);
      t.equal(device.check?.result, 'ok');
    }
  }
  for (const cell of results.cells.filter((c) => c.vmmType === 'kvmtool')) {
    t.equal(cell.verdict, 'skip');
    t.match(cell.reasons[0], /no lkvm given for kvmtool: pass --lkvm PATH, set KVMATRIX_LKVM/);
  }
  // legacy devices in the patched bridged cell sit at the same high BARs and work
  const patched = results.cells.find((c) => c.id === 'patched/qemu-bridged/legacy')!;
  t.ok(
    patched.devices.some((d) => d.bar0 && d.bar0.start >= 0x6000),
    'the patched kernel works with a BAR at 0x6000',
  );

  await checkReportsAgree(t, join(out, 'latest'), results);
  checkKcidb(t, kcidbFile, results);

  t.test(
    'the HTML report of this run, in chromium: the failing cell shows its devices at 0x4000 and up',
    { skip: browserSkipReason() },
    async (t) => {
      await withBrowser(async (browser) => {
        const { page, requests } = await openReport(browser, join(out, 'latest', 'index.html'));
        await checkReportPage(t, page, results, failing);
        await page.locator(`table.grid a[data-cell="${failing.id}"]`).click();
        const panel = await page.locator('.detail:target').innerText();
        t.match(panel, /rng2\s+0000:\S+\s+rng \(legacy\)\s+io 0x4000/, 'rng2 with its I/O BAR0 at 0x4000');
        t.match(panel, /Linux version 6\.1/, 'the console log is in the page');
        t.match(panel, /KVMATRIX\/1 \d+ end records=/, 'to its last record');
        const shot = join(out, 'latest', 'index.png');
        await page.screenshot({ path: shot });
        t.comment(`screenshot: ${shot}`);
        t.same(
          requests.filter((u) => !u.startsWith('file:')),
          [],
          'the page fetched nothing from the network',
        );
      });
    },
  );

  const reproduce = readFileSync(join(out, 'latest', failing.reproduce!), 'utf8');
  t.match(reproduce, /qemu-system-aarch64/);
  t.match(reproduce, /pcie-root-port,id=rp6/);
  t.match(
    reproduce,
    /-kernel \.\.\/\.\.\/\.\.\/\.\.\/kernels\/unpatched\/Image/,
    'the Image the run folder keeps, named relative to the script',
  );
  for (const kernel of results.kernels) {
    const kept = join(out, 'latest', kernel.artifacts!.image!);
    t.ok(readFileSync(kept).equals(readFileSync(kernel.image!)), `${kernel.id}: the run folder keeps the Image it booted`);
  }

  t.test('a second run with nothing changed runs no make', async (t) => {
    spy.reset();
    const second = await kvmatrix(['run', '--out', out, '--filter', 'type=qemu', '--no-artifacts'], { spyDir: spy.dir });
    t.equal(second.code, 0, second.stderr.slice(-2000));
    t.same(spy.calls(), [], 'make was not run');
    const again = readResults(join(out, 'latest'));
    t.ok(
      again.kernels.every((k) => k.cached),
      'both kernels came from the cache',
    );
    t.not(again.runId, results.runId);
    // --no-artifacts: the lean folder of before, booting from the cache
    t.notOk(existsSync(join(out, 'latest', 'guest')), 'no initramfs kept');
    t.notOk(
      again.kernels.some((k) => k.artifacts?.image),
      'no Image kept',
    );
    t.match(
      readFileSync(join(out, 'latest', again.cells[0]!.reproduce!), 'utf8'),
      new RegExp(`-kernel '?${resolveCacheRoot()}/kernels/`),
      "reproduce.sh boots the cache's Image",
    );
  });

  t.test(
    "the GitLab example's artifacts are enough: a cache of kernels/, configs/ and fingerprints/ alone runs no make and unpacks nothing",
    async (t) => {
      const handed = tempTree({}, 'kvmatrix-handed-cache-');
      for (const dir of ['kernels', 'configs', 'fingerprints']) {
        // hard links where the cache shares the filesystem, else a copy
        execFileSync('sh', [
          '-c',
          'cp -al "$1" "$2" 2>/dev/null || cp -r "$1" "$2"',
          'sh',
          join(resolveCacheRoot(), dir),
          join(handed, dir),
        ]);
      }
      spy.reset();
      const shard = await kvmatrix(['run', '--out', out, '--filter', 'type=qemu', '--cache', handed], { spyDir: spy.dir });
      t.equal(shard.code, 0, shard.stderr.slice(-2000));
      t.same(spy.calls(), [], 'make was not run');
      t.ok(
        readResults(join(out, 'latest')).kernels.every((k) => k.cached),
        'both kernels came from the handed cache',
      );
      // the run makes the cache's folders; what matters is that nothing went into them
      t.same(readdirSync(join(handed, 'sources')), [], 'no source was unpacked');

      t.test(
        'that run packed, unpacked elsewhere with the cache moved away: it renders, and the failing cell boots again to the same records',
        async (t) => {
          const run = readResults(join(out, 'latest'));
          const runDir = join(out, run.runId);
          const pack = join(tempTree({}), 'run.tar.gz');
          const packed = await kvmatrix(['report', runDir, '--pack', pack]);
          t.equal(packed.code, 0, packed.stderr);
          const elsewhere = tempTree({}, 'kvmatrix-unpacked-');
          execFileSync('tar', ['-xzf', pack, '-C', elsewhere]);
          const unpacked = join(elsewhere, run.runId);
          const cell = run.cells.find((c) => c.id === 'unpatched/qemu-bridged/legacy')!;
          const script = readFileSync(join(unpacked, cell.reproduce!), 'utf8');
          t.notOk(script.includes(handed), 'the script names nothing in the cache');
          renameSync(handed, `${handed}.away`);
          try {
            const rendered = await kvmatrix(['report', unpacked]);
            t.equal(rendered.code, 0, rendered.stderr);
            const again = spawnSync('sh', [join(unpacked, cell.reproduce!)], {
              encoding: 'utf8',
              timeout: 120_000,
              stdio: ['ignore', 'pipe', 'pipe'],
            });
            t.equal(again.status, 0, `reproduce.sh ran QEMU to its end\n${again.stderr.slice(-2000)}`);
            const nonce = /kvmatrix\.nonce=([0-9a-f]+)/.exec(script)![1]!;
            const now = parseConsole(again.stdout, { nonce });
            const then = parseConsole(readFileSync(join(runDir, cell.console!), 'utf8'), { nonce });
            t.ok(
              now.agent.end !== null && now.agent.rejected.length === 0 && now.agent.missingSeqs.length === 0,
              'every record of the boot, ending in its end record',
            );
            const outcome = (o: typeof now) => [
              o.agent.checks.map((c) => [c.dev, c.kind, c.result]),
              o.agent.virtio.map((v) => [v.dev, v.driver, v.status]),
            ];
            t.same(outcome(now), outcome(then), "the same devices' checks and statuses as the run's boot");
            t.ok(
              now.agent.checks.some((c) => c.result !== 'ok'),
              'the failure is there again',
            );
          } finally {
            renameSync(`${handed}.away`, handed);
          }
        },
      );
    },
  );
});

/** The run's KCIDB file: valid for KernelCI's kcidb-io, and the run's own counts and statuses. */
function checkKcidb(t: Test, file: string, results: RunResults): void {
  t.match(validateKcidb(file), /^\d+\.\d+$/, 'kcidb-io validates the submission');
  const kcidb = JSON.parse(readFileSync(file, 'utf8')) as KcidbSubmission;
  t.equal(kcidb.checkouts.length, 2, 'one source, two patch sets');
  t.equal(new Set(kcidb.checkouts.map((c) => c.misc.source)).size, 1);
  t.equal(kcidb.builds.length, 2);
  t.ok(
    kcidb.builds.every((b) => b.status === 'PASS' && /gcc .*\d+\.\d+/.test(b.compiler ?? '')),
    'built, with the compiler named',
  );
  const cellTests = kcidb.tests.filter((x) => /^kvmatrix\.murray\.[^.]+\.(legacy|modern)$/.test(x.path));
  t.equal(cellTests.length, 12, 'a test per cell');
  const status = { pass: 'PASS', fail: 'FAIL', error: 'ERROR', timeout: 'ERROR', skip: 'SKIP', flaky: 'FAIL' } as const;
  t.same(
    cellTests.map((x) => [x.misc.cell, x.status]),
    results.cells.map((c) => [c.id, status[c.verdict]]),
    'cell by cell, the status of results.json',
  );
  const devices = results.cells.reduce((n, c) => n + (c.tests ?? []).reduce((m, kind) => m + kind.children.length, 0), 0);
  t.ok(devices >= 30, `the QEMU cells' devices (${devices})`);
  t.equal(kcidb.tests.length, 12 + devices, 'and one per device');
  t.equal(kcidb.issues.length, 1, "the matrix's one expected regression");
  const incidentTests = kcidb.incidents.map((i) => kcidb.tests.find((x) => x.id === i.test_id)!);
  const expectedCells = results.cells.filter((c) => c.expected === 'fail');
  t.same(
    incidentTests.filter((x) => cellTests.includes(x)).map((x) => x.misc.cell),
    expectedCells.map((c) => c.id),
    'incidents on exactly the cells expected to fail',
  );
  // and on each device that failed in them: the cell's rule covers it, and its test says so
  const coveredDevices = expectedCells.flatMap((c) => leavesOf(c.tests ?? []).filter((l) => l.verdict === 'fail'));
  t.ok(coveredDevices.length > 0, `${coveredDevices.length} failed devices in those cells`);
  t.same(
    incidentTests.filter((x) => !cellTests.includes(x)).map((x) => [x.misc.cell, x.status, x.misc.expected, x.misc.expected_by]),
    expectedCells.flatMap((c) =>
      leavesOf(c.tests ?? [])
        .filter((l) => l.verdict === 'fail')
        .map(() => [c.id, 'FAIL', 'fail', "expect[0], the cell's rule"]),
    ),
    "an incident on each failed device, expected to fail by the cell's rule",
  );
}

t.test('boot: one cell, its console on stdout, the verdict and the way back on stderr', async (t) => {
  const out = tempTree({}, 'kvmatrix-results-');
  const run = await kvmatrix(['boot', 'unpatched/qemu-bridged/legacy', '--out', out]);
  t.equal(run.code, 0, `the cell failed as expected\n${run.stderr.slice(-2000)}`);
  t.match(run.stdout, /Linux version 6\.1/);
  t.match(run.stdout, /KVMATRIX\/1 \d+ end records=/);
  t.notMatch(run.stdout, /cell unpatched/, 'progress stays off stdout');
  t.match(run.stderr, /^unpatched\/qemu-bridged\/legacy: fail \(expected fail\)$/m);
  t.match(run.stderr, /^  rng2 .*io BAR0 0x4000/m);
  t.match(run.stderr, /^boot it again: sh \/.*\/cells\/unpatched\/qemu-bridged\/legacy\/reproduce\.sh$/m);
});

t.test('boot spelt out: an Image file, QEMU bridged, legacy, only the devices asked for', async (t) => {
  const out = tempTree({}, 'kvmatrix-results-');
  const built = await kvmatrix(['build', 'unpatched']);
  const image = /^unpatched\t(\S+)$/m.exec(built.stdout)?.[1];
  t.ok(image, `build prints the Image path\n${built.stdout}${built.stderr.slice(-1000)}`);
  const args = [
    'boot',
    '--kernel',
    image!,
    '--vmm',
    'qemu',
    '--topology',
    'bridged',
    '--transport',
    'legacy',
    '--devices',
    'rng',
    '--out',
    out,
  ];
  const run = await kvmatrix(args);
  t.equal(run.code, 1, `an Image file has no expectation but pass, and this one fails\n${run.stderr.slice(-2000)}`);
  t.match(run.stderr, /^image\/qemu-bridged\/legacy: fail \(expected pass, NOT as expected\)$/m);
  t.match(run.stderr, /^  rng4 .*io BAR0 0x4000/m, 'six rng devices: the fourth is the first at 0x4000');
  t.notMatch(run.stderr, /net\d|blk\d/, 'only the devices asked for');
});

t.test('expecting the bridged legacy cell to pass makes the run exit 1', async (t) => {
  const dir = tempTree({});
  const matrix = murrayCopy(t, join(dir, 'pass.yaml'), (text) => text.replace('verdict: fail', 'verdict: pass'));
  const run = await kvmatrix(['run', matrix, '--out', join(dir, 'results'), '--cell', 'unpatched/qemu-bridged/legacy']);
  t.equal(run.code, 1, run.stderr.slice(-2000));
  const results = readResults(join(dir, 'results', 'latest'));
  t.equal(results.cells[0]!.verdict, 'fail');
  t.equal(results.cells[0]!.status, 'unexpected');
  t.match(run.stdout, /not as expected: unpatched\/qemu-bridged\/legacy: fail, expected pass/);
});

t.test('compare: the unpatched kernel swapped for the patched one turns the failing cell into an unexpected pass', async (t) => {
  if (!firstRun) return t.fail('the first run of this file did not finish');
  const dir = tempTree({});
  const matrix = murrayCopy(t, join(dir, 'swapped.yaml'), (text) =>
    text.replace('    patches:\n      - path: murray-ioport-map.patch\n        direction: reverse\n', ''),
  );
  const later = await kvmatrix(['run', matrix, '--out', join(dir, 'results'), '--cell', 'unpatched/qemu-bridged/legacy']);
  t.equal(later.code, 1, `the cell passes where the matrix expects a failure\n${later.stderr.slice(-2000)}`);

  const out = join(dir, 'compare');
  const cmp = await kvmatrix(['compare', firstRun, join(dir, 'results', 'latest'), '--tap', `${out}.tap`, '--junit', `${out}.xml`]);
  t.equal(cmp.code, 1, `a cell started going against the matrix\n${cmp.stderr}`);
  t.match(cmp.stdout, /started failing \(1\):\n  unpatched\/qemu-bridged\/legacy: fail -> PASS \(expected fail\)\n/);
  t.match(cmp.stdout, /    rng2 driver: none -> virtio_rng\n/, 'the device that failed to probe now has its driver');
  t.notMatch(cmp.stdout, /rng2 bar0/, 'at the same BAR as before');
  t.match(cmp.stdout, /removed \(11\):/, 'the cells this run did not select');
  const { final } = await parseTap(readFileSync(`${out}.tap`, 'utf8'));
  t.same(tapSyntaxErrors(final), []);
  t.equal(final.failures.filter((f) => !f.todo).length, 1);
  const suite = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(readFileSync(`${out}.xml`, 'utf8')).testsuites
    .testsuite;
  t.equal(Number(suite.failures), 1);
});

t.test('shards: two halves of the QEMU cells, run apart and merged, give the verdicts of the whole run', async (t) => {
  if (!firstRun) return t.fail('the first run of this file did not finish');
  const dir = tempTree({});
  const shardDirs: string[] = [];
  for (const k of [1, 2]) {
    const out = join(dir, `shard-${k}`);
    const run = await kvmatrix(['run', '--filter', 'type=qemu', '--shard', `${k}/2`, '--out', out]);
    t.equal(run.code, 0, `shard ${k}/2\n${run.stderr.slice(-2000)}`);
    const shard = readResults(join(out, 'latest'));
    t.equal(shard.cells.length, 4, `shard ${k}/2 has half of the 8 QEMU cells`);
    t.same(
      shard.kernels.map((kernel) => kernel.id),
      [k === 1 ? 'unpatched' : 'patched'],
      'and needs one kernel',
    );
    shardDirs.push(join(out, 'latest'));
  }
  const merge = await kvmatrix(['report', 'merge', ...shardDirs, '--out', join(dir, 'merged')]);
  t.equal(merge.code, 0, merge.stderr);
  const merged = readResults(join(dir, 'merged', 'latest'));
  const whole = readResults(firstRun).cells.filter((c) => c.vmmType === 'qemu');
  t.same(
    merged.cells.map((c) => [c.id, c.verdict, c.status]),
    whole.map((c) => [c.id, c.verdict, c.status]),
    'the same cells with the same verdicts',
  );
  await checkReportsAgree(t, join(dir, 'merged', 'latest'), merged);
  const failing = merged.cells.find((c) => c.id === 'unpatched/qemu-bridged/legacy')!;
  t.match(readFileSync(join(dir, 'merged', 'latest', failing.console!), 'utf8'), /KVMATRIX\/1 \d+ end records=/, 'its console came along');
  // what each shard booted came along too, linked rather than copied
  for (const cell of merged.cells) {
    const script = join(dir, 'merged', 'latest', cell.reproduce!);
    const inputs = /^for f in (.*); do$/m.exec(readFileSync(script, 'utf8'))![1]!.split(' ');
    t.ok(
      inputs.every((f) => !f.startsWith('/') && existsSync(join(dirname(script), f))),
      `${cell.id}: reproduce.sh finds its Image, initramfs and disks in the merged folder`,
    );
  }
  const shardImage = join(shardDirs[0]!, 'kernels', 'unpatched', 'Image');
  t.equal(
    statSync(join(dir, 'merged', 'latest', 'kernels', 'unpatched', 'Image')).ino,
    statSync(shardImage).ino,
    "the merged folder's Image is the shard's, hard-linked",
  );
});

t.test('a downloaded kernel: the patched build served as a tarball on 127.0.0.1, fetched, checked and booted', async (t) => {
  const built = await kvmatrix(['build', 'patched']);
  const image = /^patched\t(\S+)$/m.exec(built.stdout)?.[1];
  if (!image) return t.fail(`build prints the Image path\n${built.stderr.slice(-1000)}`);
  const dir = tempTree({});
  execFileSync('tar', ['-czf', join(dir, 'kernel.tar.gz'), '-C', dirname(image), 'Image', 'config']);
  const tarball = readFileSync(join(dir, 'kernel.tar.gz'));
  const server = await serveRoutes({ '/kernel.tar.gz': body(tarball) });
  t.teardown(() => server.close());
  const sum = createHash('sha256').update(tarball).digest('hex');
  writeFileSync(join(dir, 'kernels-downloaded.yaml'), `source:\n  download: ${server.url('/kernel.tar.gz')}\n  sha256: ${sum}\n`);
  const matrix = murrayCopy(t, join(dir, 'downloaded.yaml'), (text) =>
    text.replace('kernels:\n', `kernels:\n  downloaded:\n    definition: ${join(dir, 'kernels-downloaded.yaml')}\n`),
  );
  const cache = tempTree({}, 'kvmatrix-cache-');
  const run = await kvmatrix(['run', matrix, '--cache', cache, '--out', join(dir, 'results'), '--cell', 'downloaded/qemu-bridged/legacy']);
  t.equal(run.code, 0, `the patched kernel passes, downloaded\n${run.stderr.slice(-2000)}`);
  const results = readResults(join(dir, 'results', 'latest'));
  t.equal(results.cells[0]!.verdict, 'pass');
  t.equal(results.kernels[0]!.source, `download:sha256:${sum}`);
  t.equal(server.hits.get('/kernel.tar.gz'), 1);
  t.ok(readFileSync(join(cache, 'downloads', sum, 'Image')).equals(readFileSync(image)), 'the Image in the cache is the one built');
  t.ok(existsSync(join(cache, 'downloads', sum, 'config')), 'with its config');

  writeFileSync(
    join(dir, 'kernels-downloaded.yaml'),
    `source:\n  download: ${server.url('/kernel.tar.gz')}\n  sha256: ${'f'.repeat(64)}\n`,
  );
  const wrong = await kvmatrix([
    'run',
    matrix,
    '--cache',
    tempTree({}),
    '--out',
    join(dir, 'results'),
    '--cell',
    'downloaded/qemu-bridged/legacy',
  ]);
  t.equal(wrong.code, 3, 'no cell could boot');
  t.match(
    wrong.stderr,
    /kernel downloaded: FAILED at source: .*kernel\.tar\.gz: its sha256 is [0-9a-f]{64}, the kernel definition says f{64}/,
  );
});

/** The default matrix with one edit, written elsewhere with its kernels and patches still found. */
function murrayCopy(t: Test, path: string, edit: (text: string) => string): string {
  const original = readFileSync(join(projectRoot, 'matrices/murray.yaml'), 'utf8');
  const edited = edit(original);
  t.not(edited, original, 'the edit changed the matrix');
  const paths = `paths:\n  kernels: ${join(projectRoot, 'kernels')}\n  patches: ${join(projectRoot, 'patches')}\n`;
  writeFileSync(path, edited.replace(/^kernels:\n/m, `${paths}kernels:\n`));
  return path;
}

async function checkReportsAgree(t: Test, runDir: string, results: RunResults): Promise<void> {
  const tap = readFileSync(join(runDir, 'report.tap'), 'utf8');
  const { final } = await parseTap(tap);
  t.equal(final.ok, true, 'TAP: the run is ok');
  t.equal(final.count, results.summary.total, 'TAP: one test point per cell');
  t.equal(final.skip, results.summary.skipped, 'TAP: skips agree');
  t.equal(final.fail, results.summary.unexpected, 'TAP: failures agree');
  t.same(tapSyntaxErrors(final), [], 'TAP: no syntax errors');
  t.match(tap, /ok 3 - unpatched\/qemu-bridged\/legacy: fails as expected\n  ---\n/);

  const xml = readFileSync(join(runDir, 'junit.xml'), 'utf8');
  t.equal(XMLValidator.validate(xml), true, 'JUnit: well-formed');
  const suite = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml).testsuites.testsuite;
  // a testcase per cell, and one per test of its tree: here the probe's devices
  const devices = results.cells.reduce((n, c) => n + judgedNodes(c.tests ?? []).length, 0);
  t.equal(
    devices,
    results.cells.reduce((n, c) => n + c.devices.length, 0),
    'a test per device of every cell that booted',
  );
  t.equal(Number(suite.tests), results.summary.total + devices, 'JUnit: tests');
  // skips, and failures the matrix expects (written as an xfail is): the cell and its failed devices
  const expectedFailures =
    results.cells.filter((c) => c.status === 'as-expected' && c.verdict === 'fail').length +
    results.cells.flatMap((c) => judgedNodes(c.tests ?? [])).filter((n) => n.status === 'as-expected' && n.verdict === 'fail').length;
  t.ok(expectedFailures >= 4, `the expected failures: ${expectedFailures}`);
  t.equal(Number(suite.skipped), results.summary.skipped + expectedFailures, 'JUnit: skipped');
  t.equal(Number(suite.failures) + Number(suite.errors), results.summary.unexpected, 'JUnit: failures and errors');
  t.equal((suite.testcase as unknown[]).length, results.summary.total + devices);
}
