import type { ExpectedVerdict } from '../matrix/types.js';
import type { ExpectedBy, TestNode } from '../verdict/tree.js';

/** `expect[2], the cell's rule`: the rule as a matrix error names its key. */
export function describeExpectedBy(by: ExpectedBy): string {
  return `expect[${by.rule}]${by.scope === 'cell' ? ", the cell's rule" : ''}`;
}

/**
 * `expected fail, by expect[2], the cell's rule: bit 14 masked`: what the
 * matrix expects of a cell or a test and which rule says so, worded the
 * same in every report, so that a failure a rule covers never reads as
 * one that contradicts its expectation.
 */
export function expectationText(x: { expected: ExpectedVerdict | TestNode['expected']; expectedWhy?: string; expectedBy?: ExpectedBy }): string {
  return `expected ${x.expected}${x.expectedBy ? `, by ${describeExpectedBy(x.expectedBy)}` : ''}${x.expectedWhy ? `: ${x.expectedWhy}` : ''}`;
}
