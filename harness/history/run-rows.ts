import { judgedNodes } from '../verdict/tree.js';
import { patchsetHash } from '../report/kcidb.js';
import type { CellRecord, KernelRecord, RunResults } from '../report/types.js';
import { createHash } from 'node:crypto';
import type { CellRow, LeafSetRow, ResultRow, RunKernelRow, RunRow } from './tables.js';

/** One run as the history's rows. */
export interface RunRows {
  run: RunRow;
  kernels: RunKernelRow[];
  cells: CellRow[];
  results: ResultRow[];
  /** The cells' leaf sets, each once. */
  leafSets: LeafSetRow[];
}

export interface RunOrigin {
  /** The run folder's absolute path. */
  folder: string;
  /** sha256 of its results.json as read. */
  resultsSha256: string;
  addedAt: string;
}

/** The rows of a run, every cell and every test judged on its own, with what identifies the run's inputs. */
export function runRows(results: RunResults, origin: RunOrigin): RunRows {
  const runId = results.runId;
  const leafSets = new Map<string, LeafSetRow>();
  const cells = results.cells.map((c) => {
    const paths = JSON.stringify(judgedNodes(c.tests ?? []).map((n) => n.path));
    const digest = `sha256:${createHash('sha256').update(paths).digest('hex')}`;
    leafSets.set(digest, { digest, paths });
    return cellRow(runId, c, digest);
  });
  return {
    run: {
      run_id: runId,
      matrix_name: results.matrix.name,
      matrix_file: results.matrix.file,
      matrix_digest: results.matrix.digest ?? null,
      started_at: results.startedAt,
      finished_at: results.finishedAt,
      results_sha256: origin.resultsSha256,
      folder: origin.folder,
      added_at: origin.addedAt,
      kvmatrix_version: results.host.kvmatrix,
      kvmatrix_commit: results.host.kvmatrixCommit ?? null,
      host_name: results.host.name ?? null,
      host: JSON.stringify(results.host),
      merged_hosts: results.mergedHosts ? JSON.stringify(results.mergedHosts) : null,
      merged_from: results.mergedFrom ? JSON.stringify(results.mergedFrom) : null,
      interrupted: results.interrupted ?? null,
      selection: JSON.stringify(results.selection),
      cells: results.cells.length,
    },
    kernels: results.kernels.map((k) => kernelRow(runId, k)),
    cells,
    results: results.cells.flatMap((c) => resultRows(runId, c)),
    leafSets: [...leafSets.values()],
  };
}

function kernelRow(runId: string, kernel: KernelRecord): RunKernelRow {
  return {
    run_id: runId,
    kernel_id: kernel.id,
    ok: kernel.ok ? 1 : 0,
    source: kernel.source ?? null,
    commit_id: kernel.commit?.id ?? null,
    commit_subject: kernel.commit?.subject ?? null,
    patchset_hash: kernel.patches ? patchsetHash(kernel.patches.map((p) => p.sha256)) : null,
    patches: kernel.patches
      ? JSON.stringify(kernel.patches.map((p) => ({ file: p.file, direction: p.direction, sha256: p.sha256 })))
      : null,
    cache_key: kernel.key ?? null,
    stage: kernel.stage ?? null,
    message: kernel.message ?? null,
  };
}

function cellRow(runId: string, cell: CellRecord, leafSet: string): CellRow {
  return {
    run_id: runId,
    cell_id: cell.id,
    kernel_id: cell.kernel,
    vmm: cell.vmm,
    vmm_type: cell.vmmType,
    transport: cell.transport,
    topology: cell.topology,
    verdict: cell.verdict,
    expected: cell.expected,
    status: cell.status,
    expected_by: cell.expectedBy ? JSON.stringify(cell.expectedBy) : null,
    expected_why: cell.expectedWhy ?? null,
    reasons: JSON.stringify(cell.reasons),
    interrupted: cell.interrupted ? 1 : 0,
    boots: cell.repeats?.length ?? 1,
    leaf_set: leafSet,
  };
}

function resultRows(runId: string, cell: CellRecord): ResultRow[] {
  return judgedNodes(cell.tests ?? []).map((node) => ({
    run_id: runId,
    cell_id: cell.id,
    path: node.path,
    verdict: node.verdict,
    expected: node.expected,
    status: node.status,
    expected_by: node.expectedBy ? JSON.stringify(node.expectedBy) : null,
    reasons: JSON.stringify(node.reasons),
  }));
}
