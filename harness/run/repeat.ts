import type { CellRecord, CellRepeat } from '../report/types.js';
import { repeatedVerdict } from '../verdict/repeated.js';
import { describeNode, failingNodes, mergeBootTrees } from '../verdict/tree.js';

/** Which of a repeated cell's boots this is, for its folder and the progress lines. */
export interface BootIndex {
  /** 1-based. */
  index: number;
  of: number;
}

/** "boot 2 of 3", as the progress lines and the live block name a boot. */
export function bootText(boot: BootIndex): string {
  return `boot ${boot.index} of ${boot.of}`;
}

/**
 * One record from a cell's repeated boots (each already through its own
 * error-retries), decided by repeatedVerdict. A single boot is returned as
 * it is; so are boots that never started a VMM (the kernel was not built,
 * no guest image): booting again would end the same way.
 */
export function combineRepeats(boots: readonly CellRecord[]): CellRecord {
  const first = boots[0];
  if (!first) throw new Error('combineRepeats: no boots');
  if (boots.length === 1 || boots.every((b) => b.console === null && !b.interrupted)) return first;
  // the boot a reader wants to look at: the first that went against the matrix
  const shown = boots.find((b) => b.status === 'unexpected') ?? boots.at(-1)!;
  // an error boot tested nothing: its tests have no say
  const tests = shown.tests
    ? mergeBootTrees(
        shown.tests,
        boots.map((b) => (b.verdict === 'error' || b.verdict === 'skip' ? undefined : b.tests)),
      )
    : undefined;
  const flakyTests = (tests ? failingNodes(tests) : []).filter((n) => n.verdict === 'flaky');
  // boots that agree on the cell but not on one of its tests make the cell flaky too
  const verdict = flakyTests.length > 0 ? 'flaky' : repeatedVerdict(boots.map((b) => b.verdict));
  const repeats = boots.map(repeatOf);
  const agree = boots.every((b) => b.verdict === first.verdict);
  return {
    ...shown,
    verdict,
    status: repeatedStatus(verdict, boots),
    reasons: flakyTests.length > 0 && agree ? flakyTests.map(describeNode) : agree ? shown.reasons : disagreement(verdict, repeats),
    ...(tests ? { tests } : {}),
    repeats,
    ...(boots.some((b) => b.interrupted) ? { interrupted: true as const } : {}),
  };
}

/**
 * The cell's standing from its boots: flaky and error never go as
 * expected; otherwise the boots that tested the kernel agree on the
 * verdict, and the cell stands as they do (a fail of tests the matrix
 * expects to fail is as expected in each, and so in the cell).
 */
function repeatedStatus(verdict: CellRecord['verdict'], boots: readonly CellRecord[]): CellRecord['status'] {
  if (verdict === 'skip') return 'skipped';
  if (verdict === 'flaky' || verdict === 'error') return 'unexpected';
  const tested = boots.filter((b) => b.verdict === verdict).map((b) => b.status);
  return tested.length > 0 && tested.every((s) => s === tested[0]) ? tested[0]! : 'unexpected';
}

function repeatOf(record: CellRecord, i: number): CellRepeat {
  return {
    boot: i + 1,
    verdict: record.verdict,
    status: record.status,
    reasons: record.reasons,
    ...(record.hint ? { hint: record.hint } : {}),
    devices: record.devices,
    ...(record.tests ? { tests: record.tests } : {}),
    bootMs: record.timings.bootMs,
    ...(record.timings.startedAt ? { startedAt: record.timings.startedAt } : {}),
    console: record.console,
    reproduce: record.reproduce,
    ...(record.retried?.length ? { retried: record.retried } : {}),
    ...(record.interrupted ? { interrupted: true as const } : {}),
  };
}

/** What the boots said, one line each, under a line that names the outcome. */
function disagreement(verdict: CellRecord['verdict'], repeats: readonly CellRepeat[]): string[] {
  const list = repeats.map((r) => r.verdict).join(', ');
  const head =
    verdict === 'flaky'
      ? `flaky: ${repeats.length} boots disagree (${list})`
      : verdict === 'error'
        ? `not every boot could be tested (${list}): a pass needs every boot to pass`
        : `${repeats.length} boots (${list}): every boot that tested the kernel ended ${verdict}`;
  return [head, ...repeats.map((r) => `boot ${r.boot}: ${r.verdict}${r.reasons[0] ? `: ${r.reasons[0]}` : ''}`)];
}
