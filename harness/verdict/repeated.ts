import type { Verdict } from './types.js';

/**
 * The verdict of a cell booted several times, from each boot's verdict.
 *
 * Boots that agree keep their verdict. Fair tests that disagree (a pass and
 * a fail, a fail and a timeout) make the cell `flaky`: an intermittent
 * misbehaviour of the kernel is a finding, not noise. An `error` boot tested
 * nothing (the host or the VMM let it down; it was already retried), so it
 * is no disagreement: but it leaves a pass unproven, and a cell is `pass`
 * only when every boot passed.
 */
export function repeatedVerdict(verdicts: readonly Verdict[]): Verdict {
  if (verdicts.length === 0) throw new Error('repeatedVerdict: no boots');
  const untested = verdicts.filter((v) => v === 'error' || v === 'skip');
  const fair = new Set(verdicts.filter((v) => v !== 'error' && v !== 'skip'));
  if (fair.size > 1) return 'flaky';
  const [only] = [...fair];
  if (only === undefined) return untested.includes('error') ? 'error' : 'skip';
  if (only === 'pass' && untested.length > 0) return 'error';
  return only;
}
