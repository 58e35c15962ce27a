import { closeSync, createWriteStream, fstatSync, ftruncateSync, openSync, readFileSync, readSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { execa } from 'execa';
import { killGroup, trackGroup, untrackGroup } from '../host/process-group.js';
import type { LaunchOutcome, VmmCommand } from './types.js';

export interface LaunchOptions {
  /** Where the console goes; written as it arrives. */
  consolePath: string;
  timeoutSec: number;
  /** Console bytes kept; output past it is counted and dropped. */
  capBytes: number;
  /** Also copy the console here as it arrives (a terminal, for `boot`). */
  live?: Writable;
  /** Also hand the console here as it arrives, up to the cap, in order. */
  onConsole?: (chunk: Buffer) => void;
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
 * How far the VMM wrote its console: the VMM's stdout is this descriptor
 * passed on, one open file with one offset, which Linux shows in
 * /proc/self/fdinfo whatever the file was cut back to. Null where there is
 * no such file.
 */
export function writtenBytes(fd: number): number | null {
  try {
    const pos = /^pos:\s+(\d+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
    return pos ? Number(pos[1]) : null;
  } catch {
    return null;
  }
}

/** How often the console file is looked at: its size, the cap, the live copy. */
const CONSOLE_POLL_MS = 50;

/**
 * Starts a VMM in its own process group with its console written straight
 * to a file, and kills the whole group on timeout or abort: a grandchild
 * holding the console would otherwise keep the launch from ever settling.
 *
 * The console is the VMM's stdout as a file, not a pipe: a UART writes a
 * byte or two at a time, and reading a pipe cost a wake-up per write, which
 * on an arm64 host under emulation made a cell 35% slower than the bare
 * command. The file is looked at every CONSOLE_POLL_MS instead: past the cap
 * it is cut back (the VMM writes on at its own offset, so its size still
 * counts every byte), and a live copy and onConsole get what is new. firstOutputMs is
 * therefore known to within that interval.
 */
export async function launchVmm(command: VmmCommand, options: LaunchOptions): Promise<LaunchOutcome> {
  const consoleFd = openSync(options.consolePath, 'w+');
  const started = performance.now();
  const startedAt = new Date().toISOString();
  let firstOutputMs: number | null = null;
  let consoleBytes = 0;
  let consoleTruncated = false;
  let readOffset = 0;
  let stderr = '';
  let timedOut = false;

  const lookAtConsole = () => {
    const size = fstatSync(consoleFd).size;
    if (size > 0 && firstOutputMs === null) firstOutputMs = performance.now() - started;
    if (size > consoleBytes) consoleBytes = size;
    const kept = Math.min(size, options.capBytes);
    if ((options.live || options.onConsole) && kept > readOffset) {
      const chunk = Buffer.alloc(kept - readOffset);
      const read = readSync(consoleFd, chunk, 0, chunk.length, readOffset);
      options.live?.write(chunk.subarray(0, read));
      options.onConsole?.(chunk.subarray(0, read));
      readOffset += read;
    }
    if (size > options.capBytes) {
      consoleTruncated = true;
      ftruncateSync(consoleFd, options.capBytes);
    }
  };

  const [file, ...args] = command.argv;
  // a stream over the open file: spawn hands its descriptor to the VMM
  const consoleStream = createWriteStream(options.consolePath, { fd: consoleFd, autoClose: false });
  const child = execa(file, args, {
    ...(options.cwd ? { cwd: options.cwd } : {}),
    detached: true,
    stdin: options.stdin === 'held-open' ? 'pipe' : 'ignore',
    stdout: consoleStream,
    stderr: 'pipe',
    buffer: false,
    reject: false,
    cleanup: true,
    env: { ...options.env, LC_ALL: 'C' },
  });
  const pid = child.pid;
  if (pid !== undefined) trackGroup(pid);
  const poll = setInterval(lookAtConsole, CONSOLE_POLL_MS);

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
  clearInterval(poll);
  lookAtConsole();
  // bytes written between a look's fstat and its cut were cut uncounted; the offset still has them
  consoleBytes = Math.max(consoleBytes, writtenBytes(consoleFd) ?? 0);
  closeSync(consoleFd);

  const common = {
    startedAt,
    durationMs: Math.round(performance.now() - started),
    firstOutputMs: firstOutputMs === null ? null : Math.round(firstOutputMs),
    consoleBytes,
    consoleTruncated,
    stderrTail: stderr
      .split('\n')
      .map((l) => l.trimEnd())
      .filter(Boolean)
      .slice(-10),
  };
  if (pid === undefined || (result.failed && result.exitCode === undefined && !result.signal && !timedOut)) {
    return { ...common, kind: 'spawn-failed', message: result.shortMessage ?? String(result.message) };
  }
  if (timedOut) return { ...common, kind: 'timed-out', timeoutSec: options.timeoutSec };
  return { ...common, kind: 'exited', code: result.exitCode ?? null, signal: result.signal ?? null };
}
