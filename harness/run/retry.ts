import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { CellAttempt, CellRecord } from '../report/types.js';
import type { RunEvents } from './run-options.js';

/**
 * Whether a cell's outcome may be retried: an `error` of a cell that was
 * booted (the VMM crashed, the guest stayed silent, records were damaged).
 * A fail or a timeout is the kernel's own and stands; a cell never booted
 * (its kernel did not build) would end the same way again; an interrupted
 * run retries nothing.
 */
export function mayRetry(record: CellRecord): boolean {
  return record.verdict === 'error' && record.console !== null && !record.interrupted;
}

/**
 * Moves an attempt's console aside (console.log -> console.attempt<n>.log,
 * and a nested cell's guest console likewise) so the next boot does not
 * overwrite it, and returns the attempt as results.json records it.
 */
export function setAttemptAside(runDir: string, record: CellRecord, n: number): CellAttempt {
  const aside = (path: string) => {
    const moved = path.replace(/\.log$/, `.attempt${n}.log`);
    if (existsSync(join(runDir, path))) renameSync(join(runDir, path), join(runDir, moved));
    return moved;
  };
  if (record.kvmtool?.guestConsole) aside(record.kvmtool.guestConsole);
  return { verdict: record.verdict, reasons: record.reasons, console: record.console ? aside(record.console) : null };
}

export interface RetryOptions {
  /** Boots after the first, at most. */
  retries: number;
  runDir: string;
  /** What stopped the run, if it was stopped: then nothing is retried. */
  stoppedBy: () => string | null;
  events?: RunEvents;
}

/**
 * Boots a cell, and again after an infrastructure error as many times as
 * allowed; every earlier attempt is kept in the record with its console
 * set aside.
 */
export async function bootWithRetries(boot: () => Promise<CellRecord>, options: RetryOptions): Promise<CellRecord> {
  const attempts: CellAttempt[] = [];
  for (;;) {
    const record = await boot();
    if (attempts.length >= options.retries || !mayRetry(record) || options.stoppedBy()) {
      return attempts.length > 0 ? { ...record, retried: attempts } : record;
    }
    attempts.push(setAttemptAside(options.runDir, record, attempts.length + 1));
    options.events?.cellRetried?.(record, attempts.length);
  }
}
