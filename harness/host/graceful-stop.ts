/**
 * A command that can stop cleanly on SIGINT or SIGTERM (a matrix run:
 * it still writes the reports of what finished) registers its work here.
 * The signal handler then aborts the work's signal, with the signal's name
 * as the reason, and waits for it instead of exiting at once.
 */
let current: { controller: AbortController; done: Promise<unknown> } | null = null;

/** Runs work with an AbortSignal that SIGINT and SIGTERM abort. */
export async function stoppable<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const done = work(controller.signal);
  current = { controller, done };
  try {
    return await done;
  } finally {
    if (current?.done === done) current = null;
  }
}

/**
 * Aborts the registered work; resolves when it has ended. Null when no
 * work is registered: the caller exits at once.
 */
export function requestStop(signal: NodeJS.Signals): Promise<void> | null {
  if (!current) return null;
  current.controller.abort(signal);
  return current.done.then(
    () => undefined,
    () => undefined,
  );
}
