import type { CommandTestSpec } from '../../matrix/types.js';
import { NO_PAYLOAD, type TestKind } from '../kind.js';
import { UNTRUSTED_HINT } from '../trust-hint.js';
import { commandAllowanceSec, commandTestsOf, globReachesCommand, plannedCommands, readCommands } from './command.js';

/** A program the matrix names, run by the agent (command.ts). */
export const commandKind: TestKind<CommandTestSpec> = {
  kind: 'command',
  kernelInputs: () => ({}),
  kernelArgs: () => [],
  withKernel: (cell) => cell,
  userspace: true,
  guest: (cell, capBytes) => ({
    ...NO_PAYLOAD,
    programs: plannedCommands(cell, capBytes),
    files: commandTestsOf(cell).flatMap((spec) => spec.files),
  }),
  allowanceSec: commandAllowanceSec,
  read(cell, obs) {
    if (!obs.agent.begin) return null;
    const read = readCommands(commandTestsOf(cell), obs.commands);
    return { node: read.node, untrusted: read.untrusted, untrustedHint: UNTRUSTED_HINT, problems: null, crashed: false };
  },
  narrow: (spec, glob) => (globReachesCommand(glob, spec.name) ? spec : null),
  describe: (spec) => ({
    text: `command.${spec.name}`,
    json: { kind: spec.kind, name: spec.name, run: spec.argv, files: spec.files, timeout: spec.timeoutSec, expect_exit: spec.expectExit },
  }),
};
