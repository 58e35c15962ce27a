import type { ConsoleObservation } from '../console/types.js';
import type { Cell } from '../matrix/types.js';
import type { CellRecord, KvmtoolArtifacts } from '../report/types.js';
import type { CellJudgement } from '../verdict/types.js';
import type { LaunchOutcome } from '../vmm/types.js';

export type { KvmtoolArtifacts };

export interface BootArtifacts {
  launch: LaunchOutcome;
  /** The guest's console, parsed (for a nested cell, the relayed part). */
  observation: ConsoleObservation;
  /** Relative to the run folder. */
  console: string;
  reproduce: string;
  command: string[];
  kvmtool?: KvmtoolArtifacts;
}

/** The results.json record of one cell, booted or not. */
export function cellRecord(cell: Cell, judged: CellJudgement, boot: BootArtifacts | null): CellRecord {
  const obs = boot?.observation;
  return {
    id: cell.id,
    kernel: cell.kernel.id,
    vmm: cell.vmm.id,
    vmmType: cell.vmm.type,
    transport: cell.transport,
    topology: cell.topology,
    verdict: judged.verdict,
    expected: judged.expected,
    ...(judged.expectedWhy ? { expectedWhy: judged.expectedWhy } : {}),
    ...(judged.expectedBy ? { expectedBy: judged.expectedBy } : {}),
    status: judged.status,
    reasons: judged.reasons,
    ...(judged.hint ? { hint: judged.hint } : {}),
    devices: judged.devices,
    ...(judged.tests.length > 0 ? { tests: judged.tests } : {}),
    incidents: (obs?.incidents ?? []).map(({ kind, line, summary }) => ({ kind, line, summary })),
    timings: {
      ...(boot?.launch.startedAt ? { startedAt: boot.launch.startedAt } : {}),
      bootMs: boot?.launch.durationMs ?? null,
      firstOutputMs: boot?.launch.firstOutputMs ?? null,
      kernelFirstLine: obs?.times.firstKernelLine ?? null,
      initStarted: obs?.times.initStarted ?? null,
      agentDone: obs?.times.agentDone ?? null,
    },
    // a VMM that never started booted nothing: no console to point at
    console: boot && boot.launch.kind !== 'spawn-failed' ? boot.console : null,
    consoleBytes: boot?.launch.consoleBytes ?? 0,
    consoleTruncated: boot?.launch.consoleTruncated ?? false,
    consoleCapBytes: cell.boot.consoleCapBytes,
    reproduce: boot?.reproduce ?? null,
    command: boot?.command ?? null,
    consoleTail: obs?.tail.slice(-20) ?? [],
    ...(boot?.kvmtool ? { kvmtool: boot.kvmtool } : {}),
  };
}

/**
 * A cell the run was stopped before it finished: an error, whatever the
 * VMM's end looked like (it was killed), marked so that reports say why.
 */
export function interruptedRecord(record: CellRecord, by: string): CellRecord {
  return {
    ...record,
    verdict: 'error',
    status: 'unexpected',
    reasons: [`interrupted: the run was stopped by ${by} before this cell finished`, ...record.reasons],
    interrupted: true,
  };
}
