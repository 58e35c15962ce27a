/**
 * The kunit section of the bench: kvmatrix against kunit.py, the kernel's
 * own KUnit runner, run as it is from the unpacked Debian 6.1 source, each
 * round the two interleaved. The same .config on both sides where one
 * kernel is built: matrices/kunit-parity.yaml (kernels/kunit-py-6.1.yaml,
 * alldefconfig and kunit.py's arm64 lines) with matrices/kunit/lib.kunitconfig,
 * which is what kunit.py makes of that kunitconfig (with --kconfig_add
 * CONFIG_BLK_DEV_INITRD=y, which kvmatrix's agent needs).
 *
 *   (a) cold: kvmatrix from the tarball, empty cache and ccache, against
 *       kunit.py in a freshly unpacked tree with an empty build folder (the
 *       unpacking not counted); target at most 1.0x;
 *   (b) again with nothing changed; target at most 0.1x. Beside it, the
 *       cell's own QEMU argv spawned bare, the boot alone: what kvmatrix
 *       adds to it is Node's start-up, the run's work and the reports; and,
 *       where NODE_EXTRA_CA_CERTS is set, `node -e ''` with and without
 *       it (Node 20 reads those certificates at every start);
 *   (c) after a one-line change in lib/list-test.c of a git tree: kvmatrix
 *       with `uncommitted: include`, kunit.py in the same tree; target at
 *       most 1.0x;
 *   (d) every QEMU cell of matrices/kunit.yaml (both kernels built; its
 *       patch changes one .c file, so the second build takes the first's
 *       other compiles from ccache) from empty caches, against the cold
 *       kunit.py of (a); target at most 1.5x.
 *
 * kvmatrix boots the parity kernel on the CPU kunit.py boots it on
 * (matrices/kunit-parity.yaml's tcg_cpu: cortex-a57).
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { projectRoot } from '../harness/host/install-paths.js';
import type { CacheLayout } from '../harness/kernel/cache.js';
import { extractedSource, fileFingerprint } from '../harness/kernel/source.js';
import { cliPath } from '../test/support/cli.js';
import { runKunitPy } from '../test/support/kunit-py.js';

const TARBALL = '/usr/src/linux-source-6.1.tar.xz';
const KUNITCONFIG = join(projectRoot, 'matrices', 'kunit', 'lib.kunitconfig');
const KCONFIG_ADD = ['CONFIG_BLK_DEV_INITRD=y'];

type TimeSpawn = (argv: string[], cwd: string, out: string, env?: NodeJS.ProcessEnv) => Promise<number>;
type Report = (name: string, a: number[], b: number[] | null, target: string) => void;

export async function benchKunit(layout: CacheLayout, work: string, rounds: number, timeSpawn: TimeSpawn, report: Report): Promise<void> {
  const jobs = availableParallelism();
  const source = await extractedSource(layout, TARBALL, await fileFingerprint(layout, TARBALL));
  const kunitPy = async (src: string, build: string, log: string) => {
    const run = await runKunitPy({
      src,
      buildDir: build,
      kunitconfig: KUNITCONFIG,
      json: `${log}.json`,
      kconfigAdd: KCONFIG_ADD,
      jobs,
      log,
    });
    if (run.code !== 0) throw new Error(`kunit.py failed (${run.code}); see ${log}`);
    return run.ms;
  };
  const kvmatrix = (args: string[], out: string, env?: NodeJS.ProcessEnv) =>
    timeSpawn([process.execPath, cliPath, ...args], work, out, env);
  const parity = join(projectRoot, 'matrices', 'kunit-parity.yaml');

  // (a) and (d): cold, each side from nothing every round, the three interleaved
  const coldKv: number[] = [];
  const coldPy: number[] = [];
  const coldMatrix: number[] = [];
  const sameConfig: boolean[] = [];
  const cold = (name: string) => ({
    cache: join(work, `${name}-cache`),
    env: { ...process.env, CCACHE_DIR: join(work, `${name}-ccache`) },
  });
  let a = cold('kunit-a-1');
  let pyTree = '';
  for (let i = 1; i <= rounds; i++) {
    if (i > 1)
      forget([
        a.cache,
        a.env.CCACHE_DIR,
        pyTree,
        join(work, 'kunit-a'),
        join(work, `kunit-d-${i - 1}-cache`),
        join(work, `kunit-d-${i - 1}-ccache`),
      ]);
    a = cold(`kunit-a-${i}`);
    coldKv.push(await kvmatrix(['run', parity, '--cache', a.cache, '--out', join(work, 'kunit-a')], join(work, 'kunit-a.out'), a.env));
    pyTree = join(work, `kunit-py-cold-${i}`);
    mkdirSync(pyTree);
    execFileSync('cp', ['-al', source, join(pyTree, 'src')]);
    coldPy.push(await kunitPy(join(pyTree, 'src'), join(pyTree, 'build'), join(work, 'kunit-py-cold.log')));
    sameConfig.push(readFileSync(join(pyTree, 'build', '.config')).equals(readFileSync(latestKernelConfig(join(work, 'kunit-a')))));
    const d = cold(`kunit-d-${i}`);
    coldMatrix.push(
      await kvmatrix(
        ['run', join(projectRoot, 'matrices', 'kunit.yaml'), '--filter', 'type=qemu', '--cache', d.cache, '--out', join(work, 'kunit-d')],
        join(work, 'kunit-d.out'),
        d.env,
      ),
    );
  }
  const same = sameConfig.every(Boolean);
  report(
    'kunit-a',
    coldKv,
    coldPy,
    `(a) cold: kvmatrix from the tarball (${parity}, one cell) vs kunit.py run in an unpacked tree, empty caches; the same .config: ${same ? 'yes' : 'NO'}; target <= 1.0`,
  );
  report(
    'kunit-d',
    coldMatrix,
    coldPy,
    '(d) matrices/kunit.yaml, its 8 QEMU cells and both kernels, from empty caches vs the cold kunit.py of (a); target <= 1.5',
  );

  // (b): nothing changed, both warm; and the cell's own QEMU argv, spawned bare, for what kvmatrix adds to the boot
  const againKv: number[] = [];
  const againPy: number[] = [];
  const againBoot: number[] = [];
  // Node 20 reads the certificates NODE_EXTRA_CA_CERTS names at every start, before any of kvmatrix runs
  const extraCerts = process.env.NODE_EXTRA_CA_CERTS;
  const { NODE_EXTRA_CA_CERTS: _, ...withoutCerts } = process.env;
  const nodeAsIs: number[] = [];
  const nodeWithoutCerts: number[] = [];
  for (let i = 0; i < rounds; i++) {
    againKv.push(await kvmatrix(['run', parity, '--cache', a.cache, '--out', join(work, 'kunit-b')], join(work, 'kunit-b.out'), a.env));
    againPy.push(await kunitPy(join(pyTree, 'src'), join(pyTree, 'build'), join(work, 'kunit-py-again.log')));
    const boot = latestCellBoot(join(work, 'kunit-b'));
    againBoot.push(await timeSpawn(boot.argv, boot.cwd, join(work, 'kunit-b-boot.log')));
    if (extraCerts) {
      nodeAsIs.push(await timeSpawn([process.execPath, '-e', ''], work, join(work, 'node.out')));
      nodeWithoutCerts.push(await timeSpawn([process.execPath, '-e', ''], work, join(work, 'node.out'), withoutCerts));
    }
  }
  report('kunit-b', againKv, againPy, '(b) the same again, nothing changed; target <= 0.1');
  report(
    'kunit-b-boot',
    againKv,
    againBoot,
    "(b)'s kvmatrix run vs its cell's QEMU argv spawned bare (the boot alone, the agent's records included); no target",
  );
  if (extraCerts)
    report(
      'kunit-b-node',
      nodeAsIs,
      nodeWithoutCerts,
      `\`node -e ''\` with NODE_EXTRA_CA_CERTS=${extraCerts}, as kvmatrix ran above, vs without it; no target`,
    );

  // (c): a one-line change in a KUnit test file of a git tree
  const tree = join(work, 'linux');
  mkdirSync(tree);
  execFileSync('tar', ['-xf', TARBALL, '-C', tree, '--strip-components=1', '--no-same-owner']);
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: tree,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'b',
        GIT_AUTHOR_EMAIL: 'b@kvmatrix.invalid',
        GIT_COMMITTER_NAME: 'b',
        GIT_COMMITTER_EMAIL: 'b@kvmatrix.invalid',
      },
    });
  git('init', '--quiet');
  git('config', 'core.looseCompression', '0');
  git('config', 'gc.auto', '0');
  git('add', '--all', '--force', '.');
  git('commit', '--quiet', '-m', 'Linux 6.1 as Debian ships it');
  const matrix = join(work, 'kunit-c.yaml');
  writeFileSync(
    join(work, 'kunit-py-git.yaml'),
    [
      `source: { git: ${tree}, uncommitted: include }`,
      'config:',
      '  base: alldefconfig',
      `  fragments: [${join(projectRoot, 'kernels', 'fragments', 'kunit-py-arm64.config')}]`,
      '',
    ].join('\n'),
  );
  writeFileSync(
    matrix,
    [
      'name: kunit-c',
      `kernels:\n  tree:\n    definition: ${join(work, 'kunit-py-git.yaml')}`,
      'vmms:\n  qemu: { type: qemu, topology: flat }',
      'transports: [modern]',
      `tests:\n  - kunit: { kunitconfig: ${KUNITCONFIG} }`,
      '',
    ].join('\n'),
  );
  const pyBuild = join(work, 'kunit-py-git-build');
  const change = () => appendFileSync(join(tree, 'lib', 'list-test.c'), '/* one more line */\n');
  // both warm before the timing starts (untimed)
  await kvmatrix(['run', matrix, '--out', join(work, 'kunit-c')], join(work, 'kunit-c.out'));
  await kunitPy(tree, pyBuild, join(work, 'kunit-py-git.log'));
  const editKv: number[] = [];
  const editPy: number[] = [];
  for (let i = 0; i < rounds; i++) {
    change();
    editKv.push(await kvmatrix(['run', matrix, '--out', join(work, 'kunit-c')], join(work, 'kunit-c.out')));
    change();
    editPy.push(await kunitPy(tree, pyBuild, join(work, 'kunit-py-git.log')));
  }
  report(
    'kunit-c',
    editKv,
    editPy,
    '(c) after a one-line change in lib/list-test.c of a git tree (kvmatrix with uncommitted: include); target <= 1.0',
  );
}

/**
 * A finished round's folders, gone before the next round is timed: gigabytes
 * of trees each, and the writeback of their removal settles first (an
 * unpack of the same tarball took 8 s on a quiet disk, 18 s right after
 * another's removal).
 */
function forget(paths: string[]): void {
  for (const path of paths) if (path) rmSync(path, { recursive: true, force: true });
  execFileSync('sync');
}

/** The QEMU argv of the one cell of a run folder's latest run, and the folder it runs in (its paths are relative to it). */
function latestCellBoot(outRoot: string): { argv: string[]; cwd: string } {
  const results = JSON.parse(readFileSync(join(outRoot, 'latest', 'results.json'), 'utf8')) as {
    cells: { command: string[] | null; reproduce: string | null }[];
  };
  const cell = results.cells[0];
  if (!cell?.command || !cell.reproduce) throw new Error(`no booted cell in ${outRoot}/latest`);
  return { argv: cell.command, cwd: dirname(join(outRoot, 'latest', cell.reproduce)) };
}

/** The final .config of the kernel a run folder's latest run built. */
function latestKernelConfig(outRoot: string): string {
  const results = JSON.parse(readFileSync(join(outRoot, 'latest', 'results.json'), 'utf8')) as { kernels: { config?: string | null }[] };
  const config = results.kernels[0]?.config;
  if (!config) throw new Error(`no kernel .config in ${outRoot}/latest`);
  return config;
}
