/**
 * The kernels a run's cells boot, one build at a time (each with all
 * cores), in the order the cells ask for them; each built (or found in the
 * cache) once however many cells boot it, with what its tests ask of its
 * build, and placed in the run folder when the run keeps what it booted.
 */
import pLimit from 'p-limit';
import { appliedPatchTexts } from '../kernel/applied-patches.js';
import { obtainKernel } from '../kernel/build.js';
import { companionNames } from '../kernel/test-inputs.js';
import type { KernelOutcome, KernelProgress } from '../kernel/types.js';
import { kernelWithoutTests } from '../matrix/kernel-tests.js';
import type { KernelSpec } from '../matrix/types.js';
import type { AppliedPatch, KernelArtifacts, KernelRecord } from '../report/types.js';
import { kernelTestInputs } from '../test-kinds/registry.js';
import { failedKernelArtifacts, placeKernel } from './run-artifacts.js';
import { join } from 'node:path';
import type { RunOptions } from './run-options.js';

export interface KernelQueue {
  /** The kernel as the cells boot it: from the run folder when the run keeps what it booted. */
  ready(kernelId: string): Promise<KernelOutcome>;
  /** The build a nested kvmtool host of this kernel boots: without what its tests ask, under its own id (`patched+host`). */
  hostBuildOf(kernelId: string): string;
  /** Every kernel asked for, as results.json records it, in the order asked. */
  records(): KernelRecord[];
}

export interface KernelQueueContext {
  runDir: string;
  /** Called with each step of a build (the run keeps the stage each kernel reached). */
  onProgress(progress: KernelProgress): void;
  /** The stage a kernel had reached when the run was stopped (the patch check's unpack). */
  reached(kernelId: string): KernelProgress['stage'] | undefined;
  /** What stopped the run, once it is stopped: a kernel not started by then is not built. */
  stoppedBy(): string | null;
}

type QueueOptions = Pick<RunOptions, 'matrix' | 'layout' | 'buildJobs' | 'ccache' | 'buildTimeoutSec' | 'signal' | 'events' | 'artifacts'>;

export function kernelQueue(options: QueueOptions, ctx: KernelQueueContext): KernelQueue {
  const specs = new Map<string, KernelSpec>(options.matrix.kernels.map((k) => [k.id, k]));
  const outcomes = new Map<string, KernelOutcome>();
  const patchesOf = new Map<string, AppliedPatch[]>();
  const artifactsOf = new Map<string, KernelArtifacts>();
  const building = new Map<string, Promise<KernelOutcome>>();
  const buildQueue = pLimit(1);
  const keep = options.artifacts !== false;

  const bootable = (outcome: KernelOutcome): KernelOutcome => {
    const texts = appliedPatchTexts(specs.get(outcome.kernelId)!.patches);
    patchesOf.set(
      outcome.kernelId,
      texts.map(({ text: _text, ...patch }) => patch),
    );
    if (!outcome.ok) {
      const log = failedKernelArtifacts(ctx.runDir, outcome.logPath);
      if (log) artifactsOf.set(outcome.kernelId, log);
      return outcome;
    }
    if (!keep) return outcome;
    const placed = placeKernel(ctx.runDir, outcome, texts);
    artifactsOf.set(outcome.kernelId, placed.artifacts);
    patchesOf.set(outcome.kernelId, placed.patches);
    return { ...placed.kernel, ok: true };
  };

  const obtain = (kernelId: string): Promise<KernelOutcome> => {
    const by = ctx.stoppedBy();
    if (by) return Promise.resolve(unbuiltKernel(kernelId, by, ctx.reached(kernelId)));
    const spec = specs.get(kernelId)!;
    return obtainKernel(
      spec,
      {
        layout: options.layout,
        jobs: options.buildJobs,
        ccache: options.ccache,
        logDir: join(ctx.runDir, 'kernels', kernelId),
        timeoutSec: options.buildTimeoutSec,
        ...(options.signal ? { signal: options.signal } : {}),
        onProgress: ctx.onProgress,
      },
      kernelTestInputs(spec),
    );
  };

  return {
    ready(kernelId) {
      let promise = building.get(kernelId);
      if (!promise) {
        promise = buildQueue(() => obtain(kernelId)).then((outcome) => {
          outcomes.set(kernelId, outcome);
          options.events?.kernelDone?.(outcome);
          return bootable(outcome);
        });
        building.set(kernelId, promise);
      }
      return promise;
    },
    hostBuildOf(kernelId) {
      // a nested kvmtool host runs lkvm, not the tests: a kernel its tests build for hosts as a build without them
      const spec = specs.get(kernelId);
      const definition = spec ? kernelWithoutTests(spec) : null;
      if (!spec || !definition) return kernelId;
      const hostId = `${kernelId}+host`;
      if (!specs.has(hostId)) {
        specs.set(hostId, { ...definition, id: hostId, description: `${spec.id} without its tests, as a nested kvmtool host` });
      }
      return hostId;
    },
    records: () =>
      [...building.keys()].map((id) => ({
        ...kernelRecord(outcomes.get(id)!),
        patches: patchesOf.get(id)!,
        ...(artifactsOf.has(id) ? { artifacts: artifactsOf.get(id)! } : {}),
      })),
  };
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
    ...(outcome.source ? { source: outcome.source } : {}),
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
