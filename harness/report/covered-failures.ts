import { isFailing, type TestNode } from '../verdict/tree.js';
import type { CellRecord, RunResults } from './types.js';

/**
 * A run written before tests recorded which rule covers them stored a
 * failure the cell's own rule expects as `expected: pass` (its status
 * as-expected): read back, such a test is expected to fail, with the
 * cell's why, as a run written today says it (the rule's place in
 * `expect:` was not kept, so it names none). Without this, `compare`
 * against an older run would call every such test changed.
 */
export function withCoveredFailures(results: RunResults): RunResults {
  if (!results.cells.some(needsIt)) return results;
  return {
    ...results,
    cells: results.cells.map((cell) => (needsIt(cell) ? { ...cell, tests: cell.tests!.map((n) => covered(n, cell)) } : cell)),
  };
}

function needsIt(cell: CellRecord): boolean {
  return cell.expected === 'fail' && (cell.tests?.length ?? 0) > 0 && cell.expectedBy === undefined;
}

function covered(node: TestNode, cell: CellRecord): TestNode {
  const children = node.children.map((c) => covered(c, cell));
  const written = node.expectedBy === undefined && node.expected === 'pass' && node.status === 'as-expected' && isFailing(node.verdict);
  if (!written) return { ...node, children };
  return { ...node, expected: 'fail', ...(cell.expectedWhy ? { expectedWhy: cell.expectedWhy } : {}), children };
}
