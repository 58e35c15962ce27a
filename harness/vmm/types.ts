/** A command to start a VM, as an argv array: never a shell string. */
export interface VmmCommand {
  argv: [string, ...string[]];
  /** Files the command reads, for the reproduce script to check first. */
  inputs: string[];
}

interface LaunchCommon {
  /** When the VMM was spawned, ISO 8601. */
  startedAt?: string;
  /** From spawn to exit (or kill), milliseconds. */
  durationMs: number;
  /** From spawn to the first console byte; null when the guest printed nothing. */
  firstOutputMs: number | null;
  consoleBytes: number;
  /** True when output beyond the cap was dropped. */
  consoleTruncated: boolean;
  /** The VMM's own stderr, last lines. */
  stderrTail: string[];
}

export type LaunchOutcome =
  | (LaunchCommon & { kind: 'exited'; code: number | null; signal: string | null })
  | (LaunchCommon & { kind: 'timed-out'; timeoutSec: number })
  | (LaunchCommon & { kind: 'spawn-failed'; message: string });
