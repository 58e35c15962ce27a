import { companionNames } from '../kernel/test-inputs.js';
import { isBuildStage, type KernelStage } from '../kernel/types.js';
import { isFailing, type TestVerdict } from './tree.js';
import type { Verdict } from './types.js';

/**
 * Exit codes of `kvmatrix bisect-run`, as `git bisect run` reads them:
 * 0 good, 1 bad, 125 skip this commit, and anything from 128 up aborts the
 * bisect, so that trouble with the harness or the host is never blamed on
 * a commit.
 */
export const BISECT_EXIT = { good: 0, bad: 1, skip: 125, abort: 128, usage: 129 } as const;
export type BisectExitCode = (typeof BISECT_EXIT)[keyof typeof BISECT_EXIT];
export type BisectMark = 'good' | 'bad' | 'skip' | 'abort';

/** What one bisect step came to, before it is an exit code. */
export type BisectStepResult =
  /** The kernel could not be obtained. `ended` says how its last command ended. */
  | { kind: 'kernel-failed'; stage: KernelStage; ended: 'failed' | 'timed-out' | 'interrupted' }
  | { kind: 'booted'; verdict: Verdict }
  /** --test: the cell booted, and these are the verdicts of the tests the glob names (none: not in this kernel). */
  | { kind: 'tested'; glob: string; verdict: Verdict; tests: TestVerdict[] };

export interface BisectDecision {
  mark: BisectMark;
  code: BisectExitCode;
  /** One line on why this commit gets this mark. */
  why: string;
}

/**
 * The mark a commit gets. A commit whose tree does not build, whose
 * config lacks what the cell needs, or that a requested patch does not
 * apply to cannot be tested: skip. A source that cannot be read, a
 * missing toolchain, a build that ran out of time or was interrupted, a
 * VMM that could not run the cell: abort. A guest that hung is the
 * kernel's doing: bad. Tries that disagree (flaky) are bad too: an
 * intermittent regression called good sends the bisect the wrong way.
 */
export function bisectDecision(result: BisectStepResult): BisectDecision {
  if (result.kind === 'kernel-failed') {
    if (result.ended !== 'failed') {
      return abort(`the kernel ${result.stage} step ${result.ended === 'timed-out' ? 'ran out of time' : 'was interrupted'}`);
    }
    // a companion built after the kernel (its selftests) from this commit's tree
    if (!isBuildStage(result.stage)) return skip(`the ${companionNames(result.stage).built} do not build at this commit`);
    switch (result.stage) {
      case 'build':
        return skip('the kernel does not build at this commit');
      case 'config':
        return skip("this commit's kernel config lacks what the cell needs");
      case 'patch':
        return skip('a requested patch does not apply at this commit');
      case 'source':
        return abort('the kernel source could not be read');
      case 'toolchain':
        return abort('the cross compiler is missing');
    }
  }
  if (result.kind === 'tested') return testDecision(result);
  switch (result.verdict) {
    case 'pass':
      return { mark: 'good', code: BISECT_EXIT.good, why: 'the cell passed' };
    case 'fail':
      return { mark: 'bad', code: BISECT_EXIT.bad, why: 'the cell failed' };
    case 'timeout':
      return { mark: 'bad', code: BISECT_EXIT.bad, why: 'the guest hung until the boot timeout' };
    case 'flaky':
      // an intermittent regression is a regression: calling it good would send the bisect the wrong way
      return { mark: 'bad', code: BISECT_EXIT.bad, why: 'the tries disagree: at least one failed or hung where another passed' };
    case 'error':
      return abort('the harness or host could not test the kernel fairly (verdict error)');
    case 'skip':
      return abort('the cell cannot run on this machine (verdict skip)');
  }
}

/**
 * By the tests a glob names alone: bad when any failed, crashed, hung or
 * disagreed between tries, good when they passed. A commit whose kernel
 * has none of them (the suite not built, the case not there yet), or
 * only skips them, cannot say: skip. The cell's own error (the harness's
 * or the host's trouble) aborts as without --test.
 */
function testDecision(result: Extract<BisectStepResult, { kind: 'tested' }>): BisectDecision {
  if (result.verdict === 'error') return abort('the harness or host could not test the kernel fairly (verdict error)');
  if (result.verdict === 'skip') return abort('the cell cannot run on this machine (verdict skip)');
  const failing = result.tests.filter(isFailing);
  if (failing.length > 0) {
    return { mark: 'bad', code: BISECT_EXIT.bad, why: `${result.glob}: ${failing.includes('flaky') ? 'the tries disagree' : failing[0]}` };
  }
  if (result.tests.length === 0) return skip(`no test ${result.glob} in this kernel (not built, or not run)`);
  if (result.tests.every((v) => v === 'skip')) return skip(`${result.glob} was skipped by the kernel`);
  return { mark: 'good', code: BISECT_EXIT.good, why: `${result.glob} passed` };
}

function skip(why: string): BisectDecision {
  return { mark: 'skip', code: BISECT_EXIT.skip, why };
}

function abort(why: string): BisectDecision {
  return { mark: 'abort', code: BISECT_EXIT.abort, why };
}
