/**
 * A cell that runs kselftests learns which tests to run from its kernel's
 * build: the tests its targets installed, and the layer that holds them.
 */
import { PLAN_LIMITS } from '../../guest/boot-archive.js';
import type { BuiltKernel } from '../../kernel/types.js';
import type { Cell, KselftestCase } from '../../matrix/types.js';
import { agentCommands } from '../agent-commands.js';
import { KSELFTEST_STAGE } from './build.js';

/** The cell with its kernel's kselftests filled in, or why it cannot boot. */
export function withInstalledKselftests<C extends Cell>(cell: C, kernel: BuiltKernel): C | { problem: string } {
  if (!cell.tests.some((t) => t.kind === 'kselftest')) return cell;
  const built = kernel.companions?.find((c) => c.stage === KSELFTEST_STAGE);
  if (!built) return { problem: `kernel ${kernel.kernelId} was built without kselftests` };
  const resolved = {
    ...cell,
    tests: cell.tests.map((t) =>
      t.kind === 'kselftest' ? { ...t, installed: { layer: built.layer, tests: built.tests as KselftestCase[] } } : t,
    ),
  };
  const planned = agentCommands(resolved).length;
  if (planned > PLAN_LIMITS.commands) {
    return {
      problem: `the cell asks the agent to run ${planned} programs (commands and kselftests), more than the ${PLAN_LIMITS.commands} it runs in one boot: skip some tests, or give some targets to other cells (cell_tests:)`,
    };
  }
  return resolved;
}
