import { describeFailure, DISK_FULL_HINT, ranOutOfDisk, succeeded, type CommandResult } from '../host/command.js';
import type { KernelFailure, KernelStage } from './types.js';

/** A kernel's own trouble at one stage: reported as its failure, never thrown out of obtainKernel. */
export class StageError extends Error {
  constructor(
    readonly stage: KernelStage,
    message: string,
    readonly hint?: string,
    readonly logTail: string[] = [],
    readonly ended: KernelFailure['ended'] = 'failed',
  ) {
    super(message);
  }
}

/** Throws the stage's error when the command failed, with what to show of its log. */
export async function must(stage: KernelStage, result: CommandResult, what: string, firstErrors: string[] = []): Promise<void> {
  if (succeeded(result)) return;
  const ended = result.aborted ? 'interrupted' : result.timedOut ? 'timed-out' : 'failed';
  // the compiler's first errors, then how make ended: at most 15 lines
  const errors = firstErrors.slice(0, 5).filter((line) => !result.tail.slice(-9).includes(line));
  const logTail = errors.length > 0 ? [...errors, '...', ...result.tail.slice(-9)] : result.tail.slice(-15);
  if (ranOutOfDisk(result)) throw new StageError(stage, `${what}: no space left on the device`, DISK_FULL_HINT, logTail, ended);
  throw new StageError(stage, `${what}: ${describeFailure(result)}`, undefined, logTail, ended);
}
