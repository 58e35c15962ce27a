/**
 * The kselftest stage: a kernel's own selftests built from the same source
 * with the same patches, against that kernel's headers (`make headers` in
 * the build folder, which needs no .config), one target at a time so that
 * a target that does not build is named, and installed into a gzip'd cpio
 * layer that a cell's guest unpacks at /kselftest. Cached by source,
 * patches, targets and toolchain: the kernel's config does not change what
 * userspace programs are built from.
 */
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { runCommand } from '../../host/command.js';
import type { CpioEntry } from '../../guest/cpio.js';
import { writeCpio } from '../../guest/cpio.js';
import type { KernelSpec } from '../../matrix/types.js';
import { publishDir, stagingDir } from '../../kernel/cache.js';
import { KEY_VERSION, sha256, shortKey, type PatchIdentity } from '../../kernel/keys.js';
import { withLock } from '../../kernel/lock.js';
import { makeArgv } from '../../kernel/make.js';
import { applyPatches } from '../../kernel/patch.js';
import type { TreeAndBuild } from '../../kernel/reused-tree.js';
import { must, StageError } from '../../kernel/stage-error.js';
import type { CompanionContext, CompanionWork, KernelCompanion, KernelTree } from '../../kernel/test-inputs.js';
import { parseKselftestList, settingsTimeout, type KselftestCase } from './list.js';

/** Where the layer puts the install in the guest. */
export const KSELFTEST_GUEST_DIR = 'kselftest';

/** The stage that builds them, which names them in results (`kselftests`) and the run folder. */
export const KSELFTEST_STAGE = 'kselftest';

/** The install as a gzip'd cpio under /kselftest, and the tests it holds. */
export interface BuiltKselftests extends KernelCompanion {
  tests: KselftestCase[];
}

export interface KselftestInputs {
  source: string;
  patches: PatchIdentity[];
  arch: string;
  crossCompile: string;
  targets: string[];
  toolchain: string;
}

/** Names the kselftests built and installed from a source with its patches. */
export function kselftestKey(inputs: KselftestInputs): string {
  return sha256(JSON.stringify({ v: KEY_VERSION, what: 'kselftests', ...inputs }));
}

/** The build of these targets after a kernel, from its tree. */
export function kselftestBuild(targets: string[]): CompanionWork {
  return { stage: KSELFTEST_STAGE, obtain: (tree, ctx) => obtainKselftests(targets, tree, ctx) };
}

/** The selftests' folder in a kernel source tree, relative to its top. */
export const SELFTESTS = 'tools/testing/selftests';

/** Where a target lives in a kernel source tree. */
export function targetDir(tree: string, target: string): string {
  return join(tree, SELFTESTS, target);
}

/** The targets' kselftests from the cache, else built and published there; a stage failure is a StageError('kselftest'). */
async function obtainKselftests(targets: string[], source: KernelTree, ctx: CompanionContext): Promise<BuiltKselftests> {
  const spec = source.spec;
  const key = kselftestKey({
    source: source.id,
    patches: source.patches,
    arch: spec.arch,
    crossCompile: spec.crossCompile,
    targets,
    toolchain: source.toolchain,
  });
  const entry = join(ctx.layout.kselftests, shortKey(key));
  const cached = () => (existsSync(join(entry, 'meta.json')) ? entryKselftests(key, entry, true) : null);
  return (
    cached() ??
    (await withLock(
      ctx.layout,
      `kselftests-${shortKey(key)}`,
      async () => cached() ?? (await buildKselftests(targets, source, ctx, key, entry)),
    ))
  );
}

function entryKselftests(key: string, entry: string, cached: boolean): BuiltKselftests {
  const tests = JSON.parse(readFileSync(join(entry, 'tests.json'), 'utf8')) as KselftestCase[];
  return { stage: KSELFTEST_STAGE, key, layer: join(entry, 'layer.cpio.gz'), tests, buildLog: join(entry, 'build.log'), cached };
}

async function buildKselftests(
  targets: string[],
  source: KernelTree,
  ctx: CompanionContext,
  key: string,
  entry: string,
): Promise<BuiltKselftests> {
  const spec = source.spec;
  ctx.onBuild?.();
  mkdirSync(dirname(ctx.logPath), { recursive: true });
  writeFileSync(ctx.logPath, '');
  const staged = stagingDir(ctx.layout, 'kselftests');
  const install = join(staged, 'install');
  try {
    const tests = await source.inTree(ctx.logPath, (paths) => buildAndInstall(spec, targets, ctx, paths, install));
    writeFileSync(join(staged, 'layer.cpio.gz'), gzipSync(writeCpio(treeEntries(install, KSELFTEST_GUEST_DIR)), { level: 6 }));
    writeFileSync(join(staged, 'tests.json'), `${JSON.stringify(tests, null, 2)}\n`);
    copyFileSync(ctx.logPath, join(staged, 'build.log'));
    const meta = {
      key,
      kernel: spec.id,
      source: source.id,
      patches: source.patches,
      targets,
      toolchain: source.toolchain,
      builtAt: new Date().toISOString(),
    };
    writeFileSync(join(staged, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
    // the install is in the layer: the entry keeps the layer, its list and its log
    rmSync(install, { recursive: true, force: true });
    publishDir(staged, entry);
  } catch (error) {
    rmSync(staged, { recursive: true, force: true });
    throw error;
  }
  return entryKselftests(key, entry, false);
}

/** In a tree with the kernel's patches applied: its headers, then each target built and installed into `install`. */
async function buildAndInstall(
  spec: KernelSpec,
  targets: string[],
  ctx: CompanionContext,
  { tree, buildDir }: TreeAndBuild,
  install: string,
): Promise<KselftestCase[]> {
  await applyPatches(tree, spec.patches, spec.id, ctx.logPath, ctx.signal);
  for (const target of targets) requireTarget(tree, target, spec.id);
  const run = (argv: string[], errors: string[]) =>
    runCommand(argv, {
      cwd: tree,
      logPath: ctx.logPath,
      timeoutSec: ctx.timeoutSec,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      onLine: (line) => {
        if (errors.length < 10 && /: (fatal )?error: |No such file or directory|command not found/.test(line)) errors.push(line);
        ctx.onLine?.(line);
      },
    });
  // the selftests include the kernel's uapi headers from <build>/usr/include
  await must(
    KSELFTEST_STAGE,
    await run(makeArgv(spec, { buildDir, jobs: ctx.jobs, ccache: false }, ['headers']), []),
    `make headers failed for kernel ${spec.id}`,
  );
  const found: KselftestCase[] = [];
  // one target at a time: kselftest's own Makefile fails an install only when every target failed
  for (const target of targets) {
    const errors: string[] = [];
    const argv = [
      'make',
      '-C',
      SELFTESTS,
      `ARCH=${spec.arch}`,
      `CROSS_COMPILE=${spec.crossCompile}`,
      `O=${buildDir}`,
      `TARGETS=${target}`,
      `KSFT_INSTALL_PATH=${install}`,
      `-j${ctx.jobs}`,
      'install',
    ];
    await must(KSELFTEST_STAGE, await run(argv, errors), `kselftest target ${target} does not build`, errors);
    const list = join(install, 'kselftest-list.txt');
    const listed = existsSync(list) ? parseKselftestList(readFileSync(list, 'utf8')).filter((t) => t.target === target) : [];
    if (listed.length === 0)
      throw new StageError(KSELFTEST_STAGE, `kselftest target ${target} built but listed no tests to run (kselftest-list.txt)`);
    const settings = join(targetDir(tree, target), 'settings');
    const settingsTimeoutSec = existsSync(settings) ? settingsTimeout(readFileSync(settings, 'utf8')) : null;
    found.push(...listed.map((t) => ({ ...t, settingsTimeoutSec })));
  }
  return found;
}

/** A target the source does not have is the matrix's mistake, named before anything is built for it. */
export function requireTarget(tree: string, target: string, kernelId: string): void {
  if (existsSync(join(targetDir(tree, target), 'Makefile'))) return;
  throw new StageError(
    KSELFTEST_STAGE,
    `kselftest target "${target}" does not exist in the source of kernel ${kernelId} (no ${SELFTESTS}/${target}/Makefile)`,
    'check the targets of the kselftest test in the matrix',
  );
}

/** A folder as cpio entries under `prefix`, in name order; symbolic links kept as links. */
export function treeEntries(dir: string, prefix: string): CpioEntry[] {
  const entries: CpioEntry[] = [{ type: 'dir', path: prefix }];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const inGuest = `${prefix}/${name}`;
    const stat = lstatSync(path);
    if (stat.isDirectory()) entries.push(...treeEntries(path, inGuest));
    else if (stat.isSymbolicLink()) entries.push({ type: 'symlink', path: inGuest, target: readlinkSync(path) });
    else if (stat.isFile()) entries.push({ type: 'file', path: inGuest, data: readFileSync(path), mode: stat.mode & 0o777 });
  }
  return entries;
}

/**
 * The `config` files of the targets that have one, as the source has them
 * (a path relative to its top names each in the config check). A target
 * that is not in the source is found here, before the kernel is built for
 * nothing.
 */
export function targetConfigs(tree: string, targets: readonly string[], kernelId: string): { file: string; text: string }[] {
  return targets.flatMap((target) => {
    requireTarget(tree, target, kernelId);
    const file = `${SELFTESTS}/${target}/config`;
    return existsSync(join(tree, file)) ? [{ file, text: readFileSync(join(tree, file), 'utf8') }] : [];
  });
}
