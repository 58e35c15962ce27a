/**
 * kvmatrix against the yardstick, kunit.py (the kernel's own KUnit runner,
 * run from the same unpacked Debian 6.1 source with the same kernel): every
 * case both report has the same status, and neither reports a case the
 * other lacks.
 *
 * The same kernel: kvmatrix builds the unpatched kernel of matrices/kunit.yaml
 * (tinyconfig, its fragment and matrices/kunit/lib.kunitconfig), and kunit.py
 * is given that kernel's final .config as its kunitconfig; it adds its own
 * arm64 console lines, which lib.kunitconfig already has, and so builds the
 * very .config kvmatrix did (checked byte for byte). Its compiles come from
 * ccache, paths made relative as kvmatrix's are: about a minute, not a
 * second cold build.
 *
 * One difference is by design: a WARNING, a BUG, an Oops KUnit did not
 * catch, or a lockdep, KASAN or UBSAN report printed while a case ran
 * fails that case in kvmatrix, where kunit.py keeps the `ok` KUnit printed
 * (test/integration/kernel-trouble.test.ts shows one). Such a case is
 * compared as kunit.py would see it, and named; on this kernel none prints
 * one, so the comparison is plain.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { projectRoot } from '../../harness/host/install-paths.js';
import { cacheLayout, resolveCacheRoot } from '../../harness/kernel/cache.js';
import { extractedSource, fileFingerprint } from '../../harness/kernel/source.js';
import { pathNames } from '../../harness/matrix/test-path.js';
import { leavesOf } from '../../harness/verdict/tree.js';
import { kvmatrix, readResults } from '../support/cli.js';
import { haveLinuxTarball, LINUX_TARBALL } from '../support/kernel-history.js';
import { kunitPyCases, runKunitPy } from '../support/kunit-py.js';
import { tempTree } from '../support/temp-tree.js';

t.setTimeout(60 * 60 * 1000);

const skip = haveLinuxTarball() ? false : `needs ${LINUX_TARBALL} (apt-get install linux-source-6.1; npm test installs it)`;

/** kvmatrix's status words for kunit.py's (kunit_json.py: SUCCESS PASS, SKIPPED SKIP, TEST_CRASHED ERROR, anything else FAIL). */
const KUNIT_PY: Record<string, string> = { pass: 'PASS', skip: 'SKIP', crashed: 'ERROR', fail: 'FAIL', timeout: 'FAIL' };

t.test('kunit.py and kvmatrix agree case by case on the same kernel', { skip }, async (t) => {
  const dir = tempTree({}, 'kvmatrix-kunit-parity-');
  const run = await kvmatrix(
    [
      'run',
      join(projectRoot, 'matrices', 'kunit.yaml'),
      '--cell',
      'unpatched/qemu-flat/modern',
      '--test',
      'kunit',
      '--out',
      join(dir, 'results'),
    ],
    { env: { CI: 'true' } },
  );
  t.equal(run.code, 0, run.stderr.slice(-3000));
  const results = readResults(join(dir, 'results', 'latest'));
  const kernel = results.kernels.find((k) => k.id === 'unpatched')!;
  t.ok(kernel.ok && kernel.config, 'the kernel and its final .config');
  const kvmatrixConfig = join(dir, 'kvmatrix.config');
  copyFileSync(kernel.config!, kvmatrixConfig);

  // kunit.py in a hard-linked copy of the same unpacked source, its build beside it as kvmatrix's builds are laid out
  const layout = cacheLayout(resolveCacheRoot());
  const source = await extractedSource(layout, LINUX_TARBALL, await fileFingerprint(layout, LINUX_TARBALL));
  const work = join(dir, 'kunit-py');
  execFileSync('mkdir', ['-p', work]);
  execFileSync('cp', ['-al', source, join(work, 'src')]);
  const json = join(dir, 'kunit.json');
  const py = await runKunitPy({
    src: join(work, 'src'),
    buildDir: join(work, 'build'),
    kunitconfig: kvmatrixConfig,
    json,
    ccacheBase: work,
    jobs: 2,
    log: join(dir, 'kunit-py.log'),
  });
  t.equal(py.code, 0, `kunit.py passed its run (${(py.ms / 1000).toFixed(0)} s)`);
  if (py.code !== 0) t.comment(readFileSync(join(dir, 'kunit-py.log'), 'utf8').slice(-3000));
  t.ok(readFileSync(join(work, 'build', '.config')).equals(readFileSync(kvmatrixConfig)), 'kunit.py built the same .config, byte for byte');
  t.ok(existsSync(json), 'kunit.py wrote its JSON');

  const theirs = kunitPyCases(json);
  const cell = results.cells[0]!;
  const kunitLeaves = leavesOf((cell.tests ?? []).filter((n) => n.name === 'kunit'));
  // failed by kernel trouble alone, where KUnit printed ok: kunit.py's PASS
  const warnedOnly = (leaf: (typeof kunitLeaves)[number]) =>
    leaf.verdict === 'fail' && leaf.reasons.length > 0 && leaf.reasons.every((r) => r.endsWith('(printed while it ran)'));
  const ours = new Map(
    kunitLeaves.map((leaf) => [
      pathNames(leaf.path).slice(1).join('\t'),
      warnedOnly(leaf) ? 'PASS' : (KUNIT_PY[leaf.verdict] ?? leaf.verdict),
    ]),
  );
  t.comment(
    `cases kvmatrix fails for kernel trouble kunit.py does not see: ${
      kunitLeaves
        .filter(warnedOnly)
        .map((l) => l.path)
        .join(', ') || 'none'
    }`,
  );
  t.ok(ours.size >= 100, `kvmatrix: ${ours.size} cases`);
  t.same(
    [...ours.keys()].filter((k) => !theirs.has(k)),
    [],
    'no case kvmatrix reports that kunit.py lacks',
  );
  t.same(
    [...theirs.keys()].filter((k) => !ours.has(k)),
    [],
    'no case kunit.py reports that kvmatrix lacks',
  );
  const differ = [...ours]
    .filter(([name, status]) => theirs.has(name) && theirs.get(name) !== status)
    .map(([name, status]) => `${name}: kvmatrix ${status}, kunit.py ${theirs.get(name)}`);
  t.same(differ, [], 'every case has the same status');
});
