/**
 * Everything a cell asks the agent to run after the probe, in order: its
 * command tests, then its kselftests. Both need the userspace layer; the
 * kselftests bring their own layer too. One plan, so that the boot's
 * archive, the deadline and the reading of the records agree on indices.
 */
import type { PlannedCommand } from '../guest/boot-archive.js';
import type { Cell } from '../matrix/types.js';
import { commandCapBytes, commandTestsOf, plannedCommands } from './command/command.js';
import { kselftestTestOf, plannedKselftests } from './kselftest/kselftest.js';

/** Whether the cell's guest runs programs (and so boots the userspace layer). */
export function runsUserspace(cell: Pick<Cell, 'tests'>): boolean {
  return commandTestsOf(cell).length > 0 || kselftestTestOf(cell) !== undefined;
}

/** The agent's plan for the cell: its commands, then its kselftests. */
export function agentCommands(cell: Pick<Cell, 'tests' | 'boot'>): PlannedCommand[] {
  const kselftest = kselftestTestOf(cell);
  const commands = plannedCommands(cell);
  if (!kselftest) return commands;
  return [...commands, ...plannedKselftests(kselftest, kselftest.installed?.tests ?? [], commandCapBytes(cell))];
}

/** Layers after the userspace one: the kernel's installed kselftests. */
export function testLayers(cell: Pick<Cell, 'tests'>): string[] {
  const layer = kselftestTestOf(cell)?.installed?.layer;
  return layer ? [layer] : [];
}
