import { createWriteStream, type WriteStream } from 'node:fs';
import { execa } from 'execa';
import { killGroup, trackGroup, untrackGroup } from './process-group.js';

export interface CommandOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Appends the command line and all its output here. */
  logPath?: string;
  timeoutSec?: number;
  signal?: AbortSignal;
  /** Called with each complete output line, for progress display. */
  onLine?: (line: string) => void;
  /** How many of the last output lines to return. */
  tailLines?: number;
}

export interface CommandResult {
  argv: string[];
  code: number | null;
  signal: string | null;
  /** The command could not be started at all (not installed, bad cwd). */
  spawnError: string | null;
  timedOut: boolean;
  aborted: boolean;
  durationMs: number;
  tail: string[];
}

/**
 * Runs a host command (make, git, gcc) from an argv array, in its own
 * process group so that a timeout or an abort takes every descendant.
 */
export async function runCommand(argv: readonly string[], options: CommandOptions = {}): Promise<CommandResult> {
  const started = performance.now();
  const log: WriteStream | null = options.logPath ? createWriteStream(options.logPath, { flags: 'a' }) : null;
  log?.write(`$ ${argv.map(shellQuote).join(' ')}\n`);
  const keep = options.tailLines ?? 30;
  const tail: string[] = [];
  let partial = '';
  const onData = (chunk: Buffer) => {
    log?.write(chunk);
    const text = partial + chunk.toString('utf8');
    const lines = text.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      tail.push(line);
      if (tail.length > keep) tail.shift();
      options.onLine?.(line);
    }
  };

  const [file, ...args] = argv;
  let timedOut = false;
  const child = execa(file!, args, {
    ...(options.cwd ? { cwd: options.cwd } : {}),
    env: options.env ?? {},
    detached: true,
    stdin: 'ignore',
    buffer: false,
    reject: false,
    cleanup: true,
  });
  const pid = child.pid;
  if (pid !== undefined) trackGroup(pid);
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const stop = () => pid !== undefined && killGroup(pid);
  const timer = options.timeoutSec
    ? setTimeout(() => {
        timedOut = true;
        stop();
      }, options.timeoutSec * 1000)
    : undefined;
  options.signal?.addEventListener('abort', stop, { once: true });
  if (options.signal?.aborted) stop();

  const result = await child;
  if (timer) clearTimeout(timer);
  options.signal?.removeEventListener('abort', stop);
  if (pid !== undefined) {
    killGroup(pid);
    untrackGroup(pid);
  }
  if (partial) {
    tail.push(partial);
    if (tail.length > keep) tail.shift();
  }
  const spawnError =
    pid === undefined || (result.failed && result.exitCode === undefined && !result.signal && !timedOut)
      ? (result.shortMessage ?? String(result.message))
      : null;
  if (spawnError) log?.write(`${spawnError}\n`);
  if (log) await new Promise<void>((resolve) => log.end(resolve));
  return {
    argv: [...argv],
    code: result.exitCode ?? null,
    signal: result.signal ?? null,
    spawnError,
    timedOut,
    aborted: options.signal?.aborted ?? false,
    durationMs: Math.round(performance.now() - started),
    tail,
  };
}

/** Did the command run and exit 0? */
export function succeeded(result: CommandResult): boolean {
  return result.code === 0 && !result.timedOut && !result.aborted && result.spawnError === null;
}

/** One line saying how a failed command ended. */
export function describeFailure(result: CommandResult): string {
  const name = result.argv[0];
  if (result.spawnError) return `could not run ${name}: ${result.spawnError}`;
  if (result.aborted) return `${name} was interrupted`;
  if (result.timedOut) return `${name} timed out`;
  if (result.signal) return `${name} was killed by ${result.signal}`;
  return `${name} exited with code ${result.code}`;
}

/** The command ran out of disk: make, the compiler, tar and git all print ENOSPC's text. */
export function ranOutOfDisk(result: CommandResult): boolean {
  return result.tail.some((line) => /No space left on device/i.test(line));
}

export const DISK_FULL_HINT =
  'the disk holding the kvmatrix cache is full: free space there, or give --cache on a larger disk (nothing half-built is kept)';

/** Quotes one argument for a POSIX shell, for logs and reproduce scripts. */
export function shellQuote(arg: string): string {
  if (arg !== '' && /^[A-Za-z0-9_./:=,@%+-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}
