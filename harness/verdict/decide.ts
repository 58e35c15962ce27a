import { describeIncident } from '../console/incidents.js';
import { cellIncidents, readingShown } from './cell-incidents.js';
import type { ConsoleObservation } from '../console/types.js';
import { globMatchesPath } from '../matrix/test-path.js';
import type { Cell, Expectation, ExpectedVerdict, LeafExpectation } from '../matrix/types.js';
import type { LaunchOutcome } from '../vmm/types.js';
import { describeDevice } from './devices.js';
import { applyExpectations, describeNode, failingNodes, isFailing, nodesOf, pruneTo, type TestNode } from './tree.js';
import type { CellJudgement, CellVerdict, TestReading, Verdict } from './types.js';
import type { ExpectationStatus } from './tree.js';

/** How many tests a cell's reasons name one by one. */
const MAX_TEST_REASONS = 200;

/**
 * Decides a booted cell from how its VMM ended, what its console said and
 * what each kind of its tests read there (test-kinds/registry.ts
 * readKinds). Kernel trouble is `fail`; trouble that leaves the kernel
 * untested is `error`; incomplete agent records, or results a kind cannot
 * vouch for, are never a pass. A test that failed (a device, a KUnit
 * case) fails the cell; whether the matrix expected that is judge's.
 */
export function decideCell(_cell: Cell, launch: LaunchOutcome, obs: ConsoleObservation, readings: readonly TestReading[]): CellVerdict {
  if (launch.kind === 'spawn-failed') {
    return {
      verdict: 'error',
      reasons: [`could not start the VMM: ${launch.message}`],
      hint: 'run `kvmatrix doctor`; is qemu-system-aarch64 installed (apt-get install qemu-system-arm)?',
      devices: [],
      tests: [],
    };
  }
  const agent = obs.agent;
  const complete = agent.end !== null && agent.missingSeqs.length === 0;
  const devices = readings.flatMap((r) => r.devices ?? []);
  // results the agent cannot vouch for are no test's results: not shown as passed or failed anywhere
  const tests = readings.filter(readingShown).map((r) => r.node!);
  const kernelReasons = cellIncidents(obs.incidents, readings).map(describeIncident);
  // reports nobody read cannot have been excused: the cell answers for them
  if (obs.incidentsDropped > 0)
    kernelReasons.push(`${obs.incidentsDropped} more kernel reports after the first ${obs.incidents.length}: counted, not read one by one`);
  const deviceReasons = devices.filter((d) => d.problems.length > 0).map((d) => `${describeDevice(d)}: ${d.problems.join('; ')}`);
  const claimed = new Set(devices.map((d) => d.virtioDev).filter(Boolean));
  const otherProbeFailures = obs.probeFailures
    .filter((p) => !claimed.has(p.device))
    .map((p) => `${p.driver}: probe of ${p.device} failed with error ${p.error}`);
  const truncated = launch.consoleTruncated ? [`console cut at the cap after ${launch.consoleBytes} bytes`] : [];
  const crashed = readings.some((r) => r.crashed);
  const devicesAt = readings.find((r) => r.devices !== undefined && r.node !== null)?.node?.path;
  const verdict = (v: Omit<CellVerdict, 'devices' | 'tests'>): CellVerdict => ({
    ...v,
    devices,
    tests,
    ...(devicesAt ? { devicesAt } : {}),
  });

  if (launch.kind === 'timed-out') {
    if (kernelReasons.length > 0 && obs.incidents.some((i) => i.kind === 'panic')) {
      return verdict({ verdict: 'fail', reasons: [...kernelReasons, `then hung until the ${launch.timeoutSec} s timeout`] });
    }
    if (launch.consoleBytes === 0) {
      return verdict({
        verdict: 'error',
        reasons: [`the VMM started but the guest printed nothing in ${launch.timeoutSec} s`],
        hint: 'the VMM may not be able to load this kernel (wrong Image, load address or console); try `kvmatrix boot` and watch the console',
      });
    }
    const where = agent.end
      ? 'the agent finished but the guest did not power off'
      : agent.begin
        ? 'the agent started but did not finish'
        : crashed
          ? (readings.find((r) => r.crashed && r.hungIn)?.hungIn ?? 'the kernel hung in a test, before the agent')
          : 'the guest did not reach the agent';
    return verdict({
      verdict: 'timeout',
      reasons: [`${where} within ${launch.timeoutSec} s`, ...kernelReasons, ...deviceReasons, ...truncated],
    });
  }

  // the VMM exited
  if (agent.conflicts.length > 0) {
    // no winner is picked: neither the devices nor the tests the records speak of are shown
    return {
      devices: [],
      tests: [],
      verdict: 'error',
      reasons: [`the agent's records contradict each other: ${agent.conflicts.slice(0, 3).join('; ')}`, ...kernelReasons],
      hint: "records signed with this boot's nonce that the agent did not write: a program in the guest wrote them (root can read the nonce from the agent's memory); no result of this boot is believed",
    };
  }
  if (!complete) {
    const missing = describeMissing(obs);
    if (kernelReasons.length > 0 || (crashed && launch.code === 0)) {
      // the kernel went down by itself (a panic reboots, -no-reboot ends QEMU)
      return verdict({ verdict: 'fail', reasons: [...kernelReasons, missing, ...deviceReasons] });
    }
    const exit = launch.code === 0 ? 'the guest powered off' : `the VMM exited with ${exitText(launch)}`;
    return verdict({
      verdict: 'error',
      reasons: [`${exit} before the agent reported everything: ${missing}`, ...truncated, ...launch.stderrTail.slice(-3)],
      hint:
        launch.code === 0
          ? 'the console lost records (cap, damage, or an init that is not the kvmatrix agent)'
          : 'the VMM crashed or refused its arguments; see the stderr lines and the console log',
    });
  }
  const outside = [...kernelReasons, ...otherProbeFailures];
  const untrusted = readings.flatMap((r) => r.untrusted);
  if (outside.length > 0) return verdict({ verdict: 'fail', reasons: [...outside, ...deviceReasons, ...untrusted] });
  const problems = readings.find((r) => r.problems && r.problems.reasons.length > 0)?.problems;
  if (problems) return verdict({ verdict: 'error', reasons: problems.reasons, hint: problems.hint });
  if (untrusted.length > 0) {
    return verdict({
      verdict: 'error',
      reasons: [...untrusted, ...truncated],
      hint:
        readings.find((r) => r.untrusted.length > 0 && r.untrustedHint)?.untrustedHint ??
        'results the agent cannot vouch for are never a pass; see the console log',
    });
  }
  if (deviceReasons.length > 0 || tests.some((t) => isFailing(t.verdict))) {
    return verdict({ verdict: 'fail', reasons: deviceReasons, failedByTests: true });
  }
  if (launch.code !== 0) {
    return verdict({
      verdict: 'error',
      reasons: [`the agent finished but the VMM exited with ${exitText(launch)}`, ...launch.stderrTail.slice(-3)],
    });
  }
  return verdict({ verdict: 'pass', reasons: [] });
}

/** A leaf of the devices' node: the cell's reasons describe it already, with its bus address and BAR. */
function isDeviceLeaf(node: TestNode, devicesAt: string | undefined): boolean {
  return devicesAt !== undefined && node.path.startsWith(`${devicesAt}.`);
}

export interface JudgeOptions {
  /** --test: the only tests kept, and the verdict theirs (an expect rule's glob may then name none of them). */
  only?: string;
}

/**
 * Compares a verdict with the cell's expectations: the cell's own, and
 * those of its tests (expect rules with `test:`). A cell whose only
 * failures are tests the matrix expects to fail goes as expected; any
 * other failing test, and a test that passed where it was expected to
 * fail, does not. An expect rule whose glob names no test of the cell is
 * a mistake the cell reports as an error, not a pass that never checked.
 */
export function judge(
  verdict: CellVerdict,
  expect: Expectation,
  leafRules: readonly LeafExpectation[] = [],
  options: JudgeOptions = {},
): CellJudgement {
  const kept = options.only === undefined ? verdict.tests : pruneTo(verdict.tests, options.only);
  const tests = applyExpectations(kept, leafRules, expect);
  const failing = failingNodes(tests);
  let reasons = [...verdict.reasons];
  let outcome = verdict.verdict;
  if (options.only !== undefined && verdict.failedByTests) {
    // the glob's tests decide: a failing one it leaves out (another parameter of a case it names) is not this verdict's
    outcome = failing.length > 0 ? 'fail' : 'pass';
    const devices = failing.filter((n) => isDeviceLeaf(n, verdict.devicesAt)).map((n) => n.name);
    reasons = reasons.filter((r) => devices.some((name) => r.startsWith(`${name} `) || r.startsWith(`${name}:`)));
  }
  const read = outcome === 'pass' || outcome === 'fail';
  const unmatched =
    read && options.only === undefined ? leafRules.filter((r) => !nodesOf(tests).some((n) => globMatchesPath(r.test, n.path))) : [];
  if (unmatched.length > 0) {
    outcome = 'error';
    reasons.unshift(...unmatched.map((r) => `expect rule test: '${r.test}' names no test of this cell`));
  }
  const unexpectedTests = nodesOf(tests).filter((n) => n.status === 'unexpected');
  if (outcome === 'fail' || outcome === 'pass' || outcome === 'timeout') {
    const named = testReasons(failing, unexpectedTests, verdict.devicesAt);
    // the tree holds every test; the cell's reasons name the first of them (a console may claim a million)
    for (const reason of named.slice(0, MAX_TEST_REASONS)) reasons.push(reason);
    if (named.length > MAX_TEST_REASONS) reasons.push(`and ${named.length - MAX_TEST_REASONS} more tests, in the tree`);
  }
  let status = expectationStatus(outcome, expect.verdict);
  // a cell expected to pass: failing tests alone, each one expected to fail, leave it as the matrix says
  if (outcome === 'fail' && expect.verdict === 'pass' && verdict.failedByTests && failing.length > 0) status = 'as-expected';
  if (status === 'as-expected' && expect.verdict === 'pass' && unexpectedTests.length > 0) status = 'unexpected';
  if (expect.verdict === 'fail' && outcome === 'pass') {
    reasons.unshift(`regression signature missing: expected fail${expect.why ? ` (${expect.why})` : ''}`);
  }
  return {
    ...verdict,
    verdict: outcome,
    tests,
    reasons,
    expected: expect.verdict,
    ...(expect.why ? { expectedWhy: expect.why } : {}),
    ...(expect.rule !== undefined ? { expectedBy: { rule: expect.rule, scope: 'cell' as const } } : {}),
    status,
  };
}

/**
 * A line for each test that did not go as it should, those the matrix did
 * not expect first; the probe's devices are not repeated (the cell's
 * reasons already describe each failed device with its bus address and BAR).
 */
function testReasons(failing: readonly TestNode[], unexpected: readonly TestNode[], devicesAt: string | undefined): string[] {
  const named = failing.filter((n) => !isDeviceLeaf(n, devicesAt));
  return [
    ...named.filter((n) => n.status === 'unexpected').map(describeNode),
    ...named
      .filter((n) => n.status !== 'unexpected')
      .map((n) => `${describeNode(n)} (expected${n.expectedWhy ? `: ${n.expectedWhy}` : ''})`),
    ...unexpected.filter((n) => !isFailing(n.verdict) && n.children.length === 0).map((n) => `${n.path}: ${n.reasons[0] ?? n.verdict}`),
  ];
}

/** A skip is neither; otherwise a cell is as expected only with the very verdict the matrix expects (so never when flaky). */
export function expectationStatus(verdict: Verdict, expected: ExpectedVerdict): ExpectationStatus {
  if (verdict === 'skip') return 'skipped';
  return verdict === expected ? 'as-expected' : 'unexpected';
}

/** A cell that was never booted: not built, no VMM, not implemented. */
export function unbootedVerdict(verdict: Extract<Verdict, 'error' | 'skip'>, reason: string, hint?: string): CellVerdict {
  return { verdict, reasons: [reason], ...(hint ? { hint } : {}), devices: [], tests: [] };
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
