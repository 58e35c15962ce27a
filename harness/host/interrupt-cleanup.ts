/**
 * Work to undo when the harness is stopped by SIGINT or SIGTERM, run by
 * the signal handler after every VM and build is killed and before the
 * process exits. Each cleanup must be synchronous: nothing asynchronous
 * runs after the handler.
 */
const cleanups = new Set<() => void>();

/** Registers a cleanup; call the returned function when it is no longer needed. */
export function onInterrupt(cleanup: () => void): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/** Runs every registered cleanup once, newest first; one that throws does not stop the others. */
export function runInterruptCleanups(report: (message: string) => void): void {
  for (const cleanup of [...cleanups].reverse()) {
    cleanups.delete(cleanup);
    try {
      cleanup();
    } catch (error) {
      report(`cleanup failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
