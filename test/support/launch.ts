import type { LaunchOutcome } from '../../harness/vmm/types.js';

/** A VMM that exited 0 after a boot of ordinary size, its console whole. */
export const EXITED: LaunchOutcome = {
  kind: 'exited',
  code: 0,
  signal: null,
  durationMs: 900,
  firstOutputMs: 40,
  consoleBytes: 9000,
  consoleTruncated: false,
  stderrTail: [],
};
