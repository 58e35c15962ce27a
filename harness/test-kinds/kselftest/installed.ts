/**
 * A cell that runs kselftests learns which tests to run from its kernel's
 * build: the tests its targets installed, and the layer that holds them
 * (whether they fit in one boot's plan is the registry's to say).
 */
import type { BuiltKernel } from '../../kernel/types.js';
import type { Cell, KselftestCase } from '../../matrix/types.js';
import { KSELFTEST_STAGE } from './build.js';

/** The cell with its kernel's kselftests filled in, or why it cannot boot. */
export function withInstalledKselftests<C extends Cell>(cell: C, kernel: BuiltKernel): C | { problem: string } {
  if (!cell.tests.some((t) => t.kind === 'kselftest')) return cell;
  const built = kernel.companions?.find((c) => c.stage === KSELFTEST_STAGE);
  if (!built) return { problem: `kernel ${kernel.kernelId} was built without kselftests` };
  // the cases come from the cache entry this kind's build wrote (build.ts)
  return {
    ...cell,
    tests: cell.tests.map((t) =>
      t.kind === 'kselftest' ? { ...t, installed: { layer: built.layer, tests: built.tests as KselftestCase[] } } : t,
    ),
  };
}
