import { appendFileSync, copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { removeInBackground } from '../host/background-removal.js';
import { runCommand, type CommandResult } from '../host/command.js';
import type { DownloadKernelSource, KernelSpec, PatchSpec } from '../matrix/types.js';
import { DownloadError, obtainDownload } from './download.js';
import { publishDir, stagingDir, type CacheLayout } from './cache.js';
import { bugReportingProblem, describeDropped, findDroppedOptions } from './config-check.js';
import { configOfEarlierCommit, markConfigured, patchMayChangeConfig, type ConfiguredMark } from './config-reuse.js';
import { buildKey, configInputsKey, configRecipeKey, reusedTreeKey, sha256, shortKey, type PatchIdentity } from './keys.js';
import { isArm64Image } from './image-header.js';
import { withLock } from './lock.js';
import { ccacheEnv, makeArgv } from './make.js';
import { applyPatches, PatchError, patchesApplyInPlace } from './patch.js';
import { GitCommandError, GitSourceError, publicRepositoryUrl, resolveGitSource } from './git-source.js';
import { withReusedTree, type TreeAndBuild } from './reused-tree.js';
import { must, StageError } from './stage-error.js';
import { extractedSource, fileFingerprint, SourceError, type UnpackProgress } from './source.js';
import { unpackProgress } from './unpack-progress.js';
import { toolchainVersion } from './toolchain.js';
import type { BuiltKernel, KernelCommit, KernelOutcome, KernelProgress } from './types.js';
import { companionNames, type KernelCompanion, type KernelTestInputs } from './test-inputs.js';
import { writeFileAtomic } from '../host/atomic-file.js';

export interface KernelContext {
  layout: CacheLayout;
  jobs: number;
  /** Compile through ccache (when it is installed). */
  ccache: boolean;
  /** This kernel's folder in the run's results, for its build log. */
  logDir: string;
  timeoutSec: number;
  signal?: AbortSignal;
  onProgress?: (progress: KernelProgress) => void;
}

const IMAGE_TARGET = 'Image';

/**
 * A bootable Image for a kernel spec, built with what its tests ask
 * (test-inputs.ts): from the cache when one was built from the same
 * source, patches, final .config and toolchain, else built and published
 * there; then the tests' companions, built from the same tree. Never
 * throws for a kernel's own trouble: a source that is missing, a patch
 * that does not apply, an option the config dropped, a failed build or
 * companion come back as a failure at that stage.
 */
export async function obtainKernel(spec: KernelSpec, ctx: KernelContext, tests: KernelTestInputs): Promise<KernelOutcome> {
  const started = performance.now();
  const logPath = join(ctx.logDir, 'build.log');
  const companionLog = (stage: string) => join(ctx.logDir, companionNames(stage).logFile);
  // known once the source is resolved, so that a commit that does not build is still named
  let commit: KernelCommit | undefined;
  let source: string | undefined;
  try {
    if (spec.source.kind === 'image') return { ok: true, ...prebuiltImage({ ...spec, source: spec.source }, started) };
    if (spec.source.kind === 'download') return { ok: true, ...(await downloadedKernel({ ...spec, source: spec.source }, ctx, started)) };
    const plan = await planBuild(spec, ctx, tests);
    commit = plan.source.commit;
    source = plan.source.id;
    const built = plan.hit
      ? { ...plan.hit, durationMs: elapsed(started) }
      : await withLock(ctx.layout, `kernel-${shortKey(plan.inputsKey)}`, () => buildLocked(spec, ctx, plan, logPath, started));
    if (tests.companions.length === 0) return { ok: true, ...built };
    const companions: KernelCompanion[] = [];
    for (const work of tests.companions) {
      const progress = (line?: string) =>
        ctx.onProgress?.({ kernelId: spec.id, stage: work.stage, ...(line !== undefined ? { line } : {}) });
      companions.push(
        await work.obtain(
          { spec, id: plan.source.id, patches: plan.patches, toolchain: plan.toolchain, inTree: plan.source.inTree },
          {
            layout: ctx.layout,
            jobs: ctx.jobs,
            logPath: companionLog(work.stage),
            timeoutSec: ctx.timeoutSec,
            ...(ctx.signal ? { signal: ctx.signal } : {}),
            onBuild: () => progress(),
            onLine: (line) => progress(line),
          },
        ),
      );
    }
    return { ok: true, ...built, companions, durationMs: elapsed(started) };
  } catch (error) {
    if (!(error instanceof StageError || error instanceof PatchError)) throw error;
    const stage = error instanceof StageError ? error.stage : 'patch';
    const ownLog = tests.companions.some((work) => work.stage === stage) ? companionLog(stage) : null;
    return {
      ok: false,
      kernelId: spec.id,
      ...(source ? { source } : {}),
      ...(commit ? { commit } : {}),
      stage,
      message: error.message,
      ...(error instanceof StageError && error.hint ? { hint: error.hint } : {}),
      ...(ownLog && existsSync(ownLog) ? { logPath: ownLog } : existsSync(logPath) ? { logPath } : {}),
      logTail: error instanceof StageError ? error.logTail : [],
      ended: ctx.signal?.aborted ? 'interrupted' : error instanceof StageError ? error.ended : 'failed',
      durationMs: elapsed(started),
    };
  }
}

/** Where a build's source tree comes from, and what names its content in the cache key. */
interface SourcePlan {
  id: string;
  /** The commit a git source resolved to. */
  commit?: KernelCommit;
  /** Runs `work` in a source tree of this content and a build folder, both its own while it runs. */
  inTree<T>(logPath: string, work: (paths: TreeAndBuild) => Promise<T>): Promise<T>;
  /** A tarball's check that patches apply, in the extracted source itself (see patchesApplyInPlace). */
  patchesApplyInPlace?(patches: readonly PatchSpec[], logPath: string): Promise<boolean | null>;
  /**
   * A git source's memory of the commit last configured in its reused
   * tree: a bisect step whose commit changes nothing Kconfig reads takes
   * that commit's final .config instead of configuring again (about 10 s
   * of make on 2 cores).
   */
  configs?: {
    earlier(recipe: string): Promise<ConfiguredMark | null>;
    mark(recipe: string, config: string): void;
  };
}

interface BuildPlan {
  source: SourcePlan;
  patches: PatchIdentity[];
  toolchain: string;
  /** Every config input but the source (see configRecipeKey). */
  recipe: string;
  /** Every input the build starts from: names the kernel being built while its final .config is not known yet. */
  inputsKey: string;
  /** Where this kernel's final .config is cached, under a key without the patches that cannot change it. */
  configPath: string;
  /** Basenames of the patches that key leaves out. */
  patchesOutOfConfig: string[];
  /** The commit whose final .config this one took, when the config stage was not run for it. */
  configOf?: string;
  fragments: { file: string; text: string }[];
  tests: KernelTestInputs;
  hit: Omit<BuiltKernel, 'durationMs'> | null;
}

/**
 * Whether a tarball kernel's patches apply, found before anything is
 * built: one patch checked in the extracted source itself, several (or
 * one that fails, to say why) applied on a hard-linked copy of it in
 * staging, which is then removed. A kernel already in the cache needs no check (its
 * patches applied when it was built), nor does a git source (checked when
 * its tree is prepared) or a built kernel (it takes no patches).
 */
export async function patchesThatDoNotApply(spec: KernelSpec, ctx: KernelContext, tests: KernelTestInputs): Promise<PatchError | null> {
  if (spec.patches.length === 0 || spec.source.kind !== 'tarball') return null;
  const log = join(ctx.layout.staging, `patch-check-${process.pid}-${spec.id}.log`);
  try {
    const plan = await planBuild(spec, ctx, tests);
    if (plan.hit) return null;
    // one patch is checked in the extracted source itself: no copy of the tree to make and remove (3-4 s here)
    if (await plan.source.patchesApplyInPlace?.(spec.patches, log)) return null;
    await plan.source.inTree(log, ({ tree }) => applyPatches(tree, spec.patches, spec.id, log, ctx.signal));
    return null;
  } catch (error) {
    if (error instanceof PatchError) return error;
    // a missing tarball or compiler is the kernel's error, reported when it is built
    if (error instanceof StageError) return null;
    throw error;
  } finally {
    rmSync(log, { force: true });
  }
}

/** Everything that decides the cache key, and the cached kernel if there is one. */
async function planBuild(spec: KernelSpec, ctx: KernelContext, tests: KernelTestInputs): Promise<BuildPlan> {
  const source = await planSource(spec, ctx, tests);
  const toolchain = await toolchainVersion(spec.crossCompile, ctx.layout);
  if (!toolchain) {
    throw new StageError('toolchain', `cross compiler ${spec.crossCompile}gcc not found`, 'apt-get install gcc-aarch64-linux-gnu');
  }
  const patchTexts = spec.patches.map((p) => readFileSync(p.path));
  const patches = spec.patches.map((p, i) => ({ sha256: sha256(patchTexts[i]!), direction: p.direction }));
  const changesConfig = patchTexts.map((text) => patchMayChangeConfig(text.toString('utf8')));
  const fragments = configFragments(spec, tests);
  const recipeInputs = {
    arch: spec.arch,
    crossCompile: spec.crossCompile,
    base: spec.config.base,
    fragments: fragments.map((f) => sha256(f.text)),
    // fragments the source holds: the source's identity and these inputs name them
    ...tests.keyInputs,
    toolchain,
  };
  // a patch that touches no file the config stage reads is left out: with or without it, one config stage
  const configPatches = patches.filter((_, i) => changesConfig[i]);
  const recipe = configRecipeKey({ patches: configPatches, ...recipeInputs });
  const configPath = join(
    ctx.layout.configs,
    `${shortKey(configInputsKey({ source: source.id, patches: configPatches, ...recipeInputs }))}.config`,
  );
  const plan: BuildPlan = {
    source,
    patches,
    toolchain,
    recipe,
    inputsKey: configInputsKey({ source: source.id, patches, ...recipeInputs }),
    configPath,
    patchesOutOfConfig: spec.patches.filter((_, i) => !changesConfig[i]).map((p) => basename(p.path)),
    fragments,
    tests,
    hit: null,
  };
  if (!existsSync(configPath) && source.configs) {
    const earlier = await source.configs.earlier(recipe);
    if (earlier !== null) {
      writeFileAtomic(configPath, readFileSync(earlier.config));
      source.configs.mark(recipe, configPath);
      plan.configOf = earlier.treeish;
    }
  }
  if (existsSync(configPath)) plan.hit = cachedKernel(spec, ctx.layout, plan, readFileSync(configPath, 'utf8'));
  return plan;
}

async function planSource(spec: KernelSpec, ctx: KernelContext, tests: KernelTestInputs): Promise<SourcePlan> {
  const source = spec.source;
  if (source.kind === 'git') {
    const resolved = await resolveGitSource(ctx.layout, source, ctx.signal).catch((error: unknown) => {
      if (error instanceof GitSourceError) throw new StageError('source', error.message, error.hint);
      throw error;
    });
    const treeKey = reusedTreeKey({
      gitDir: realpathSync(resolved.gitDir),
      arch: spec.arch,
      crossCompile: spec.crossCompile,
      base: spec.config.base,
      fragments: configFragments(spec, tests).map((f) => sha256(f.text)),
    });
    const markFile = join(ctx.layout.trees, shortKey(treeKey), 'configured.json');
    const treeish = resolved.uncommittedTree ?? resolved.commit;
    const repository = publicRepositoryUrl(source);
    return {
      id: resolved.id,
      commit: {
        id: resolved.commit,
        subject: resolved.subject,
        uncommitted: resolved.uncommittedTree !== null,
        ...(repository ? { repository } : {}),
      },
      inTree: (_logPath, work) =>
        withReusedTree(ctx.layout, shortKey(treeKey), resolved, work, {
          // a kernel that fails on its own leaves the tree fit for the next commit
          consistentAfter: (error) => error instanceof PatchError || (error instanceof StageError && error.ended === 'failed'),
          writesTree: spec.patches.length > 0,
          ...(ctx.signal ? { signal: ctx.signal } : {}),
        }).catch((error: unknown) => {
          if (error instanceof GitCommandError) {
            throw new StageError('source', `cannot check out ${resolved.commit} of ${source.tree}: ${error.message}`);
          }
          throw error;
        }),
      configs: {
        earlier: (recipe) => configOfEarlierCommit(markFile, resolved.gitDir, treeish, recipe, ctx.signal),
        mark: (recipe, config) => markConfigured(markFile, { treeish, recipe, config }),
      },
    };
  }
  if (source.kind !== 'tarball') throw new Error('planSource takes tarball and git sources');
  const tarball = source.path;
  if (!existsSync(tarball)) {
    throw new StageError(
      'source',
      `kernel source ${tarball} not found`,
      source.package ? `apt-get install ${source.package}` : 'check the source path in the kernel definition',
    );
  }
  const fingerprint = await fileFingerprint(ctx.layout, tarball);
  const extracted = () =>
    extractedSource(ctx.layout, tarball, fingerprint, {
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      ...(ctx.onProgress ? { onProgress: (unpacked: UnpackProgress) => ctx.onProgress?.(unpackProgress(spec.id, tarball, unpacked)) } : {}),
    }).catch((error: unknown) => {
      // a tarball that cannot be unpacked is this kernel's source trouble, not the harness's
      if (error instanceof SourceError) throw new StageError('source', error.message, error.hint);
      throw error;
    });
  return {
    id: `tarball:sha256:${fingerprint}`,
    patchesApplyInPlace: async (patches, logPath) => patchesApplyInPlace(await extracted(), patches, logPath, ctx.signal),
    inTree: async (logPath, work) => {
      const source = await extracted();
      const scratch = stagingDir(ctx.layout, `build-${spec.id}`);
      try {
        // a copy even without patches: the same paths in every build let ccache share what a patch
        // leaves alone between the kernels with and without it (625 of 1,186 compiles of the second cold build)
        const paths = { tree: join(scratch, 'src'), buildDir: join(scratch, 'build') };
        await must('source', await runCommand(['cp', '-al', source, paths.tree], { logPath }), 'cannot link the source tree');
        mkdirSync(paths.buildDir);
        return await work(paths);
      } finally {
        // the next kernel or the first boots need not wait for it
        removeInBackground(scratch);
      }
    },
  };
}

function kernelKey(spec: KernelSpec, plan: BuildPlan, finalConfig: string): string {
  return buildKey({
    source: plan.source.id,
    patches: plan.patches,
    arch: spec.arch,
    crossCompile: spec.crossCompile,
    config: sha256(finalConfig),
    toolchain: plan.toolchain,
    target: IMAGE_TARGET,
  });
}

function cachedKernel(spec: KernelSpec, layout: CacheLayout, plan: BuildPlan, finalConfig: string): Omit<BuiltKernel, 'durationMs'> | null {
  const key = kernelKey(spec, plan, finalConfig);
  const entry = join(layout.kernels, shortKey(key));
  if (!existsSync(join(entry, 'meta.json'))) return null;
  return entryKernel(spec.id, key, entry, plan, true, finalConfig);
}

/** A published cache entry as a kernel; meta.json is written last, so its presence means complete. */
function entryKernel(
  kernelId: string,
  key: string,
  entry: string,
  plan: Pick<BuildPlan, 'source' | 'toolchain'>,
  cached: boolean,
  finalConfig: string,
): Omit<BuiltKernel, 'durationMs'> {
  const blind = bugReportingProblem(finalConfig);
  return {
    kernelId,
    key,
    source: plan.source.id,
    ...(plan.source.commit ? { commit: plan.source.commit } : {}),
    image: join(entry, IMAGE_TARGET),
    config: join(entry, 'config'),
    buildLog: join(entry, 'build.log'),
    cached,
    toolchain: plan.toolchain,
    ...(blind ? { warnings: [blind] } : {}),
  };
}

async function buildLocked(spec: KernelSpec, ctx: KernelContext, plan: BuildPlan, logPath: string, started: number): Promise<BuiltKernel> {
  // another run may have built it while this one waited for the lock
  const known = existsSync(plan.configPath) ? readFileSync(plan.configPath, 'utf8') : null;
  const raced = known === null ? null : cachedKernel(spec, ctx.layout, plan, known);
  if (raced) return { ...raced, durationMs: elapsed(started) };

  mkdirSync(ctx.logDir, { recursive: true });
  writeFileSync(logPath, '');
  const progress = (stage: KernelProgress['stage'], line?: string) =>
    ctx.onProgress?.({ kernelId: spec.id, stage, ...(line !== undefined ? { line } : {}) });
  progress('source');
  return plan.source.inTree(logPath, async ({ tree, buildDir }) => {
    progress('patch');
    await applyPatches(tree, spec.patches, spec.id, logPath, ctx.signal);
    const make = (targets: string[], onLine?: (line: string) => void) =>
      runCommand(makeArgv(spec, { buildDir, jobs: ctx.jobs, ccache: ctx.ccache }, targets), {
        cwd: tree,
        env: ccacheEnv(dirname(tree)),
        logPath,
        timeoutSec: ctx.timeoutSec,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        ...(onLine ? { onLine } : {}),
      });

    progress('config');
    const dotConfig = join(buildDir, '.config');
    if (plan.patchesOutOfConfig.length > 0) {
      const [touch, them] = plan.patchesOutOfConfig.length === 1 ? ['touches', 'it'] : ['touch', 'them'];
      appendFileSync(
        logPath,
        `kvmatrix: ${plan.patchesOutOfConfig.join(', ')} ${touch} no file the config stage reads: one final .config with and without ${them}\n`,
      );
    }
    if (known === null) await configure(spec, plan, tree, buildDir, logPath, make);
    else {
      if (!plan.configOf) appendFileSync(logPath, `kvmatrix: the final .config from the cache, ${plan.configPath}\n`);
      // rewritten unchanged, a reused build folder's .config would make kbuild run syncconfig again
      if (!existsSync(dotConfig) || readFileSync(dotConfig, 'utf8') !== known) writeFileSync(dotConfig, known);
    }
    if (plan.configOf)
      appendFileSync(logPath, `kvmatrix: the final .config of ${plan.configOf}, as no file the config stage reads differs\n`);
    const finalConfig = readFileSync(join(buildDir, '.config'), 'utf8');
    const blind = bugReportingProblem(finalConfig);
    if (blind) appendFileSync(logPath, `kvmatrix: warning: ${blind}\n`);
    const key = kernelKey(spec, plan, finalConfig);
    const entry = join(ctx.layout.kernels, shortKey(key));
    // configured again (its configs/ entry gone, or cached under an older config key), the kernel itself may be built
    if (existsSync(join(entry, 'meta.json'))) {
      appendFileSync(logPath, `kvmatrix: ${join(entry, IMAGE_TARGET)} is this kernel, built before: nothing to make\n`);
      progress('cached');
      return { ...entryKernel(spec.id, key, entry, plan, true, finalConfig), durationMs: elapsed(started) };
    }

    progress('build');
    // with -j the compiler's error is rarely among the last lines make prints
    const errors: string[] = [];
    const built = await make([IMAGE_TARGET], (line) => {
      if (errors.length < 10 && /: (fatal )?error: /.test(line)) errors.push(line);
      progress('build', line);
    });
    await must('build', built, 'the kernel build failed', errors);
    const staged = stagingDir(ctx.layout, 'kernel');
    copyFileSync(join(buildDir, 'arch', spec.arch, 'boot', IMAGE_TARGET), join(staged, IMAGE_TARGET));
    writeFileSync(join(staged, 'config'), finalConfig);
    copyFileSync(logPath, join(staged, 'build.log'));
    const meta = {
      key,
      kernel: spec.id,
      source: plan.source.id,
      ...(plan.source.commit ? { commit: plan.source.commit } : {}),
      patches: plan.patches,
      toolchain: plan.toolchain,
      builtAt: new Date().toISOString(),
    };
    writeFileSync(join(staged, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
    publishDir(staged, entry);
    progress('done');
    return { ...entryKernel(spec.id, key, entry, plan, false, finalConfig), durationMs: elapsed(started) };
  });
}

/** base config, fragments merged on top, olddefconfig; then every asked option checked. */
async function configure(
  spec: KernelSpec,
  plan: BuildPlan,
  tree: string,
  buildDir: string,
  logPath: string,
  make: (targets: string[]) => Promise<CommandResult>,
): Promise<void> {
  await must('config', await make([spec.config.base]), `make ${spec.config.base} failed`);
  const { tests } = plan;
  const fromTree = tests.treeFragments.map((asked) => ({ askedBy: asked.askedBy, fragments: asked.read(tree) }));
  const treeConfigs = fromTree.flatMap((asked) => asked.fragments);
  if (plan.fragments.length > 0 || treeConfigs.length > 0) {
    // the tests' lines go after the definition's, wherever they were written, as files in the build folder
    const files = [...spec.config.fragments];
    for (const fragment of tests.fragments) {
      files.push(join(buildDir, fragment.buildFile));
      writeFileSync(files.at(-1)!, fragment.text);
    }
    files.push(...treeConfigs.map((c) => join(tree, c.file)));
    const merge = [join(tree, 'scripts/kconfig/merge_config.sh'), '-m', '-O', buildDir, join(buildDir, '.config')];
    await must('config', await runCommand([...merge, ...files], { cwd: tree, logPath }), 'merging the config fragments failed');
  }
  await must('config', await make(['olddefconfig']), 'make olddefconfig failed');
  const finalConfig = readFileSync(join(buildDir, '.config'), 'utf8');
  const checked = [...plan.fragments.slice(0, spec.config.fragments.length), ...tests.fragments.flatMap((f) => f.check), ...treeConfigs];
  const dropped = findDroppedOptions(checked, finalConfig);
  if (dropped.length > 0) {
    const asked = [
      'the config fragments',
      ...tests.fragments.map((f) => f.askedBy),
      ...fromTree.filter((asked) => asked.fragments.length > 0).map((asked) => asked.askedBy),
    ].join(' and ');
    throw new StageError(
      'config',
      `${dropped.length} option(s) asked for by ${asked} are not in the final .config of kernel ${spec.id}: ${dropped.map((d) => d.option).join(', ')}`,
      `add the missing dependencies to the ${['fragment', ...tests.fragments.map((f) => f.fixIn)].join(' or ')}, or drop the option`,
      dropped.map(describeDropped),
    );
  }
  writeFileAtomic(plan.configPath, finalConfig);
  plan.source.configs?.mark(plan.recipe, plan.configPath);
}

function prebuiltImage(spec: KernelSpec & { source: { kind: 'image' } }, started: number): BuiltKernel {
  const path = spec.source.path;
  let head: Buffer;
  try {
    head = readFileSync(path).subarray(0, 64);
  } catch {
    throw new StageError('source', `kernel image ${path} not found`);
  }
  if (!isArm64Image(head)) {
    throw new StageError('source', `${path} is not an arm64 Image (no ARM\\x64 magic at offset 56)`);
  }
  const key = `image:sha256:${sha256(readFileSync(path))}`;
  return {
    kernelId: spec.id,
    key,
    source: key,
    image: path,
    config: null,
    buildLog: null,
    cached: true,
    durationMs: elapsed(started),
  };
}

async function downloadedKernel(
  spec: KernelSpec & { source: DownloadKernelSource },
  ctx: KernelContext,
  started: number,
): Promise<BuiltKernel> {
  ctx.onProgress?.({ kernelId: spec.id, stage: 'source' });
  let got;
  try {
    got = await obtainDownload(spec.source, {
      layout: ctx.layout,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      onProgress: (line) => ctx.onProgress?.({ kernelId: spec.id, stage: 'source', line }),
    });
  } catch (error) {
    if (!(error instanceof DownloadError)) throw error;
    throw new StageError(
      'source',
      error.message,
      `check source.download and source.sha256 in ${spec.definitionFile}`,
      [],
      ctx.signal?.aborted ? 'interrupted' : 'failed',
    );
  }
  ctx.onProgress?.({ kernelId: spec.id, stage: got.cached ? 'cached' : 'done' });
  const blind = got.config ? bugReportingProblem(readFileSync(got.config, 'utf8')) : null;
  return {
    kernelId: spec.id,
    key: got.key,
    source: got.key,
    image: got.image,
    config: got.config,
    buildLog: null,
    cached: got.cached,
    durationMs: elapsed(started),
    ...(blind ? { warnings: [blind] } : {}),
  };
}

/** What is merged onto the base config, in order: the definition's fragments, then the tests' (those the source holds are read from the tree). */
function configFragments(spec: KernelSpec, tests: KernelTestInputs): { file: string; text: string }[] {
  return [
    ...spec.config.fragments.map((file) => ({ file, text: readFileSync(file, 'utf8') })),
    ...tests.fragments.map(({ file, text }) => ({ file, text })),
  ];
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}
