import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { AgentBuildError, type GuestImage } from '../guest/build-agent.js';
import { rememberedToolVersion } from '../host/facts.js';
import { ensureCacheDirs } from '../kernel/cache.js';
import { configHasKvm } from '../kernel/config-check.js';
import type { BuiltKernel, KernelOutcome, KernelProgress } from '../kernel/types.js';
import type { Cell, QemuVmmSpec } from '../matrix/types.js';
import type { CellRecord, RunResults } from '../report/types.js';
import { bootWithRetries } from './retry.js';
import { judge, unbootedVerdict } from '../verdict/decide.js';
import { bootQemuCell } from './boot-cell.js';
import { bootKvmtoolCell, type KvmtoolPlan } from './boot-kvmtool-cell.js';
import { planKvmtoolCells, type KvmtoolCell, type KvmtoolCellPlan } from './kvmtool-plan.js';
import { cellRecord, interruptedRecord } from './cell-record.js';
import { combineRepeats, type BootIndex } from './repeat.js';
import { newRunId } from './run-id.js';
import { kindListing, withKernel } from '../test-kinds/registry.js';
import type { ConsoleObservation } from '../console/types.js';
import { refusePatchesThatDoNotApply } from './patch-precheck.js';
import { guestImagesFor } from './guest-images.js';
import { kernelQueue } from './kernel-queue.js';
import { pointLatest, runResults } from './run-results.js';
import { vmmFacts } from './vmm-facts.js';
import type { RunOptions } from './run-options.js';

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
  // a stopped run boots nothing: no guest to build for it
  const guestOf = await guestImagesFor(
    runnable.map((p) => p.cell),
    {
      layout: options.layout,
      runDir,
      keep: options.artifacts !== false,
      stopped: () => stoppedBy() !== null,
      ...(options.events?.step ? { onStep: options.events.step } : {}),
    },
  );
  const kernels = kernelQueue(options, {
    runDir,
    onProgress: onKernelProgress,
    reached: (id) => reached.get(id),
    stoppedBy,
  });
  const bootQueue = pLimit(Math.max(1, options.bootJobs));
  // builds are queued in matrix order of the cells that need them
  const hostOf = (p: BootPlan) => (p.kind === 'kvmtool' && p.plan.mode === 'nested' ? kernels.hostBuildOf(p.plan.hostKernel) : null);
  for (const p of runnable) {
    void kernels.ready(p.cell.kernel.id);
    const host = hostOf(p);
    if (host) void kernels.ready(host);
  }
  await Promise.all(
    runnable.map(async (p) => {
      const host = hostOf(p);
      const [kernel, hostKernel] = await Promise.all([kernels.ready(p.cell.kernel.id), host ? kernels.ready(host) : null]);
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
  const vmms = vmmFacts(
    bootPlans.map((p) => ({
      id: p.cell.vmm.id,
      type: p.kind,
      qemu: p.binary,
      lkvm: p.kind === 'kvmtool' ? p.plan.lkvm : null,
      era: p.kind === 'kvmtool' ? p.plan.era : null,
    })),
    versions,
  );
  const results = runResults(options, { runId, startedAt, stoppedBy: stoppedBy(), qemu, vmms, kernels: kernels.records(), cells });
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
