import type { ConsoleObservation, LkvmRecord } from '../console/types.js';
import type { Cell } from '../matrix/types.js';
import type { LaunchOutcome } from '../vmm/types.js';
import { describeIncident } from '../console/incidents.js';
import { decideCell } from './decide.js';
import type { CellVerdict, TestReading } from './types.js';

export interface NestedObservation {
  /** The host kernel's and host agent's output, parsed with the host's nonce. */
  host: ConsoleObservation;
  /** The guest's console as relayed by the host agent, parsed with the guest's nonce. */
  guest: ConsoleObservation;
  /** lkvm's stderr lines. */
  lkvmStderr: string[];
}

const HOST_HINT =
  'see the host lines (no "guest| " prefix) in console.log; the host kernel needs CONFIG_KVM and QEMU -M virt,virtualization=on';

/**
 * Decides a nested kvmtool cell. Whatever goes wrong in the host (it does
 * not boot, has no KVM, lkvm is missing or crashes, the guest stays silent)
 * is `error`: it says nothing about the kernel under test. Only the guest's
 * own console and records can make a cell `fail` or `pass`.
 */
export function decideNestedCell(cell: Cell, launch: LaunchOutcome, obs: NestedObservation, readings: readonly TestReading[]): CellVerdict {
  if (launch.kind === 'spawn-failed') return decideCell(cell, launch, obs.guest, readings);
  const host = obs.host.agent;
  const hostTrouble = obs.host.incidents.map((i) => `nested host: ${describeIncident(i)}`);
  const stopped = launch.kind === 'timed-out' ? `the nested host was stopped after ${launch.timeoutSec} s` : 'the nested host powered off';
  const error = (reason: string, hint: string, more: string[] = []): CellVerdict => ({
    verdict: 'error',
    reasons: [reason, ...hostTrouble, ...more],
    hint,
    devices: [],
    tests: [],
  });

  if (!host.begin) {
    return error(`${stopped} before its agent started`, HOST_HINT, launch.stderrTail.slice(-3));
  }
  if (host.kvm && host.kvm.state !== 'ok') {
    return error(`KVM is ${host.kvm.state} in the nested host${host.kvm.detail ? ` (${host.kvm.detail})` : ''}`, HOST_HINT);
  }
  const lkvm = host.lkvm;
  if (!host.kvm || !lkvm) {
    return error(`${stopped} before lkvm finished`, HOST_HINT, obs.lkvmStderr.slice(-3));
  }
  if (lkvm.result === 'no-args' || lkvm.result === 'exec-failed') {
    return error(
      `lkvm did not start in the nested host: ${lkvm.result}${lkvm.detail ? ` (${lkvm.detail})` : ''}`,
      'kvmatrix checks that lkvm is a static arm64 ELF; see the host lines of console.log',
      obs.lkvmStderr.slice(-3),
    );
  }
  const silent = obs.guest.kernelVersion === null && obs.guest.times.firstKernelLine === null && !obs.guest.agent.begin;
  if (silent) {
    const how = lkvmEnd(lkvm);
    return error(
      `lkvm started but the guest printed nothing (lkvm ${how})`,
      lkvm.result === 'timeout'
        ? 'kvmtools from before mid-2020 load an arm64 Image at a fixed offset and cannot boot kernels since 5.8; use a newer kvmtool or an older guest'
        : 'lkvm refused the guest or its arguments; see its lines (prefix "lkvm| ") in console.log',
      obs.lkvmStderr.slice(-5),
    );
  }
  const guestLaunch: LaunchOutcome = {
    durationMs: Math.round((lkvm.seconds ?? 0) * 1000),
    firstOutputMs: null,
    consoleBytes: lkvm.guestBytes ?? obs.guest.bytes,
    consoleTruncated: launch.consoleTruncated,
    stderrTail: obs.lkvmStderr.slice(-10),
    ...(lkvm.result === 'timeout'
      ? { kind: 'timed-out' as const, timeoutSec: lkvm.after ?? 0 }
      : { kind: 'exited' as const, code: lkvm.code, signal: lkvm.signal === null ? null : String(lkvm.signal) }),
  };
  const verdict = decideCell(cell, guestLaunch, obs.guest, readings);
  // a host that panicked or warned while the guest ran cannot vouch for it
  if (verdict.verdict === 'pass' && hostTrouble.length > 0) {
    return { ...verdict, verdict: 'error', reasons: hostTrouble, hint: HOST_HINT, failedByTests: false };
  }
  return verdict;
}

function lkvmEnd(lkvm: LkvmRecord): string {
  switch (lkvm.result) {
    case 'timeout':
      return `was stopped after ${lkvm.after} s`;
    case 'signal':
      return `died of signal ${lkvm.signal}`;
    default:
      return `exited with code ${lkvm.code}`;
  }
}
