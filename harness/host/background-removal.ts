// fs's callback rm, not fs/promises': this module is loaded at every start, fs/promises is not
import { rm, rmSync } from 'node:fs';
import { onInterrupt } from './interrupt-cleanup.js';

const pending = new Set<Promise<void>>();
const failures: string[] = [];

/**
 * Removes a folder while the caller goes on: a build's scratch folder
 * (its build objects, a patched kernel's hard-linked tree) took seconds to
 * remove, on the way between one kernel and the next or its first boot.
 * The CLI waits for every removal before it exits (backgroundRemovalsDone);
 * a run stopped by a signal removes what is left synchronously.
 */
export function removeInBackground(dir: string): void {
  const forget = onInterrupt(() => rmSync(dir, { recursive: true, force: true }));
  const removal: Promise<void> = new Promise<void>((resolve) => {
    rm(dir, { recursive: true, force: true }, (error) => {
      if (error) failures.push(`cannot remove ${dir}: ${error.message}`);
      resolve();
    });
  }).finally(() => {
    pending.delete(removal);
    forget();
  });
  pending.add(removal);
}

/** Waits for every removal started so far; says which ones failed (each once). */
export async function backgroundRemovalsDone(): Promise<string[]> {
  while (pending.size > 0) await Promise.all(pending);
  return failures.splice(0);
}
