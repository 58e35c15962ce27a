import type { KernelCommit } from '../kernel/types.js';
import type { Cell, Matrix } from '../matrix/types.js';
import { bisectDecision, type BisectDecision } from '../verdict/bisect-exit.js';
import { globMatchesPath } from '../matrix/test-path.js';
import { judgedNodes } from '../verdict/tree.js';
import type { Verdict } from '../verdict/types.js';
import { cellOnTree, type TreeKernel } from './cell-on-tree.js';
import { runMatrix } from './run-matrix.js';
import type { RunOptions } from './run-options.js';

export interface BisectStepOptions {
  matrix: Matrix;
  cell: Cell;
  on: TreeKernel;
  /** How to run: cache, builds, VMM host, results root, signal. */
  run: Omit<RunOptions, 'matrix' | 'cells' | 'selection'>;
}

/** One commit tested: what was built, what the cell did, and the mark it earns. */
export interface BisectStep {
  /** Null when the tree could not be read at all. */
  commit: KernelCommit | null;
  /** The cell's verdict; null when its kernel did not build. */
  verdict: Verdict | null;
  reasons: string[];
  /** Each boot when the cell was tried more than once (`repeat` in the run options), else empty. */
  tries: BisectTry[];
  decision: BisectDecision;
  runDir: string;
}

export interface BisectTry {
  try: number;
  verdict: Verdict;
  reason: string;
  /** Relative to the step's run folder. */
  console: string | null;
}

/**
 * Builds the tree's kernel for the cell, boots the cell (as many times as
 * `run.repeat` says: good only when every try passed), and decides good,
 * bad, skip or abort.
 */
export async function runBisectStep(options: BisectStepOptions): Promise<BisectStep> {
  const { matrix, cell } = cellOnTree(options.matrix, options.cell, options.on);
  const { results, runDir } = await runMatrix({
    ...options.run,
    matrix,
    cells: [cell],
    selection: { cells: [cell.id], filters: [] },
  });
  const kernel = results.kernels.find((k) => k.id === cell.kernel.id);
  const record = results.cells[0]!;
  const failed = kernel && !kernel.ok ? kernel : null;
  const decision = bisectDecision(
    failed
      ? { kind: 'kernel-failed', stage: failed.stage!, ended: failed.ended ?? 'failed' }
      : cell.only !== undefined
        ? {
            kind: 'tested',
            glob: cell.only,
            verdict: record.verdict,
            tests: judgedNodes(record.tests ?? [])
              .filter((n) => globMatchesPath(cell.only!, n.path))
              .map((n) => n.verdict),
          }
        : { kind: 'booted', verdict: record.verdict },
  );
  return {
    commit: kernel?.commit ?? null,
    verdict: failed ? null : record.verdict,
    reasons: record.reasons,
    tries: (record.repeats ?? []).map((r) => ({ try: r.boot, verdict: r.verdict, reason: r.reasons[0] ?? '', console: r.console })),
    decision,
    runDir,
  };
}
