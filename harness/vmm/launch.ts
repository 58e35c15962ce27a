import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { execa } from 'execa';
import { killGroup, trackGroup, untrackGroup } from './process-group.js';
import type { LaunchOutcome, VmmCommand } from './types.js';

export interface LaunchOptions {
  /** Where the console goes; written as it arrives. */
  consolePath: string;
  timeoutSec: number;
  /** Console bytes kept; output past it is counted and dropped. */
  capBytes: number;
  /** Also copy the console here as it arrives (a terminal, for `boot`). */
  live?: Writable;
  /** Aborting kills the VM at once. */
  signal?: AbortSignal;
  /** Working folder: relative paths in the argv resolve from here. */
  cwd?: string;
  /** Variables set for the VMM on top of the harness's environment. */
  env?: Record<string, string>;
  /**
   * 'null' (the default) gives the VMM /dev/null; 'held-open' an empty pipe
   * kept open until it exits. lkvm polls its stdin for console input, and
   * /dev/null is always readable: it would spin a core reading end-of-file.
   */
  stdin?: 'null' | 'held-open';
}

const STDERR_KEEP = 64 * 1024;

/**
 * Starts a VMM in its own process group, streams its console to a file, and
 * kills the whole group on timeout or abort: a grandchild holding the pipe
 * would otherwise keep the launch from ever settling.
 */
export async function launchVmm(command: VmmCommand, options: LaunchOptions): Promise<LaunchOutcome> {
  const consoleFile = createWriteStream(options.consolePath);
  const started = performance.now();
  let firstOutputMs: number | null = null;
  let consoleBytes = 0;
  let consoleTruncated = false;
  let stderr = '';
  let timedOut = false;

  const [file, ...args] = command.argv;
  const child = execa(file, args, {
    ...(options.cwd ? { cwd: options.cwd } : {}),
    detached: true,
    stdin: options.stdin === 'held-open' ? 'pipe' : 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    reject: false,
    cleanup: true,
    env: { ...options.env, LC_ALL: 'C' },
  });
  const pid = child.pid;
  if (pid !== undefined) trackGroup(pid);

  child.stdout?.on('data', (chunk: Buffer) => {
    if (firstOutputMs === null) firstOutputMs = performance.now() - started;
    const room = options.capBytes - consoleBytes;
    consoleBytes += chunk.length;
    if (room <= 0) {
      consoleTruncated = true;
      return;
    }
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (kept !== chunk) consoleTruncated = true;
    consoleFile.write(kept);
    options.live?.write(kept);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEEP);
  });

  const stop = () => {
    if (pid !== undefined) killGroup(pid);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    stop();
  }, options.timeoutSec * 1000);
  const onAbort = () => stop();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) stop();

  const result = await child;
  clearTimeout(timer);
  options.signal?.removeEventListener('abort', onAbort);
  if (pid !== undefined) {
    // the VMM is gone, but anything it left in its group goes too
    killGroup(pid);
    untrackGroup(pid);
  }
  await new Promise<void>((resolve) => consoleFile.end(resolve));

  const common = {
    durationMs: Math.round(performance.now() - started),
    firstOutputMs: firstOutputMs === null ? null : Math.round(firstOutputMs),
    consoleBytes,
    consoleTruncated,
    stderrTail: stderr.split('\n').map((l) => l.trimEnd()).filter(Boolean).slice(-10),
  };
  if (pid === undefined || (result.failed && result.exitCode === undefined && !result.signal && !timedOut)) {
    return { ...common, kind: 'spawn-failed', message: result.shortMessage ?? String(result.message) };
  }
  if (timedOut) return { ...common, kind: 'timed-out', timeoutSec: options.timeoutSec };
  return { ...common, kind: 'exited', code: result.exitCode ?? null, signal: result.signal ?? null };
}
