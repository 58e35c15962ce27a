import { mkdirSync, readFileSync, renameSync, symlinkSync, unlinkSync } from 'node:fs';
import { arch } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import pLimit from 'p-limit';
import { AgentBuildError, buildGuestImage, type GuestImage } from '../guest/build-agent.js';
import { rememberedToolVersion } from '../host/facts.js';
import { ensureCacheDirs, type CacheLayout } from '../kernel/cache.js';
import { appliedPatchTexts } from '../kernel/applied-patches.js';
import { obtainKernel } from '../kernel/build.js';
import { configHasKvm } from '../kernel/config-check.js';
import type { BuiltKernel, KernelOutcome, KernelProgress } from '../kernel/types.js';
import type { Cell, Matrix, QemuVmmSpec } from '../matrix/types.js';
import { summarize } from '../report/summary.js';
import {
  RESULTS_SCHEMA,
  type AppliedPatch,
  type CellRecord,
  type KernelArtifacts,
  type KernelRecord,
  type RunResults,
  type RunShard,
} from '../report/types.js';
import { bootWithRetries } from './retry.js';
import { judge, unbootedVerdict } from '../verdict/decide.js';
import type { QemuAccel } from '../vmm/qemu.js';
import { bootQemuCell } from './boot-cell.js';
import { bootKvmtoolCell, type KvmtoolPlan } from './boot-kvmtool-cell.js';
import { planKvmtoolCells, type KvmtoolCell, type KvmtoolCellPlan, type KvmtoolHost } from './kvmtool-plan.js';
import { cellRecord, interruptedRecord } from './cell-record.js';
import { combineRepeats, type BootIndex } from './repeat.js';
import { newRunId } from './run-id.js';
import { runsUserspace } from '../test-kinds/registry.js';
import { kernelTestInputs, kindListing, withKernel } from '../test-kinds/registry.js';
import { kernelWithoutTests } from '../matrix/kernel-tests.js';
import { companionNames } from '../kernel/test-inputs.js';
import type { ConsoleObservation } from '../console/types.js';
import { userspaceLayer, UserspaceLayerError } from '../guest/userspace-layer.js';
import { failedKernelArtifacts, placeGuest, placeKernel } from './run-artifacts.js';
import { refusePatchesThatDoNotApply } from './patch-precheck.js';

export interface RunEvents {
  /** A step of the run's own that starts now and may take a while (building the guest agent). */
  step?(what: string): void;
  kernel?(progress: KernelProgress): void;
  kernelDone?(outcome: KernelOutcome): void;
  /** A boot starts; `boot` says which when the cell is booted more than once. */
  cellStarted?(cell: Cell, boot?: BootIndex): void;
  /** One boot of a cell booted more than once has ended (cellDone follows when every boot has). */
  cellBootDone?(cell: Cell, boot: BootIndex): void;
  cellDone?(record: CellRecord): void;
  /** A boot ended in an error and the cell is booted again (attempt is 1 for the first retry). */
  cellRetried?(record: CellRecord, attempt: number): void;
}

export interface RunOptions {
  matrix: Matrix;
  cells: Cell[];
  selection: RunResults['selection'];
  /** matrixDigest of the whole matrix, so shards of it can be merged. */
  matrixDigest?: string;
  shard?: RunShard;
  /** Results root: the run goes to <outRoot>/<run-id>, and <outRoot>/latest points to it. */
  outRoot: string;
  /** The run's folder name under outRoot (default: a new time-based id). */
  runId?: string;
  layout: CacheLayout;
  /** Cells booted at once. */
  bootJobs: number;
  /** make -j for kernel builds. */
  buildJobs: number;
  ccache: boolean;
  accel: QemuAccel;
  timeoutSec?: number;
  /** Overrides the matrix's boot.retries. */
  retries?: number;
  /** Boots of every cell, overriding the matrix's boot.repeat and cell_boot rules. */
  repeat?: number;
  buildTimeoutSec: number;
  version: string;
  /** Where lkvm may come from and whether this host runs arm64 KVM itself. */
  kvmtoolHost: KvmtoolHost;
  events?: RunEvents;
  /** Keep the Images and initramfs the cells boot in the run folder (default), or boot them from the cache. */
  artifacts?: boolean;
  /** Console of a single booted cell, as it arrives (for `boot`). */
  live?: Writable;
  signal?: AbortSignal;
  /**
   * Refuse a patch that does not apply, as bad input, before the run folder
   * exists (`run` and `boot`; bisect-run skips such a commit instead).
   */
  checkPatches?: boolean;
}

/**
 * Runs cells: builds each kernel they need (one at a time, each with all
 * cores; a nested kvmtool cell also needs its host's kernel), boots a cell
 * as soon as its kernels are ready, and writes results.json, report.tap, junit.xml
 * and index.html into a new run folder.
 */
export async function runMatrix(options: RunOptions): Promise<{ results: RunResults; runDir: string }> {
  // a wrong lkvm is bad input: refused before anything is built or written
  const kvmtoolPlans = planKvmtoolCells(
    options.matrix,
    options.cells.filter((c): c is KvmtoolCell => c.vmm.type === 'kvmtool'),
    options.kvmtoolHost,
  );
  // the stage each kernel last reached, to name it when the run is stopped
  const reached = new Map<string, KernelProgress['stage']>();
  const onKernelProgress = (progress: KernelProgress) => {
    reached.set(progress.kernelId, progress.stage);
    options.events?.kernel?.(progress);
  };
  const startedAt = new Date();
  if (options.checkPatches) {
    // may first unpack a source tarball; stopped meanwhile, the run still records what it had not done
    await refusePatchesThatDoNotApply(options.matrix, options.cells, {
      layout: options.layout,
      ccache: options.ccache,
      buildJobs: options.buildJobs,
      buildTimeoutSec: options.buildTimeoutSec,
      onProgress: onKernelProgress,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    // what the check reached is not where a build stopped later
    if (!options.signal?.aborted) reached.clear();
  }
  const runId = options.runId ?? newRunId(startedAt);
  const runDir = join(options.outRoot, runId);
  mkdirSync(join(runDir, 'cells'), { recursive: true });
  ensureCacheDirs(options.layout);

  // the report writers are loaded while the first boot runs, not before it
  let reportWriters: Promise<typeof import('./write-reports.js')> | null = null;
  const loadReportWriters = () => (reportWriters ??= import('./write-reports.js'));

  const records = new Map<string, CellRecord>();
  // the signal's reason names what stopped the run (SIGINT, SIGTERM)
  const stoppedBy = () => (options.signal?.aborted ? String(options.signal.reason ?? 'an interrupt') : null);
  const settle = (record: CellRecord) => {
    const by = stoppedBy();
    const final = by && record.status !== 'skipped' ? interruptedRecord(record, by) : record;
    records.set(final.id, final);
    options.events?.cellDone?.(final);
  };
  const unbooted = (cell: Cell, verdict: 'skip' | 'error', reason: string, hint?: string) =>
    settle(cellRecord(cell, judge(unbootedVerdict(verdict, reason, hint), cell.expect), null));

  const bootPlans: BootPlan[] = options.cells
    .filter((c): c is QemuCell => c.vmm.type === 'qemu')
    .map((cell) => ({ cell, kind: 'qemu' as const, binary: cell.vmm.binary }));
  for (const plan of kvmtoolPlans) {
    if (plan.action !== 'boot') unbooted(plan.cell, plan.action, plan.reason, plan.hint);
    else bootPlans.push({ cell: plan.cell, kind: 'kvmtool', plan, binary: plan.mode === 'nested' ? plan.cell.vmm.qemuBinary : null });
  }

  // a missing VMM is found before any kernel is built, not after
  const versions = new Map<string, string | null>();
  for (const binary of new Set(bootPlans.map((p) => p.binary).filter((b): b is string => b !== null))) {
    versions.set(binary, await rememberedToolVersion(binary, options.layout.fingerprints));
  }
  const qemu = [...versions.values()].find((v) => v !== null) ?? null;
  const runnable = bootPlans.filter((p) => {
    if (p.binary === null || versions.get(p.binary) !== null) return true;
    unbooted(
      p.cell,
      'error',
      `${p.binary} not found or does not run`,
      "apt-get install qemu-system-arm, or set the matrix VMM entry's binary or qemu",
    );
    return false;
  });
  const keep = options.artifacts !== false;
  // a stopped run boots nothing: no guest to build for it
  const built =
    runnable.length > 0 && !stoppedBy()
      ? await guestImage(options.layout, runnable[0]!.cell.kernel.crossCompile, options.events?.step)
      : null;
  // cells that run commands boot the userspace layer too; a layer that cannot be had is their error alone
  const layered =
    built && !(built instanceof AgentBuildError) && !stoppedBy() && runnable.some((p) => runsUserspace(p.cell))
      ? await withUserspace(built, options.layout, options.events?.step)
      : built;
  const placed = (g: GuestImage | AgentBuildError | null) => (keep && g && !(g instanceof AgentBuildError) ? placeGuest(runDir, g) : g);
  const [plainGuest, layeredGuest] = [placed(built), layered === built ? null : placed(layered)];
  const guestOf = (cell: Cell) => (runsUserspace(cell) ? (layeredGuest ?? plainGuest) : plainGuest);

  const specs = new Map(options.matrix.kernels.map((k) => [k.id, k]));
  // a nested kvmtool host runs lkvm, not the tests: a kernel its tests build for hosts as a build without them
  const hostBuildOf = (id: string): string => {
    const spec = specs.get(id);
    const definition = spec ? kernelWithoutTests(spec) : null;
    if (!spec || !definition) return id;
    const hostId = `${id}+host`;
    if (!specs.has(hostId)) {
      specs.set(hostId, { ...definition, id: hostId, description: `${spec.id} without its tests, as a nested kvmtool host` });
    }
    return hostId;
  };
  const outcomes = new Map<string, KernelOutcome>();
  const patchesOf = new Map<string, AppliedPatch[]>();
  const artifactsOf = new Map<string, KernelArtifacts>();
  // the kernel as the cells boot it: from the run folder when it keeps what it booted
  const bootable = (outcome: KernelOutcome): KernelOutcome => {
    const texts = appliedPatchTexts(specs.get(outcome.kernelId)!.patches);
    patchesOf.set(
      outcome.kernelId,
      texts.map(({ text: _text, ...patch }) => patch),
    );
    if (!outcome.ok) {
      const log = failedKernelArtifacts(runDir, outcome.logPath);
      if (log) artifactsOf.set(outcome.kernelId, log);
      return outcome;
    }
    if (!keep) return outcome;
    const placed = placeKernel(runDir, outcome, texts);
    artifactsOf.set(outcome.kernelId, placed.artifacts);
    patchesOf.set(outcome.kernelId, placed.patches);
    return { ...placed.kernel, ok: true };
  };
  const building = new Map<string, Promise<KernelOutcome>>();
  const buildQueue = pLimit(1);
  const bootQueue = pLimit(Math.max(1, options.bootJobs));
  const ready = (kernelId: string): Promise<KernelOutcome> => {
    let promise = building.get(kernelId);
    if (!promise) {
      promise = buildQueue(() =>
        stoppedBy()
          ? Promise.resolve(unbuiltKernel(kernelId, stoppedBy()!, reached.get(kernelId)))
          : obtainKernel(
              specs.get(kernelId)!,
              {
                layout: options.layout,
                jobs: options.buildJobs,
                ccache: options.ccache,
                logDir: join(runDir, 'kernels', kernelId),
                timeoutSec: options.buildTimeoutSec,
                ...(options.signal ? { signal: options.signal } : {}),
                onProgress: onKernelProgress,
              },
              kernelTestInputs(specs.get(kernelId)!),
            ),
      ).then((outcome) => {
        outcomes.set(kernelId, outcome);
        options.events?.kernelDone?.(outcome);
        return bootable(outcome);
      });
      building.set(kernelId, promise);
    }
    return promise;
  };
  // builds are queued in matrix order of the cells that need them
  const hostOf = (p: BootPlan) => (p.kind === 'kvmtool' && p.plan.mode === 'nested' ? hostBuildOf(p.plan.hostKernel) : null);
  for (const p of runnable) {
    void ready(p.cell.kernel.id);
    const host = hostOf(p);
    if (host) void ready(host);
  }
  await Promise.all(
    runnable.map(async (p) => {
      const host = hostOf(p);
      const [kernel, hostKernel] = await Promise.all([ready(p.cell.kernel.id), host ? ready(host) : null]);
      const retry = {
        retries: options.retries ?? p.cell.boot.retries,
        runDir,
        stoppedBy,
        ...(options.events ? { events: options.events } : {}),
      };
      const of = options.repeat ?? p.cell.boot.repeat;
      // each repeat is a boot of its own in the queue, so repeats of one cell can run side by side
      const boots = await Promise.all(
        Array.from({ length: of }, (_, i) =>
          bootQueue(async () =>
            // a cell still queued when the run is stopped is not started
            stoppedBy()
              ? cellRecord(p.cell, judge(unbootedVerdict('error', 'not started'), p.cell.expect), null)
              : bootWithRetries(() => {
                  setImmediate(loadReportWriters);
                  return bootOne(p, kernel, hostKernel, guestOf(p.cell), options, { runId, runDir, boot: { index: i + 1, of } });
                }, retry).finally(() => of > 1 && options.events?.cellBootDone?.(p.cell, { index: i + 1, of })),
          ),
        ),
      );
      settle(combineRepeats(boots));
    }),
  );

  // matrix order, whatever order the cells finished in
  const cells = options.cells.map((c) => records.get(c.id)!);
  const results: RunResults = {
    schema: RESULTS_SCHEMA,
    runId,
    matrix: {
      name: options.matrix.name,
      file: options.matrix.file,
      ...(options.matrix.description ? { description: options.matrix.description } : {}),
      ...(options.matrixDigest ? { digest: options.matrixDigest } : {}),
    },
    ...(options.shard ? { shard: options.shard } : {}),
    ...(stoppedBy() ? { interrupted: stoppedBy()! } : {}),
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    host: { arch: arch(), node: process.version, qemu, accel: options.accel, kvmatrix: options.version },
    selection: options.selection,
    kernels: [...building.keys()].map((id) => ({
      ...kernelRecord(outcomes.get(id)!),
      patches: patchesOf.get(id)!,
      ...(artifactsOf.has(id) ? { artifacts: artifactsOf.get(id)! } : {}),
    })),
    cells,
    summary: summarize(cells),
  };
  (await loadReportWriters()).writeReports(results, runDir);
  pointLatest(options.outRoot, runId);
  return { results, runDir };
}

type QemuCell = Cell & { vmm: QemuVmmSpec };

type BootPlan =
  | { cell: QemuCell; kind: 'qemu'; binary: string }
  | { cell: KvmtoolCell; kind: 'kvmtool'; plan: KvmtoolCellPlan & { action: 'boot' }; binary: string | null };

async function bootOne(
  p: BootPlan,
  kernel: KernelOutcome,
  hostKernel: KernelOutcome | null,
  guest: GuestImage | AgentBuildError | null,
  options: RunOptions,
  where: { runId: string; runDir: string; boot: BootIndex },
): Promise<CellRecord> {
  const { runId, runDir } = where;
  const cell = p.cell;
  const notBuilt = [kernel, hostKernel].find((k): k is KernelOutcome & { ok: false } => k !== null && !k.ok);
  if (notBuilt) {
    const role = notBuilt === hostKernel && hostKernel !== kernel ? 'nested host kernel' : 'kernel';
    const verdict = unbootedVerdict('error', `${role} ${notBuilt.kernelId} not available: ${notBuilt.message}`, notBuilt.hint);
    // the end of the build log is usually the compiler's error
    verdict.reasons.push(...notBuilt.logTail.slice(0, 15).map((line) => `  ${line}`));
    return cellRecord(cell, judge(verdict, cell.expect), null);
  }
  if (!guest || guest instanceof AgentBuildError) {
    const reason = guest ? guest.message : 'no guest image';
    return cellRecord(cell, judge(unbootedVerdict('error', reason), cell.expect), null);
  }
  const built = kernel as BuiltKernel;
  const image = guest;
  const resolved = withKernel(p.cell, built);
  if ('problem' in resolved) return cellRecord(cell, judge(unbootedVerdict('error', resolved.problem), cell.expect), null);
  const ctx = {
    runId,
    runDir,
    accel: options.accel,
    keepArtifacts: options.artifacts !== false,
    listing: (obs: ConsoleObservation) =>
      kindListing(cell, obs, {
        kernel: built,
        guest: image,
        layout: options.layout,
        accel: options.accel,
        ...(options.signal ? { signal: options.signal } : {}),
      }),
    ...(options.timeoutSec !== undefined ? { timeoutSec: options.timeoutSec } : {}),
    ...(options.live ? { live: options.live } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    boot: where.boot,
  };
  const started = () => options.events?.cellStarted?.(cell, where.boot.of > 1 ? where.boot : undefined);
  if (p.kind === 'qemu') {
    started();
    const { judged, boot } = await bootQemuCell(resolved as QemuCell, built, guest, ctx);
    return cellRecord(cell, judged, boot);
  }
  const plan = p.plan;
  let kvmtoolPlan: KvmtoolPlan;
  if (plan.mode === 'native') {
    kvmtoolPlan = { mode: 'native', lkvm: plan.lkvm, era: plan.era };
  } else {
    const host = hostKernel as BuiltKernel;
    if (host.config && !configHasKvm(readFileSync(host.config, 'utf8'))) {
      const verdict = unbootedVerdict(
        'error',
        `nested host kernel ${host.kernelId} was built without CONFIG_KVM=y`,
        `add CONFIG_VIRTUALIZATION=y and CONFIG_KVM=y to its config fragment, or name another with host_kernel: in vmms.${p.cell.vmm.id}`,
      );
      return cellRecord(cell, judge(verdict, cell.expect), null);
    }
    kvmtoolPlan = { mode: 'nested', lkvm: plan.lkvm, era: plan.era, host, layout: options.layout };
  }
  started();
  const { judged, boot } = await bootKvmtoolCell(resolved as KvmtoolCell, built, guest, kvmtoolPlan, ctx);
  return cellRecord(cell, judged, boot);
}

/** The guest with the userspace layer that command tests need; an error the cells that run commands show when it cannot be had. */
async function withUserspace(
  guest: GuestImage,
  layout: CacheLayout,
  onStep?: (what: string) => void,
): Promise<GuestImage | AgentBuildError> {
  try {
    return { ...guest, layer: (await userspaceLayer(layout, undefined, undefined, onStep)).archive };
  } catch (error) {
    if (error instanceof UserspaceLayerError) return new AgentBuildError(`${error.message} (hint: ${error.hint})`);
    throw error;
  }
}

async function guestImage(
  layout: CacheLayout,
  crossCompile: string,
  onStep?: (what: string) => void,
): Promise<GuestImage | AgentBuildError> {
  try {
    return await buildGuestImage(layout, crossCompile, undefined, onStep);
  } catch (error) {
    if (error instanceof AgentBuildError) return error;
    throw error;
  }
}

/** A kernel the stop left unbuilt: at the stage it had reached (the patch check's unpack), or before its build began. */
function unbuiltKernel(kernelId: string, by: string, reached: KernelProgress['stage'] | undefined): KernelOutcome {
  const stage = reached === undefined || reached === 'done' || reached === 'cached' ? null : reached;
  const message = stage
    ? `not built: the run was stopped by ${by} at its ${stage} stage`
    : `not built: the run was stopped by ${by} before its build began`;
  return { ok: false, kernelId, stage: stage ?? 'source', message, logTail: [], ended: 'interrupted', durationMs: 0 };
}

export function kernelRecord(outcome: KernelOutcome): KernelRecord {
  if (outcome.ok) {
    return {
      id: outcome.kernelId,
      ok: true,
      key: outcome.key,
      source: outcome.source,
      ...(outcome.commit ? { commit: outcome.commit } : {}),
      image: outcome.image,
      config: outcome.config,
      buildLog: outcome.buildLog,
      cached: outcome.cached,
      durationMs: outcome.durationMs,
      ...(outcome.toolchain ? { toolchain: outcome.toolchain } : {}),
      // each companion under the name of what it built
      ...Object.fromEntries(
        (outcome.companions ?? []).map((c) => [companionNames(c.stage).built, { key: c.key, cached: c.cached, tests: c.tests.length }]),
      ),
      ...(outcome.warnings?.length ? { warnings: outcome.warnings } : {}),
    };
  }
  return {
    id: outcome.kernelId,
    ok: false,
    ...(outcome.commit ? { commit: outcome.commit } : {}),
    durationMs: outcome.durationMs,
    stage: outcome.stage,
    message: outcome.message,
    ...(outcome.hint ? { hint: outcome.hint } : {}),
    ...(outcome.logPath ? { buildLog: outcome.logPath } : {}),
    logTail: outcome.logTail,
    ended: outcome.ended,
  };
}

/** <outRoot>/latest -> <run-id>, replaced in one rename. */
export function pointLatest(outRoot: string, runId: string): void {
  const tmp = join(outRoot, `.latest-${process.pid}`);
  try {
    unlinkSync(tmp);
  } catch {
    // none left over
  }
  symlinkSync(runId, tmp);
  renameSync(tmp, join(outRoot, 'latest'));
}
