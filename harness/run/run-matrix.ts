import { mkdirSync, renameSync, symlinkSync, unlinkSync } from 'node:fs';
import { arch } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import pLimit from 'p-limit';
import { AgentBuildError, buildGuestImage, type GuestImage } from '../guest/build-agent.js';
import { toolVersion } from '../host/facts.js';
import { ensureCacheDirs, writeFileAtomic, type CacheLayout } from '../kernel/cache.js';
import { obtainKernel } from '../kernel/build.js';
import type { KernelOutcome, KernelProgress } from '../kernel/types.js';
import type { Cell, Matrix, QemuVmmSpec } from '../matrix/types.js';
import { renderJunit } from '../report/junit.js';
import { summarize } from '../report/summary.js';
import { renderTap } from '../report/tap.js';
import { RESULTS_SCHEMA, type CellRecord, type KernelRecord, type RunResults } from '../report/types.js';
import { judge, unbootedVerdict } from '../verdict/decide.js';
import type { QemuAccel } from '../vmm/qemu.js';
import { bootQemuCell } from './boot-cell.js';
import { cellRecord } from './cell-record.js';
import { newRunId } from './run-id.js';

export interface RunEvents {
  kernel?(progress: KernelProgress): void;
  kernelDone?(outcome: KernelOutcome): void;
  cellStarted?(cell: Cell): void;
  cellDone?(record: CellRecord): void;
}

export interface RunOptions {
  matrix: Matrix;
  cells: Cell[];
  selection: { cells: string[]; filters: string[] };
  /** Results root: the run goes to <outRoot>/<run-id>, and <outRoot>/latest points to it. */
  outRoot: string;
  layout: CacheLayout;
  /** Cells booted at once. */
  bootJobs: number;
  /** make -j for kernel builds. */
  buildJobs: number;
  ccache: boolean;
  accel: QemuAccel;
  timeoutSec?: number;
  buildTimeoutSec: number;
  version: string;
  events?: RunEvents;
  /** Console of a single booted cell, as it arrives (for `boot`). */
  live?: Writable;
  signal?: AbortSignal;
}

/**
 * Runs cells: builds each kernel they need (one at a time, each with all
 * cores), boots a kernel's cells as soon as it is ready, and writes
 * results.json, report.tap and junit.xml into a new run folder.
 */
export async function runMatrix(options: RunOptions): Promise<{ results: RunResults; runDir: string }> {
  const startedAt = new Date();
  const runId = newRunId(startedAt);
  const runDir = join(options.outRoot, runId);
  mkdirSync(join(runDir, 'cells'), { recursive: true });
  ensureCacheDirs(options.layout);

  const bootable = options.cells.filter((c): c is Cell & { vmm: QemuVmmSpec } => c.vmm.type === 'qemu');
  const records = new Map<string, CellRecord>();
  const settle = (record: CellRecord) => {
    records.set(record.id, record);
    options.events?.cellDone?.(record);
  };
  for (const cell of options.cells.filter((c) => c.vmm.type === 'kvmtool')) {
    settle(cellRecord(cell, judge(unbootedVerdict('skip', 'the kvmtool backend is not implemented in this version of kvmatrix'), cell.expect), null));
  }

  // a missing VMM is found before any kernel is built, not after
  const versions = new Map<string, string | null>();
  for (const binary of new Set(bootable.map((c) => c.vmm.binary))) versions.set(binary, await toolVersion(binary));
  const qemu = [...versions.values()].find((v) => v !== null) ?? null;
  const missing = bootable.filter((c) => versions.get(c.vmm.binary) === null);
  for (const cell of missing) {
    const verdict = unbootedVerdict('error', `${cell.vmm.binary} not found or does not run`, 'apt-get install qemu-system-arm, or set binary: in the matrix\'s VMM entry');
    settle(cellRecord(cell, judge(verdict, cell.expect), null));
  }
  const runnable = bootable.filter((c) => versions.get(c.vmm.binary) !== null);
  const guest = runnable.length > 0 ? await guestImage(options.layout, runnable[0]!.kernel.crossCompile) : null;

  const kernelIds = [...new Set(runnable.map((c) => c.kernel.id))];
  const outcomes = new Map<string, KernelOutcome>();
  const buildQueue = pLimit(1);
  const bootQueue = pLimit(Math.max(1, options.bootJobs));
  const boots: Promise<void>[] = [];

  await Promise.all(
    kernelIds.map((kernelId) =>
      buildQueue(async () => {
        const spec = runnable.find((c) => c.kernel.id === kernelId)!.kernel;
        const outcome = await obtainKernel(spec, {
          layout: options.layout,
          jobs: options.buildJobs,
          ccache: options.ccache,
          logDir: join(runDir, 'kernels', kernelId),
          timeoutSec: options.buildTimeoutSec,
          ...(options.signal ? { signal: options.signal } : {}),
          ...(options.events?.kernel ? { onProgress: options.events.kernel } : {}),
        });
        outcomes.set(kernelId, outcome);
        options.events?.kernelDone?.(outcome);
        for (const cell of runnable.filter((c) => c.kernel.id === kernelId)) {
          boots.push(bootQueue(() => bootOne(cell, outcome, guest, options, runId, runDir).then(settle)));
        }
      }),
    ),
  );
  await Promise.all(boots);

  const results: RunResults = {
    schema: RESULTS_SCHEMA,
    runId,
    matrix: {
      name: options.matrix.name,
      file: options.matrix.file,
      ...(options.matrix.description ? { description: options.matrix.description } : {}),
    },
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    host: { arch: arch(), node: process.version, qemu, accel: options.accel, kvmatrix: options.version },
    selection: options.selection,
    kernels: kernelIds.map((id) => kernelRecord(outcomes.get(id)!)),
    // matrix order, whatever order the cells finished in
    cells: options.cells.map((c) => records.get(c.id)!),
    summary: { total: 0, asExpected: 0, unexpected: 0, skipped: 0, byVerdict: { pass: 0, fail: 0, error: 0, timeout: 0, skip: 0 } },
  };
  results.summary = summarize(results.cells);
  writeReports(results, runDir);
  pointLatest(options.outRoot, runId);
  return { results, runDir };
}

async function bootOne(
  cell: Cell & { vmm: QemuVmmSpec },
  kernel: KernelOutcome,
  guest: GuestImage | AgentBuildError | null,
  options: RunOptions,
  runId: string,
  runDir: string,
): Promise<CellRecord> {
  if (!kernel.ok) {
    const reason = `kernel ${kernel.kernelId} not available: ${kernel.message}`;
    const verdict = unbootedVerdict('error', reason, kernel.hint);
    // the end of the build log is usually the compiler's error
    verdict.reasons.push(...kernel.logTail.slice(-10).map((line) => `  ${line}`));
    return cellRecord(cell, judge(verdict, cell.expect), null);
  }
  if (!guest || guest instanceof AgentBuildError) {
    const reason = guest ? guest.message : 'no guest image';
    return cellRecord(cell, judge(unbootedVerdict('error', reason), cell.expect), null);
  }
  options.events?.cellStarted?.(cell);
  const { judged, boot } = await bootQemuCell(cell, kernel, guest, {
    runId,
    runDir,
    accel: options.accel,
    ...(options.timeoutSec !== undefined ? { timeoutSec: options.timeoutSec } : {}),
    ...(options.live ? { live: options.live } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return cellRecord(cell, judged, boot);
}

async function guestImage(layout: CacheLayout, crossCompile: string): Promise<GuestImage | AgentBuildError> {
  try {
    return await buildGuestImage(layout, crossCompile);
  } catch (error) {
    if (error instanceof AgentBuildError) return error;
    throw error;
  }
}

export function kernelRecord(outcome: KernelOutcome): KernelRecord {
  if (outcome.ok) {
    return {
      id: outcome.kernelId,
      ok: true,
      key: outcome.key,
      image: outcome.image,
      config: outcome.config,
      buildLog: outcome.buildLog,
      cached: outcome.cached,
      durationMs: outcome.durationMs,
    };
  }
  return {
    id: outcome.kernelId,
    ok: false,
    durationMs: outcome.durationMs,
    stage: outcome.stage,
    message: outcome.message,
    ...(outcome.hint ? { hint: outcome.hint } : {}),
    ...(outcome.logPath ? { buildLog: outcome.logPath } : {}),
    logTail: outcome.logTail,
  };
}

/** results.json first: it is the source of truth the others are rendered from. */
export function writeReports(results: RunResults, runDir: string): void {
  writeFileAtomic(join(runDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileAtomic(join(runDir, 'report.tap'), renderTap(results));
  writeFileAtomic(join(runDir, 'junit.xml'), renderJunit(results));
}

/** <outRoot>/latest -> <run-id>, replaced in one rename. */
function pointLatest(outRoot: string, runId: string): void {
  const tmp = join(outRoot, `.latest-${process.pid}`);
  try {
    unlinkSync(tmp);
  } catch {
    // none left over
  }
  symlinkSync(runId, tmp);
  renameSync(tmp, join(outRoot, 'latest'));
}
