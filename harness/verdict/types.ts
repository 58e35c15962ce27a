import type { Bar, CheckResult, Incident } from '../console/types.js';
import type { DeviceKind, DeviceSlot, ExpectedVerdict } from '../matrix/types.js';
import type { ExpectationStatus, ExpectedBy, TestNode, UnjudgedNode } from './tree.js';

/**
 * pass: every device the cell asked for probed, is healthy and did its I/O.
 * fail: the kernel under test misbehaved (a device failed, a panic, an Oops).
 * error: the harness or host could not give the kernel a fair test (VMM
 *   missing or crashed, kernel not built, guest silent, records damaged).
 * timeout: the guest did not finish in time; its process tree was killed.
 * skip: the cell was not run, and the reason says why.
 * flaky: a cell booted more than once whose boots disagree (one passed,
 *   another failed or hung): never as expected. One boot is never flaky.
 */
export type Verdict = 'pass' | 'fail' | 'error' | 'timeout' | 'skip' | 'flaky';

/** What one boot can come to; only a cell's repeated boots together can be `flaky`. */
export type BootVerdict = Exclude<Verdict, 'flaky'>;

export const VERDICTS: readonly Verdict[] = ['pass', 'fail', 'error', 'timeout', 'skip', 'flaky'];

/** A count of 0 for every verdict. */
export function noVerdicts(): Record<Verdict, number> {
  return Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<Verdict, number>;
}

/**
 * What one kind of test read of a boot (test-kinds/kind.ts), as decideCell
 * takes it: the stages below the kinds know them only by this.
 */
export interface TestReading {
  /** Its node in the cell's tree; null when the console held nothing to make one of. */
  node: UnjudgedNode | null;
  /** Why its results cannot be believed: the cell's error, and its node is not shown. */
  untrusted: string[];
  /** What the matrix asked of it that does not fit what was built: the cell's error, with what to do. */
  problems: { reasons: string[]; hint: string } | null;
  /** Its tests stopped part-way: the kernel went down inside them. */
  crashed: boolean;
  /** Where a guest that hung in its tests was, for the timeout's reason (`the kernel hung in KUnit, before the agent`). */
  hungIn?: string;
  /** What to do when its results are not believed: the cell's hint. */
  untrustedHint?: string;
  /** The cell's devices, when this kind checks them (the probe). */
  devices?: DeviceOutcome[];
  /**
   * The kernel's reports, when this kind takes charge of those printed inside
   * its tests: the ones the cell still answers for (outside), and the ones
   * that failed a test of its own, which go back to the cell when its node
   * is not shown (held). Absent: the cell answers for every report.
   */
  incidents?: { outside: Incident[]; held: Incident[] };
}

export interface DeviceCheck {
  result: CheckResult;
  detail: string;
}

/** What became of one device the cell asked for. */
export interface DeviceOutcome {
  name: string;
  kind: DeviceKind;
  position: number;
  bdf: string | null;
  /** vendor:device as lspci prints it. */
  pciId: string | null;
  /** The transport the device presented, from its PCI device id. */
  presented: 'legacy' | 'modern' | null;
  bar0: Bar | null;
  bars: Bar[];
  pciDriver: string | null;
  virtioDev: string | null;
  virtioDriver: string | null;
  status: number | null;
  /** Status bits by name, e.g. ACKNOWLEDGE|DRIVER|DRIVER_OK. */
  statusNames: string[];
  check: DeviceCheck | null;
  /** Empty when the device is healthy. */
  problems: string[];
}

export interface CellVerdict {
  verdict: Verdict;
  /** Why, most important first; empty for a clean pass. */
  reasons: string[];
  /** For error verdicts: what to do about it. */
  hint?: string;
  devices: DeviceOutcome[];
  /** The cell's tree of tests (probe, kunit), before the matrix's expectations are applied. */
  tests: UnjudgedNode[];
  /** A fail that comes from failing tests alone, not from kernel trouble outside them: the matrix may expect those tests to fail. */
  failedByTests?: boolean;
  /** The path of the tree's node whose leaves are the devices: the reasons describe those already. */
  devicesAt?: string;
}

export interface CellJudgement extends Omit<CellVerdict, 'tests'> {
  expected: ExpectedVerdict;
  expectedWhy?: string;
  /** The expect rule behind `expected`; none for the default, pass. */
  expectedBy?: ExpectedBy;
  status: ExpectationStatus;
  tests: TestNode[];
}

export type { DeviceSlot };
