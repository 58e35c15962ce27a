/** A run's results as results.json holds them, put together once every cell is settled; and the `latest` link to its folder. */
import { renameSync, symlinkSync, unlinkSync } from 'node:fs';
import { arch, hostname } from 'node:os';
import { checkoutCommit } from '../host/checkout-commit.js';
import { projectRoot } from '../host/install-paths.js';
import { join } from 'node:path';
import { summarize } from '../report/summary.js';
import { RESULTS_SCHEMA, type CellRecord, type KernelRecord, type RunResults, type VmmFacts } from '../report/types.js';
import type { RunOptions } from './run-options.js';
import { matrixDigest } from '../matrix/digest.js';
import { expandMatrix } from '../matrix/expand.js';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

const fileSha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

export interface RunOutcome {
  runId: string;
  startedAt: Date;
  /** What stopped the run, if something did. */
  stoppedBy: string | null;
  /** The QEMU version the run found, if it looked for one. */
  qemu: string | null;
  /** Each VMM entry it booted, with what ran its cells. */
  vmms: VmmFacts[];
  kernels: KernelRecord[];
  /** In matrix order. */
  cells: CellRecord[];
}

export function runResults(options: Pick<RunOptions, 'matrix' | 'shard' | 'accel' | 'version' | 'selection'>, run: RunOutcome): RunResults {
  const kvmatrixCommit = checkoutCommit(projectRoot);
  return {
    schema: RESULTS_SCHEMA,
    runId: run.runId,
    matrix: {
      name: options.matrix.name,
      file: options.matrix.file,
      ...(options.matrix.description ? { description: options.matrix.description } : {}),
      // of the whole matrix, whatever the selection, so that shards of it can be merged
      digest: matrixDigest(expandMatrix(options.matrix), fileSha256),
    },
    ...(options.shard ? { shard: options.shard } : {}),
    ...(run.stoppedBy ? { interrupted: run.stoppedBy } : {}),
    startedAt: run.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    host: {
      arch: arch(),
      node: process.version,
      qemu: run.qemu,
      accel: options.accel,
      kvmatrix: options.version,
      ...(kvmatrixCommit ? { kvmatrixCommit } : {}),
      name: hostname(),
      vmms: run.vmms,
    },
    selection: options.selection,
    kernels: run.kernels,
    cells: run.cells,
    summary: summarize(run.cells),
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
