/**
 * Commands: programs run in the guest after the probe, by the agent (PID
 * 1), one at a time, each in a process group of its own with a deadline.
 *
 * What it needs: the userspace layer (busybox, glibc) and the boot's own
 * archive (the key, each command, its files) appended to the guest's
 * initramfs, and the nonce off the command line, which a command can read
 * (guest/boot-archive.ts). How it reads results: the agent's cmdbegin and
 * cmdend records and the framed output between them
 * (console/command-output.ts). A command passes when it exits with the
 * status it is expected to; TAP or KTAP it prints becomes its subtests,
 * and one of them failing fails it too; an output that does not add up to
 * the agent's count and crc makes the cell an error, never a pass.
 */
import type { CommandObservation } from '../../console/types.js';
import { sanitizeLine } from '../../console/sanitize.js';
import type { PlannedCommand } from '../../guest/boot-archive.js';
import { childPath, globReachesChild, testPath, type TestPath } from '../../matrix/test-path.js';
import type { Cell, CommandTestSpec } from '../../matrix/types.js';
import { parseKtap } from '../../console/ktap.js';
import { foldVerdicts, isFailing, type UnjudgedNode } from '../../verdict/tree.js';
import { tapChildren, worst } from '../tap-tree.js';

export const COMMAND = 'command';

/** The most a command's log keeps on its leaf: the whole output is in console.log. */
const LOG_LINES = 200;

/** The command tests of a cell, in order. */
export function commandTestsOf(cell: Pick<Cell, 'tests'>): CommandTestSpec[] {
  return cell.tests.filter((t): t is CommandTestSpec => t.kind === 'command');
}

/** What the agent is asked to run: each command with its deadline and the output it may show. */
export function plannedCommands(cell: Pick<Cell, 'tests'>, capBytes: number): PlannedCommand[] {
  return commandTestsOf(cell).map((spec) => ({ name: spec.name, argv: spec.argv, timeoutSec: spec.timeoutSec, capBytes }));
}

/** Seconds the commands may take on top of the boot's timeout: each one's deadline, and a second to start it. */
export function commandAllowanceSec(cell: Pick<Cell, 'tests'>): number {
  return commandTestsOf(cell).reduce((sum, spec) => sum + spec.timeoutSec + 1, 0);
}

export interface CommandReading {
  node: UnjudgedNode;
  /** Output that does not add up: the cell's error, never a pass. */
  untrusted: string[];
}

/** The command node from what the agent reported: a leaf per command, in the matrix's order. */
export function readCommands(specs: readonly CommandTestSpec[], seen: readonly CommandObservation[]): CommandReading {
  const root = testPath(COMMAND);
  const untrusted: string[] = [];
  const children = specs.map((spec, i) =>
    agentCommandLeaf(
      { name: spec.name, program: spec.argv[0], timeoutSec: spec.timeoutSec, path: childPath(root, spec.name) },
      seen.find((c) => c.index === i + 1 && c.name === spec.name),
      (code) =>
        code === spec.expectExit
          ? { verdict: 'pass', reasons: [] }
          : { verdict: 'fail', reasons: [`exited ${code ?? '?'}, expected ${spec.expectExit}`] },
      untrusted,
    ),
  );
  return {
    node: { name: COMMAND, path: root, verdict: foldVerdicts(children.map((c) => c.verdict)), reasons: [], log: [], children },
    untrusted,
  };
}

/** A program the agent ran, as the tree names it. */
export interface AgentCommandName {
  /** The leaf's own name (its last path part). */
  name: string;
  program: string;
  timeoutSec: number;
  path: TestPath;
}

/**
 * One program the agent ran, as a leaf: its exit status judged by
 * `exitVerdict`, a timeout or a signal failing it, TAP or KTAP it printed
 * as its subtests. Output that does not add up is pushed to `untrusted`.
 */
export function agentCommandLeaf(
  command: AgentCommandName,
  observed: CommandObservation | undefined,
  exitVerdict: (code: number | null) => { verdict: UnjudgedNode['verdict']; reasons: string[] },
  untrusted: string[],
): UnjudgedNode {
  const { name, path } = command;
  // TAP or KTAP the command printed about itself, every document of it, with or without a version line: its subtests
  const docs = observed ? parseKtap(observed.output.split('\n'), { versionless: true }).documents : [];
  const tap = tapChildren(docs, path);
  const leaf = (verdict: UnjudgedNode['verdict'], reasons: string[]): UnjudgedNode => {
    // an exit status that passes does not hide a subtest that failed, a plan left short or TAP that does not add up;
    // a program that skipped itself (kselftest's exit 4) may leave its plan short
    const broken = [...tap.problems, ...(verdict === 'skip' ? [] : tap.short)];
    const own = (verdict === 'pass' || verdict === 'skip') && broken.length > 0 ? 'fail' : verdict;
    return {
      name,
      path,
      verdict: tap.children.length > 0 ? withSubtests(foldVerdicts(tap.children.map((c) => c.verdict)), own) : own,
      reasons: [...reasons, ...tap.problems, ...tap.short],
      log: observed ? outputLines(observed) : [],
      children: tap.children,
    };
  };
  if (!observed) return leaf('crashed', ['never ran: the agent did not reach it (the guest stopped, or the console was cut, before it)']);
  const end = observed.end;
  if (!end) return leaf('crashed', [`never ended: the console stopped while it ran (${command.timeoutSec} s allowed)`]);
  if (!observed.outputIntact) {
    untrusted.push(
      `command ${observed.name}: its output on the console does not add up to the ${end.shown} bytes the agent showed (lost, or written by someone else)`,
    );
  }
  const cut = end.bytes > end.shown ? [`output cut at ${end.shown} of ${end.bytes} bytes`] : [];
  switch (end.result) {
    case 'exit': {
      const judged = exitVerdict(end.code);
      return leaf(judged.verdict, [...judged.reasons, ...(judged.verdict === 'pass' ? [] : cut)]);
    }
    case 'timeout':
      return leaf('timeout', [`did not finish within ${command.timeoutSec} s: killed with its process group`, ...cut]);
    case 'signal':
      return leaf('fail', [`killed by signal ${end.signal ?? '?'}`, ...cut]);
    case 'exec-failed':
      return leaf('fail', [`could not run ${command.program}: ${end.detail}`]);
    default:
      return leaf('fail', [`the agent could not run it (${end.result}): ${end.detail}`]);
  }
}

/** A program that skipped itself stays skipped beside subtests that passed; one that failed fails it. */
function withSubtests(folded: UnjudgedNode['verdict'], own: UnjudgedNode['verdict']): UnjudgedNode['verdict'] {
  return own === 'skip' && !isFailing(folded) ? 'skip' : worst(folded, own);
}

/** The output's last lines, cleaned for reports; the whole of it is in the cell's console. */
function outputLines(observed: CommandObservation): string[] {
  const lines = observed.output.replace(/\n$/, '').split('\n');
  const shown =
    lines.length > LOG_LINES ? [`(${lines.length - LOG_LINES} earlier lines in console.log)`, ...lines.slice(-LOG_LINES)] : lines;
  return observed.output === '' ? [] : shown.map(sanitizeLine);
}

/** Whether a --test glob names this command, or something below it. */
export function globReachesCommand(glob: string, name: string): boolean {
  return globReachesChild(glob, COMMAND, name);
}
