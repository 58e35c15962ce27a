/**
 * KUnit in every cell, on real kernels: matrices/kunit.yaml's QEMU cells
 * (Debian 6.1 with and without a lib/cmdline.c patch, KUnit's own suites
 * and five library suites, every cell passing), every report read back
 * with a real parser (TAP by tap-parser, JUnit by an XML parser, the HTML
 * in chromium); a patch that breaks one case and one that panics inside
 * a case; --test; and a bisect on one case over a history that breaks it.
 */
import { XMLParser } from 'fast-xml-parser';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { runKcidb } from '../support/kcidb.js';
import { projectRoot } from '../../harness/host/install-paths.js';
import type { CellRecord, RunResults } from '../../harness/report/types.js';
import { leavesOf, type TestNode } from '../../harness/verdict/tree.js';
import { browserSkipReason, openReport, withBrowser } from '../support/browser.js';
import { kvmatrix, readResults } from '../support/cli.js';
import { haveLinuxTarball, LINUX_TARBALL } from '../support/kernel-history.js';
import { tapLevels } from '../support/tap.js';
import { tempTree } from '../support/temp-tree.js';

t.setTimeout(60 * 60 * 1000);

const KUNIT_MATRIX = join(projectRoot, 'matrices', 'kunit.yaml');
const PATCHES = join(projectRoot, 'test', 'fixtures', 'patches');
const skip = haveLinuxTarball() ? false : `needs ${LINUX_TARBALL} (apt-get install linux-source-6.1; npm test installs it)`;

const leafPaths = (cell: CellRecord, kind: string) =>
  leavesOf((cell.tests ?? []).filter((n) => n.name === kind)).map((l) => l.path as string);
const find = (cell: CellRecord, path: string): TestNode | undefined => leavesOf(cell.tests ?? []).find((l) => l.path === path);

/** A matrix of 6.1 kernels (kunit.yaml's definition and kunitconfig, so the unpatched kernel is shared) under QEMU flat, modern, KUnit alone. */
function kunitMatrix(dir: string, kernels: Record<string, string[]>): string {
  const entries = Object.entries(kernels)
    .map(([id, patches]) => `  ${id}:\n    definition: debian-6.1-no-net\n    patches: [${patches.join(', ')}]`)
    .join('\n');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'm.yaml');
  const text =
    `name: kunit-cases\npaths:\n  kernels: ${join(projectRoot, 'kernels')}\n  patches: ${PATCHES}\nkernels:\n${entries}\n` +
    `vmms:\n  qemu-flat: { type: qemu, topology: flat }\ntransports: [modern]\n` +
    `tests:\n  - kunit: { kunitconfig: ${join(projectRoot, 'matrices', 'kunit', 'lib.kunitconfig')} }\n`;
  writeFileSync(file, text);
  return file;
}

t.test('matrices/kunit.yaml, every QEMU cell: the tree, as expected, in every report', { skip }, async (t) => {
  const out = tempTree({}, 'kvmatrix-kunit-');
  const run = await kvmatrix(['run', KUNIT_MATRIX, '--filter', 'type=qemu', '--out', out], { env: { CI: 'true' } });
  t.equal(run.code, 0, `every cell as the matrix expects\n${run.stdout}\n${run.stderr.slice(-3000)}`);
  const runDir = join(out, 'latest');
  const results = readResults(runDir);
  t.equal(results.cells.length, 8);

  // the same KUnit leaves in every cell, and every one passed (or skipped as the example suite does on purpose)
  const reference = leafPaths(results.cells[0]!, 'kunit');
  t.ok(reference.length >= 100, `${reference.length} KUnit tests in a cell`);
  t.ok(reference.includes('kunit.list-kunit-test.list_test_list_del'));
  t.ok(
    reference.some((p) => p.startsWith('kunit.kunit-try-catch-test.')),
    "KUnit's own suites",
  );
  for (const cell of results.cells) {
    t.same(leafPaths(cell, 'kunit'), reference, `${cell.id}: the same KUnit tests`);
    const kunit = leavesOf((cell.tests ?? []).filter((n) => n.name === 'kunit'));
    t.same(
      kunit.filter((l) => l.verdict !== 'pass').map((l) => `${l.path} ${l.verdict}`),
      ['kunit.example.example_skip_test skip', 'kunit.example.example_mark_skipped_test skip'],
      `${cell.id}: every KUnit test passed but the two the example suite skips`,
    );
  }

  // every cell passed, the probe's leaves too: the bridged topology's four devices, blk2's legacy BAR at 0x4000
  t.same(
    results.cells.filter((c) => c.verdict !== 'pass').map((c) => c.id),
    [],
    'every cell passed',
  );
  const bridged = results.cells.find((c) => c.id === 'patched/qemu-bridged/legacy')!;
  t.same(leafPaths(bridged, 'probe'), ['probe.rng1', 'probe.blk1', 'probe.rng2', 'probe.blk2']);
  t.ok(
    leavesOf((bridged.tests ?? []).filter((n) => n.name === 'probe')).every((l) => l.verdict === 'pass'),
    'every probe leaf passed',
  );
  t.same(
    results.kernels.find((k) => k.id === 'patched')?.patches?.map((p) => p.file),
    ['cmdline-get-range.patch'],
    'the patched kernel took its patch',
  );
  t.match(run.stdout, /^unpatched\s+pass\s+pass\s+pass\s+pass$/m);
  t.match(run.stdout, /^patched\s+pass\s+pass\s+pass\s+pass$/m);

  // TAP: tap-parser reads the tree back with the right counts at every level
  const tap = readFileSync(join(runDir, 'report.tap'), 'utf8');
  const levels = await tapLevels(tap);
  t.match(levels.get(''), { ok: true, count: 8, pass: 8, failing: 0, todo: 0 }, 'the run: 8 cells, all ok');
  t.match(levels.get('/patched/qemu-flat/legacy'), { ok: true, count: 2, pass: 2, failing: 0 }, 'a cell: probe and kunit');
  t.match(
    levels.get('/patched/qemu-flat/legacy/kunit/list-kunit-test'),
    { ok: true, count: 39, pass: 39, failing: 0 },
    'the list suite: 39 cases',
  );
  t.match(levels.get('/patched/qemu-flat/legacy/kunit/example'), { ok: true, count: 4, pass: 4, failing: 0, skip: 2 }, 'skips are ok');
  t.match(
    levels.get('/unpatched/qemu-bridged/legacy/probe'),
    { ok: true, count: 4, pass: 4, failing: 0 },
    'the bridged probe: four devices',
  );
  t.match(
    levels.get('/patched/qemu-bridged/legacy/kunit/cmdline'),
    { ok: true, count: 4, pass: 4, failing: 0 },
    'the suite the patch is about',
  );

  // JUnit: a testcase per cell and per test, the failures only where a test went against the matrix
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(readFileSync(join(runDir, 'junit.xml'), 'utf8'));
  const cases = doc.testsuites.testsuite.testcase as { classname: string; name: string; failure?: unknown; skipped?: unknown }[];
  const leaves = results.cells.reduce((n, c) => n + leavesOf(c.tests ?? []).length, 0);
  t.equal(cases.length, results.cells.length + leaves, 'one testcase per cell and per test');
  t.equal(cases.filter((c) => c.failure !== undefined).length, 0);
  t.ok(cases.some((c) => c.classname === 'kunit.patched/qemu-flat/legacy.kunit.list-kunit-test' && c.name === 'list_test_list_del'));
  t.equal(Number(doc.testsuites.testsuite.tests), cases.length);

  // the terminal summary and the HTML grid with the counts, opened in chromium
  const reason = browserSkipReason();
  if (reason) t.comment(`HTML not opened: ${reason}`);
  else {
    await withBrowser(async (browser) => {
      const { page, requests } = await openReport(browser, join(runDir, 'index.html'));
      const gridCell = page.locator('table.grid a[data-cell="patched/qemu-flat/legacy"]');
      t.match(await gridCell.innerText(), /kunit 105\/105/, 'the grid counts the KUnit tests that ran');
      await gridCell.click();
      const panel = page.locator('.detail:target');
      t.match(await panel.innerText(), /kunit: 105 passed, 0 failed, 2 skipped of 107/);
      t.match(await panel.locator('summary', { hasText: 'list-kunit-test' }).innerText(), /39 passed/);
      await panel.locator('.close a').click();
      t.same(
        requests.filter((u) => !u.startsWith('file:')),
        [],
        'nothing fetched',
      );
    });
  }
});

t.test('a patch breaking one case fails exactly that case, in every report, and compare names it alone', { skip }, async (t) => {
  const dir = tempTree({}, 'kvmatrix-kunit-break-');
  const good = kunitMatrix(join(dir, 'good'), { patched: [] });
  const bad = kunitMatrix(join(dir, 'bad'), { patched: ['list-del-expects-a.patch'] });
  const before = await kvmatrix(['run', good, '--out', join(dir, 'before')], { env: { CI: 'true' } });
  t.equal(before.code, 0, before.stderr.slice(-2000));
  const after = await kvmatrix(['run', bad, '--out', join(dir, 'after')], { env: { CI: 'true' } });
  t.equal(after.code, 1, 'the broken case fails the run');
  const cell = readResults(join(dir, 'after', 'latest')).cells[0]!;
  t.equal(cell.verdict, 'fail');
  const failing = leavesOf(cell.tests ?? []).filter((l) => l.verdict !== 'pass' && l.verdict !== 'skip');
  t.same(
    failing.map((l) => l.path),
    ['kunit.list-kunit-test.list_test_list_del'],
    'exactly that case',
  );
  t.match(failing[0]!.log, [/# list_test_list_del: EXPECTATION FAILED at lib\/list-test\.c:87/], 'with its own console lines');
  t.match(after.stdout, /kunit\.list-kunit-test\.list_test_list_del: fail: list_test_list_del: EXPECTATION FAILED at lib\/list-test\.c:87/);

  const tap = readFileSync(join(dir, 'after', 'latest', 'report.tap'), 'utf8');
  t.match(tap, /^ {12}not ok 4 - list_test_list_del: fail$/m, 'TAP: the case is not ok, four levels down');
  t.equal((tap.match(/^\s*not ok/gm) ?? []).length, 4, 'TAP: the case, its suite, kunit and the cell; nothing else');
  const junit = readFileSync(join(dir, 'after', 'latest', 'junit.xml'), 'utf8');
  const cases = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(junit).testsuites.testsuite.testcase as {
    name: string;
    failure?: unknown;
  }[];
  t.same(
    cases.filter((c) => c.failure !== undefined).map((c) => c.name),
    ['qemu-flat/modern', 'list_test_list_del'],
    'JUnit: the cell and the case',
  );

  const kcidb = await runKcidb(join(dir, 'after', 'latest'));
  t.same(
    kcidb.tests.filter((x) => x.status !== 'PASS' && x.status !== 'SKIP').map((x) => x.path),
    [
      'kvmatrix.kunit-cases.qemu-flat.modern',
      'kvmatrix.kunit-cases.qemu-flat.modern.kunit.list-kunit-test',
      'kvmatrix.kunit-cases.qemu-flat.modern.kunit.list-kunit-test.list_test_list_del',
    ],
    'KCIDB: the cell, the suite and the case fail; nothing else',
  );

  const compare = await kvmatrix(['compare', join(dir, 'before', 'latest'), join(dir, 'after', 'latest')]);
  t.equal(compare.code, 1, 'a test started failing');
  t.match(
    compare.stdout,
    /^tests that started failing \(1\):\n {2}kunit\.list-kunit-test\.list_test_list_del started failing on patched\/qemu-flat\/modern: pass -> FAIL \(expected pass\)$/m,
  );
});

t.test("a panic inside a case: the kernel's own listing names what never reported", { skip }, async (t) => {
  const dir = tempTree({}, 'kvmatrix-kunit-panic-');
  const matrix = kunitMatrix(dir, { panics: ['list-del-panics.patch'] });
  const run = await kvmatrix(['run', matrix, '--out', join(dir, 'results')], { env: { CI: 'true' } });
  t.equal(run.code, 1);
  const cell = readResults(join(dir, 'results', 'latest')).cells[0]!;
  t.equal(cell.verdict, 'fail');
  t.match(cell.reasons[0], /^kernel panic at console line \d+: list_del took the kernel down$/);
  const del = find(cell, 'kunit.list-kunit-test.list_test_list_del')!;
  t.equal(del.verdict, 'crashed', 'the case that was running is named and crashed');
  t.match(del.log.join('\n'), /Kernel panic - not syncing: list_del took the kernel down/, 'with the lines it printed');
  t.equal(find(cell, 'kunit.list-kunit-test.list_test_list_init')!.verdict, 'pass', 'the cases before it keep their results');
  t.match(
    find(cell, 'kunit.list-kunit-test.list_test_list_replace')!.reasons[0],
    /never ran: the kernel stopped in list_test_list_del before it/,
  );
  // in the order the kernel ran them: everything before the panic kept its result, nothing after it passed
  const leaves = leavesOf(cell.tests ?? []);
  const at = leaves.indexOf(del);
  t.ok(
    leaves.slice(0, at).every((l) => l.verdict === 'pass' || l.verdict === 'skip'),
    'before it: passed or skipped',
  );
  t.same([...new Set(leaves.slice(at).map((l) => l.verdict))], ['crashed'], 'from it on: crashed');
  const suites = (cell.tests ?? [])[0]!.children;
  const after = suites.slice(suites.findIndex((s) => s.name === 'list-kunit-test') + 1);
  t.ok(
    after.length > 0 && after.every((s) => s.verdict === 'crashed' && s.children.length > 0),
    `the suites that never began are named from the listing, with their cases (${after.map((s) => s.name).join(', ')})`,
  );
  t.equal(
    readdirSync(join(process.env.KVMATRIX_CACHE ?? join(process.env.HOME!, '.cache', 'kvmatrix'), 'kunit-lists')).length > 0,
    true,
    'the listing is kept in the cache',
  );
});

t.test("--test narrows the kernel's filter and the tree", { skip }, async (t) => {
  const out = tempTree({}, 'kvmatrix-kunit-only-');
  const run = await kvmatrix([
    'run',
    KUNIT_MATRIX,
    '--cell',
    'patched/qemu-flat/modern',
    '--test',
    'kunit.list-kunit-test.list_test_list_del*',
    '--out',
    out,
  ]);
  t.equal(run.code, 0, run.stderr.slice(-2000));
  const results: RunResults = readResults(join(out, 'latest'));
  const cell = results.cells[0]!;
  t.match(cell.command!.join(' '), /kunit\.filter_glob=list-kunit-test\.list_test_list_del\*/);
  t.notMatch(cell.command!.join(' '), /virtio-rng-pci/, 'no probe: no devices');
  t.same(
    leavesOf(cell.tests ?? []).map((l) => `${l.path} ${l.verdict}`),
    [
      'kunit.list-kunit-test.list_test_list_del pass',
      'kunit.list-kunit-test.list_test_list_del_init pass',
      'kunit.list-kunit-test.list_test_list_del_init_careful pass',
    ],
  );
  t.equal(results.selection.test, 'kunit.list-kunit-test.list_test_list_del*');

  const none = await kvmatrix(['run', KUNIT_MATRIX, '--cell', 'patched/qemu-flat/modern', '--test', 'kselftest.timers', '--out', out]);
  t.equal(none.code, 2);
  t.match(none.stderr, /^kvmatrix: --test kselftest\.timers names no test the selected cells run \(they run probe, kunit\)$/m);
});

t.test('bisect --test finds the commit that breaks one case', { skip }, async (t) => {
  const dir = tempTree({}, 'kvmatrix-kunit-bisect-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const tree = join(dir, 'linux');
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: tree,
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'k',
        GIT_AUTHOR_EMAIL: 'k@kvmatrix.invalid',
        GIT_COMMITTER_NAME: 'k',
        GIT_COMMITTER_EMAIL: 'k@kvmatrix.invalid',
      },
    }).trim();
  execFileSync('mkdir', ['-p', tree]);
  execFileSync('tar', ['-xf', LINUX_TARBALL, '-C', tree, '--strip-components=1', '--no-same-owner']);
  git('init', '--quiet', '--initial-branch=main');
  git('config', 'core.looseCompression', '0');
  git('config', 'gc.auto', '0');
  const commit = (subject: string) => {
    git('add', '--all', '--force', '.');
    git('commit', '--quiet', '-m', subject);
    return git('rev-parse', 'HEAD');
  };
  const base = commit('Linux 6.1 as Debian ships it');
  appendFileSync(join(tree, 'Documentation/dev-tools/kunit/start.rst'), '\nA note.\n');
  commit('Documentation: kunit: a note');
  execFileSync('git', ['apply', join(PATCHES, 'list-del-expects-a.patch')], { cwd: tree });
  const breaks = commit('list: test: expect b.prev to be a');
  appendFileSync(join(tree, 'Documentation/dev-tools/kunit/start.rst'), '\nAnother note.\n');
  commit('Documentation: kunit: another note');

  const out = join(dir, 'results');
  const run = await kvmatrix([
    'bisect',
    '--tree',
    tree,
    '--good',
    base,
    '--bad',
    'main',
    '--matrix',
    KUNIT_MATRIX,
    '--cell',
    'unpatched/qemu-flat/modern',
    '--test',
    'kunit.list-kunit-test.list_test_list_del',
    '--out',
    out,
  ]);
  t.equal(run.code, 0, `${run.stdout}\n${run.stderr.slice(-3000)}`);
  t.match(run.stdout, new RegExp(`^first bad commit: ${breaks} list: test: expect b.prev to be a$`, 'm'));
  t.match(run.stdout, /kunit\.list-kunit-test\.list_test_list_del: fail/, 'a step was bad by the case');
  t.match(run.stdout, /kunit\.list-kunit-test\.list_test_list_del passed/, 'and one good by it');
  t.ok(existsSync(join(out)), 'the bisect wrote its folder');
});

t.test(
  'an option of the kunitconfig the kernel drops fails its config stage, at the line of the matrix that asked for it',
  { skip },
  async (t) => {
    const dir = tempTree({}, 'kvmatrix-kunitconfig-');
    const file = join(dir, 'm.yaml');
    // USB storage needs USB and SCSI, which tinyconfig leaves off: olddefconfig drops it
    writeFileSync(
      file,
      `name: dropped\npaths:\n  kernels: ${join(projectRoot, 'kernels')}\nkernels:\n  k:\n    definition: debian-6.1-no-net\n` +
        `vmms:\n  qemu-flat: { type: qemu, topology: flat }\ntransports: [modern]\n` +
        `tests:\n  - kunit:\n      kunitconfig:\n        - CONFIG_KUNIT=y\n        - CONFIG_USB_STORAGE=y\n`,
    );
    const run = await kvmatrix(['run', file, '--out', join(dir, 'out')], { env: { CI: 'true' } });
    t.equal(run.code, 3, `no cell could boot\n${run.stderr}`);
    const kernel = readResults(join(dir, 'out', 'latest')).kernels[0]!;
    t.equal(kernel.stage, 'config');
    t.match(kernel.source, /^tarball:sha256:[0-9a-f]{64}$/, 'a kernel that failed still names its source');
    t.equal(
      kernel.message,
      '1 option(s) asked for by the config fragments and the kunitconfig are not in the final .config of kernel k: CONFIG_USB_STORAGE',
    );
    t.equal(kernel.hint, 'add the missing dependencies to the fragment or kunitconfig, or drop the option');
    t.same(
      kernel.logTail,
      [`${file}:14: CONFIG_USB_STORAGE=y was asked for but the final .config is not set (a dependency is missing)`],
      'named at its line of the matrix',
    );
  },
);
