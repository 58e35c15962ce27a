/**
 * The KCIDB submission, rendered from results.json and validated by
 * KernelCI's own kcidb-io (test/support/kcidb.ts): every kind of cell
 * outcome, the trees of real KUnit consoles, expected failures as issues
 * and incidents, ids stable across renders and new for every run.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { kcidbBaseUrl, kcidbOrigin } from '../../harness/cli/options.js';
import { projectRoot } from '../../harness/host/install-paths.js';
import { appliedPatches } from '../../harness/kernel/applied-patches.js';
import { reversedDiff } from '../../harness/kernel/reversed-diff.js';
import { kcidbSubmission, patchsetHash, renderKcidb, type KcidbSubmission } from '../../harness/report/kcidb.js';
import type { RunResults } from '../../harness/report/types.js';
import { validateKcidb } from '../support/kcidb.js';
import { combineRepeats } from '../../harness/run/repeat.js';
import { summarize } from '../../harness/report/summary.js';
import { cell, kunitRun, mixedRun } from '../support/results.js';
import { tempTree } from '../support/temp-tree.js';

const MURRAY_PATCH = join(projectRoot, 'patches', 'murray-ioport-map.patch');

/** mixedRun with its two kernels as a run records them: one as shipped, one with the Murray fix reverse-applied. */
function murrayRun(): RunResults {
  const run = mixedRun();
  return {
    ...run,
    kernels: [
      {
        id: 'patched',
        ok: true,
        source: 'tarball:sha256:aa',
        key: 'k1',
        cached: false,
        durationMs: 181_000,
        patches: [],
        toolchain: 'aarch64-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0 | GNU ld (GNU Binutils for Debian) 2.40',
      },
      {
        id: 'unpatched',
        ok: true,
        source: 'tarball:sha256:aa',
        key: 'k2',
        cached: true,
        durationMs: 2_000,
        patches: appliedPatches([{ path: MURRAY_PATCH, direction: 'reverse' }]),
      },
    ],
  };
}

function validated(
  t: { match: (a: unknown, b: RegExp, m: string) => void },
  results: RunResults,
  origin = 'kvmatrix',
  baseUrl?: string,
): KcidbSubmission {
  const file = join(tempTree({}), 'kcidb.json');
  writeFileSync(file, renderKcidb(results, { origin, ...(baseUrl ? { baseUrl } : {}) }));
  t.match(validateKcidb(file), /^\d+\.\d+$/, 'kcidb-io validates it against its latest schema');
  return JSON.parse(readFileSync(file, 'utf8')) as KcidbSubmission;
}

t.test('a run of every outcome: checkouts, builds, a test per cell and per device, valid for kcidb-io', async (t) => {
  const results = murrayRun();
  const kcidb = validated(t, results);
  t.same(kcidb.version, { major: 5, minor: 3 });
  t.equal(kcidb.checkouts.length, 2, 'one source, two patch sets');
  t.same(
    kcidb.checkouts.map((c) => c.patchset_hash!.length),
    [0, 64],
    'none applied, and one',
  );
  t.same(
    kcidb.builds.map((b) => [b.config_name, b.status, b.architecture]),
    [
      ['patched', 'PASS', 'arm64'],
      ['unpatched', 'PASS', 'arm64'],
    ],
  );
  t.equal(kcidb.builds[0]!.compiler, 'aarch64-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0', 'the compiler of the toolchain it was built with');
  const cellTests = kcidb.tests.filter((x) => x.path.split('.').length === 4);
  t.same(
    cellTests.map((x) => [x.path, x.status]),
    results.cells.map((c) => [
      `kvmatrix.murray.${c.vmm}.${c.transport}`,
      { pass: 'PASS', fail: 'FAIL', error: 'MISS', timeout: 'ERROR', skip: 'SKIP', flaky: 'FAIL' }[c.verdict],
    ]),
    'a test per cell, its status from the verdict (the cell whose VMM never started: MISS)',
  );
  t.same(
    cellTests.map((x) => x.build_id),
    results.cells.map((c) => `kvmatrix:${results.runId}:build:${c.kernel}`),
    "each on its kernel's build",
  );
  const bridged = cellTests.find((x) => x.misc.cell === 'unpatched/qemu-bridged/legacy')!;
  t.match(bridged.log_excerpt, /rng2 0000:04:00\.0 \(legacy, io BAR0 0x4000\): no driver bound/);
  t.match(bridged.environment.comment, /^qemu \(qemu-bridged\), legacy virtio-pci, bridged topology$/);
  t.equal(
    cellTests[0]!.start_time,
    results.startedAt,
    'a cell without its start time (a run written before it was kept) starts with the run',
  );
  const timed = {
    ...results,
    cells: results.cells.map((c) => ({ ...c, timings: { ...c.timings, startedAt: '2026-11-25T07:00:42.000Z' } })),
  };
  t.ok(
    kcidbSubmission(timed, { origin: 'kvmatrix' }).tests.every((x) => x.start_time === '2026-11-25T07:00:42.000Z'),
    "each cell and its devices at its VMM's start",
  );
  t.match(bridged.misc.devices, [
    { name: 'rng1', driver: 'virtio_rng' },
    { name: 'rng2', driver: 'virtio-pci', bar0: { start: 0x4000 } },
  ]);
  t.notMatch(kcidb.tests.map((x) => x.log_excerpt ?? '').join(''), /\0/, 'no NUL from a hostile console');
});

t.test('expected failures: an issue per reason, an incident on each test expected to fail, present when it did', async (t) => {
  const kcidb = validated(t, murrayRun());
  t.equal(kcidb.issues.length, 2, "the bridged cells' two expectations");
  t.match(
    kcidb.issues.map((i) => i.comment),
    ['ioport_map() masks bit 14', 'expected to fail in matrix murray'],
  );
  t.same(
    kcidb.incidents.map((i) => [kcidb.tests.find((x) => x.id === i.test_id)!.misc.cell, i.present]),
    [
      ['unpatched/qemu-bridged/legacy', true],
      ['unpatched/qemu-bridged/modern', false],
    ],
  );
  const other = kcidbSubmission({ ...murrayRun(), runId: '20261126-070000-ffff' }, { origin: 'kvmatrix' });
  t.same(
    other.issues.map((i) => i.id),
    kcidb.issues.map((i) => i.id),
    "the next run's incidents point at the same issues",
  );
});

t.test('ids: the same on every render of a run, none shared with another run, under the origin given', async (t) => {
  const results = murrayRun();
  t.equal(renderKcidb(results, { origin: 'kvmatrix' }), renderKcidb(structuredClone(results), { origin: 'kvmatrix' }), 'byte for byte');
  const ids = (k: KcidbSubmission) => [...k.checkouts, ...k.builds, ...k.tests, ...k.incidents].map((o) => o.id);
  const first = ids(kcidbSubmission(results, { origin: 'kvmatrix' }));
  t.equal(new Set(first).size, first.length, 'no two objects share an id');
  const second = ids(kcidbSubmission({ ...results, runId: '20261126-070000-ffff' }, { origin: 'kvmatrix' }));
  t.same(
    first.filter((id) => second.includes(id)),
    [],
    'a second run is new objects',
  );
  const nightly = validated(t, results, 'nightly_ci');
  t.ok(
    [...nightly.checkouts, ...nightly.builds, ...nightly.tests, ...nightly.issues].every(
      (o) => o.id.startsWith('nightly_ci:') && o.origin === 'nightly_ci',
    ),
  );
  t.throws(() => kcidbOrigin('Nightly CI'), /"Nightly CI" is not a KCIDB origin: lower-case letters, digits and underscores only/);
  t.equal(kcidbOrigin('ci_2'), 'ci_2');
});

t.test('KUnit trees: a test per suite and case, crashed cases fail, a case expected to fail is an incident', async (t) => {
  const results = kunitRun();
  const kcidb = validated(t, results);
  const del = kcidb.tests.filter((x) => x.path === 'kvmatrix.kunit.qemu-flat.modern.kunit.list-kunit-test.list_test_list_del');
  t.same(
    del.map((x) => [x.misc.cell, x.status]),
    [
      ['patched/qemu-flat/modern', 'PASS'],
      ['known/qemu-flat/modern', 'PASS'],
      ['panics/qemu-flat/modern', 'FAIL'],
    ],
  );
  const below = (results.cells[0]!.tests ?? []).flatMap((kind) =>
    kind.children.flatMap(function all(n): unknown[] {
      return [n, ...n.children.flatMap(all)];
    }),
  );
  t.equal(
    kcidb.tests.filter((x) => x.misc.cell === 'patched/qemu-flat/modern').length,
    1 + below.length,
    'the cell and every suite and case',
  );
  t.notOk(
    kcidb.tests.some((x) => x.path.endsWith('.modern.kunit')),
    "the test kind itself is the cell's test",
  );
  const crashed = kcidb.tests.filter((x) => x.misc.verdict === 'crashed');
  t.ok(crashed.length > 0 && crashed.every((x) => x.status === 'FAIL'), 'a suite or case the kernel stopped in or before fails');
  const crashedCases = crashed.filter((x) => x.path.split('.').length === 7);
  t.ok(
    crashedCases.length > 0 && crashedCases.every((x) => /^never (reported|ran): the kernel stopped/.test(x.log_excerpt ?? '')),
    'each case with why',
  );
  t.same(
    kcidb.issues.map((i) => i.comment),
    ['a known bug'],
  );
  t.same(
    kcidb.incidents.map((i) => [
      kcidb.tests
        .find((x) => x.id === i.test_id)!
        .path.split('.')
        .slice(-1)[0],
      i.present,
    ]),
    [['list_test_list_del', false]],
  );
});

t.test("the patchset hash is KCIDB's own recipe, and a reverse-applied patch is hashed as the diff it applies", async (t) => {
  const dir = tempTree({});
  const text = readFileSync(MURRAY_PATCH, 'utf8');
  writeFileSync(join(dir, '1.patch'), text);
  writeFileSync(join(dir, '2.patch'), reversedDiff(text));
  // the shell command KCIDB's schema gives for it
  const byShell = execFileSync('sh', ['-c', 'sha256sum *.patch | cut -c-64 | sha256sum | cut -c-64'], {
    cwd: dir,
    encoding: 'utf8',
  }).trim();
  const applied = appliedPatches([
    { path: MURRAY_PATCH, direction: 'forward' },
    { path: MURRAY_PATCH, direction: 'reverse' },
  ]);
  t.equal(patchsetHash(applied.map((p) => p.sha256)), byShell);
  t.equal(applied[1]!.sha256, createHash('sha256').update(reversedDiff(text)).digest('hex'));
  t.not(applied[0]!.sha256, applied[1]!.sha256);
  t.equal(patchsetHash([]), '');
});

t.test("a cell booted three times: its test, and one per boot with that boot's status", async (t) => {
  const id = 'patched/qemu-bridged/legacy';
  const flaky = combineRepeats(
    (['pass', 'timeout', 'pass'] as const).map((v, i) =>
      cell({
        id,
        verdict: v,
        status: v === 'pass' ? 'as-expected' : 'unexpected',
        reasons: v === 'pass' ? [] : [`the guest did not finish within 10 s (boot ${i + 1})`],
      }),
    ),
  );
  const results = { ...murrayRun(), cells: [flaky], summary: summarize([flaky]) };
  const kcidb = validated(t, results);
  const cellLevel = kcidb.tests.filter((x) => x.path === 'kvmatrix.murray.qemu-bridged.legacy');
  t.same(
    cellLevel.map((x) => [x.misc.boot ?? 'cell', x.status]),
    [
      ['cell', 'FAIL'],
      [1, 'PASS'],
      [2, 'ERROR'],
      [3, 'PASS'],
    ],
  );
  t.match(cellLevel[2]!.log_excerpt, /did not finish within 10 s \(boot 2\)/);
  t.equal(cellLevel[1]!.log_excerpt, undefined, "a boot that passed carries no other boot's reasons");
});

t.test(
  'published at a base URL: builds link their Image, config and log, checkouts their patches, tests their consoles; a git checkout names its https repository',
  async (t) => {
    const run = murrayRun();
    const results: RunResults = {
      ...run,
      kernels: [
        {
          ...run.kernels[0]!,
          artifacts: { image: 'kernels/patched/Image', config: 'kernels/patched/config', buildLog: 'kernels/patched/build.log' },
        },
        {
          ...run.kernels[1]!,
          source: `git:${'c'.repeat(40)}`,
          commit: { id: 'c'.repeat(40), subject: 's', uncommitted: false, repository: 'https://example.org/linux.git' },
          patches: run.kernels[1]!.patches!.map((p) => ({ ...p, path: `kernels/unpatched/patches/01-${p.file}` })),
          artifacts: { image: 'kernels/unpatched/Image', buildLog: 'kernels/unpatched/build.log' },
        },
      ],
      cells: run.cells.map((c) => (c.console ? { ...c, console: c.console.replace('legacy', 'leg acy#1') } : c)),
    };
    const base = 'https://ci.example.org/runs/20261125-070000-abcd/';
    const kcidb = validated(t, results, 'kvmatrix', base);
    t.same(kcidb.builds[0]!.output_files, [{ name: 'Image', url: `${base}kernels/patched/Image` }]);
    t.same(kcidb.builds[0]!.input_files, [{ name: 'config', url: `${base}kernels/patched/config` }]);
    t.equal(kcidb.builds[0]!.log_url, `${base}kernels/patched/build.log`);
    t.equal(kcidb.builds[1]!.input_files, undefined, 'no config kept: no input file');
    const git = kcidb.checkouts.find((c) => c.git_commit_hash)!;
    t.equal(git.git_repository_url, 'https://example.org/linux.git');
    t.same(git.patchset_files, [
      { name: '01-murray-ioport-map.patch', url: `${base}kernels/unpatched/patches/01-murray-ioport-map.patch` },
    ]);
    const booted = kcidb.tests.find((x) => x.misc.cell === 'unpatched/qemu-bridged/legacy' && x.path.split('.').length === 4)!;
    t.match(booted.log_url, /\/leg%20acy%231\//, "a path's characters escaped in its URL");
    t.ok(new URL(booted.log_url!).href.startsWith(base), 'below the base URL');
    const unlinked = kcidbSubmission(results, { origin: 'kvmatrix' });
    t.notOk(JSON.stringify(unlinked).includes('"url"') || JSON.stringify(unlinked).includes('log_url'), 'no base URL: no links');
  },
);

t.test('--kcidb-base-url takes an http(s) folder URL and ends it in a slash', async (t) => {
  t.equal(kcidbBaseUrl('https://ci.example.org/runs/1'), 'https://ci.example.org/runs/1/');
  t.equal(kcidbBaseUrl('http://127.0.0.1:8080/r/'), 'http://127.0.0.1:8080/r/');
  t.throws(() => kcidbBaseUrl('ci.example.org/runs'), /is not a URL/);
  t.throws(() => kcidbBaseUrl('file:///srv/runs'), /not an http or https URL/);
  t.throws(() => kcidbBaseUrl('https://ci.example.org/r?x=1'), /query or fragment/);
});
