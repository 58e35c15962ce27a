import type { ConsoleObservation, Incident } from '../console/types.js';
import type { Cell, Expectation, ExpectedVerdict } from '../matrix/types.js';
import type { LaunchOutcome } from '../vmm/types.js';
import { assessDevices, describeDevice } from './devices.js';
import type { CellJudgement, CellVerdict, ExpectationStatus, Verdict } from './types.js';

/**
 * Decides a booted cell from how its VMM ended and what its console said.
 * Kernel trouble is `fail`; trouble that leaves the kernel untested is
 * `error`; incomplete agent records are never a pass.
 */
export function decideCell(cell: Cell, launch: LaunchOutcome, obs: ConsoleObservation): CellVerdict {
  if (launch.kind === 'spawn-failed') {
    return {
      verdict: 'error',
      reasons: [`could not start the VMM: ${launch.message}`],
      hint: 'run `kvmatrix doctor`; is qemu-system-aarch64 installed (apt-get install qemu-system-arm)?',
      devices: [],
    };
  }
  const agent = obs.agent;
  const devices = agent.begin ? assessDevices(cell.devices, cell.transport, agent, obs.probeFailures) : [];
  const kernelReasons = obs.incidents.map(describeIncident);
  const deviceReasons = devices
    .filter((d) => d.problems.length > 0)
    .map((d) => `${describeDevice(d)}: ${d.problems.join('; ')}`);
  const claimed = new Set(devices.map((d) => d.virtioDev).filter(Boolean));
  const otherProbeFailures = obs.probeFailures
    .filter((p) => !claimed.has(p.device))
    .map((p) => `${p.driver}: probe of ${p.device} failed with error ${p.error}`);
  const complete = agent.end !== null && agent.missingSeqs.length === 0;
  const truncated = launch.consoleTruncated ? [`console cut at the cap after ${launch.consoleBytes} bytes`] : [];

  if (launch.kind === 'timed-out') {
    if (obs.incidents.some((i) => i.kind === 'panic')) {
      return { verdict: 'fail', reasons: [...kernelReasons, `then hung until the ${launch.timeoutSec} s timeout`], devices };
    }
    if (launch.consoleBytes === 0) {
      return {
        verdict: 'error',
        reasons: [`the VMM started but the guest printed nothing in ${launch.timeoutSec} s`],
        hint: 'the VMM may not be able to load this kernel (wrong Image, load address or console); try `kvmatrix boot` and watch the console',
        devices,
      };
    }
    const where = agent.end
      ? 'the agent finished but the guest did not power off'
      : agent.begin
        ? 'the agent started but did not finish'
        : 'the guest did not reach the agent';
    return {
      verdict: 'timeout',
      reasons: [`${where} within ${launch.timeoutSec} s`, ...kernelReasons, ...deviceReasons, ...truncated],
      devices,
    };
  }

  // the VMM exited
  if (!complete) {
    const missing = describeMissing(obs);
    if (kernelReasons.length > 0) {
      return { verdict: 'fail', reasons: [...kernelReasons, missing, ...deviceReasons], devices };
    }
    const exit = launch.code === 0 ? 'the guest powered off' : `the VMM exited with ${exitText(launch)}`;
    return {
      verdict: 'error',
      reasons: [`${exit} before the agent reported everything: ${missing}`, ...truncated, ...launch.stderrTail.slice(-3)],
      hint:
        launch.code === 0
          ? 'the console lost records (cap, damage, or an init that is not the kvmatrix agent)'
          : 'the VMM crashed or refused its arguments; see the stderr lines and the console log',
      devices,
    };
  }
  const failures = [...kernelReasons, ...deviceReasons, ...otherProbeFailures];
  if (failures.length > 0) return { verdict: 'fail', reasons: failures, devices };
  if (launch.code !== 0) {
    return {
      verdict: 'error',
      reasons: [`the agent finished but the VMM exited with ${exitText(launch)}`, ...launch.stderrTail.slice(-3)],
      devices,
    };
  }
  return { verdict: 'pass', reasons: [], devices };
}

/** Compares a verdict with the cell's expectation. */
export function judge(verdict: CellVerdict, expect: Expectation): CellJudgement {
  const status = expectationStatus(verdict.verdict, expect.verdict);
  const reasons = [...verdict.reasons];
  if (expect.verdict === 'fail' && verdict.verdict === 'pass') {
    reasons.unshift(`regression signature missing: expected fail${expect.why ? ` (${expect.why})` : ''}`);
  }
  return {
    ...verdict,
    reasons,
    expected: expect.verdict,
    ...(expect.why ? { expectedWhy: expect.why } : {}),
    status,
  };
}

/** A skip is neither; otherwise a cell is as expected only with the very verdict the matrix expects (so never when flaky). */
export function expectationStatus(verdict: Verdict, expected: ExpectedVerdict): ExpectationStatus {
  if (verdict === 'skip') return 'skipped';
  return verdict === expected ? 'as-expected' : 'unexpected';
}

/** A cell that was never booted: not built, no VMM, not implemented. */
export function unbootedVerdict(verdict: Extract<Verdict, 'error' | 'skip'>, reason: string, hint?: string): CellVerdict {
  return { verdict, reasons: [reason], ...(hint ? { hint } : {}), devices: [] };
}

export function describeIncident(incident: Incident): string {
  const label = { panic: 'kernel panic', oops: 'kernel Oops', bug: 'kernel BUG', warning: 'kernel WARNING' }[incident.kind];
  return `${label} at console line ${incident.line}: ${incident.summary}`;
}

function describeMissing(obs: ConsoleObservation): string {
  const a = obs.agent;
  if (!a.begin && a.rejected.length === 0) return 'no agent records at all';
  const parts: string[] = [];
  if (!a.begin) parts.push('no begin record');
  if (!a.end) parts.push('no end record');
  if (a.missingSeqs.length > 0) parts.push(`records ${a.missingSeqs.slice(0, 10).join(', ')} missing or damaged`);
  if (a.rejected.length > 0) parts.push(`${a.rejected.length} rejected (${a.rejected[0]!.reason})`);
  return parts.join(', ');
}

function exitText(launch: Extract<LaunchOutcome, { kind: 'exited' }>): string {
  return launch.signal ? `signal ${launch.signal}` : `code ${launch.code}`;
}
