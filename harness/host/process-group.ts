/**
 * Process groups this harness started (VMs and builds), so that none
 * outlives it: each is killed by its group id when it is done and, as a
 * last resort, when the harness exits.
 */
const live = new Set<number>();
let hooked = false;

export function trackGroup(pgid: number): void {
  live.add(pgid);
  if (!hooked) {
    hooked = true;
    process.on('exit', killAllGroups);
  }
}

export function untrackGroup(pgid: number): void {
  live.delete(pgid);
}

/** SIGKILLs a whole process group; a group already gone is fine. */
export function killGroup(pgid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

export function killAllGroups(): void {
  for (const pgid of live) killGroup(pgid);
  live.clear();
}
