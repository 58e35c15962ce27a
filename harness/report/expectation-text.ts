import type { ExpectedVerdict } from '../matrix/types.js';
import type { ExpectedBy, TestNode } from '../verdict/tree.js';
import type { ExpectationStatus } from '../verdict/tree.js';

/** `expect[2], the cell's rule`: the rule as a matrix error names its key. */
export function describeExpectedBy(by: ExpectedBy): string {
  return `expect[${by.rule}]${by.scope === 'cell' ? ", the cell's rule" : ''}`;
}

/**
 * `expected fail, by expect[2], the cell's rule: bit 14 masked`: what the
 * matrix expects of a cell or a test and which rule says so, worded the
 * same in every report, so that a failure a rule covers never reads as
 * one that contradicts its expectation: a cell or suite expected to pass
 * that failed as expected failed in tests that rules of their own expect to.
 */
export function expectationText(x: {
  verdict?: string;
  status?: ExpectationStatus;
  expected: ExpectedVerdict | TestNode['expected'];
  expectedWhy?: string;
  expectedBy?: ExpectedBy;
}): string {
  if (x.expected === 'pass' && x.status === 'as-expected' && x.verdict !== undefined && x.verdict !== 'pass' && x.verdict !== 'skip') {
    return 'expected pass, but for tests that rules of their own expect to fail';
  }
  return `expected ${x.expected}${x.expectedBy ? `, by ${describeExpectedBy(x.expectedBy)}` : ''}${x.expectedWhy ? `: ${x.expectedWhy}` : ''}`;
}
