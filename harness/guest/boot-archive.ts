/**
 * A boot's own archive, appended after the cached initramfs (and the
 * userspace layer) of a boot that runs commands: the nonce the agent signs
 * its records with, in a file it reads and removes before the first
 * command, since a command can read the kernel command line; and each
 * command as the agent reads it (commands.c). Compressed like the archives
 * before it, though it is a few hundred bytes: the kernel takes an
 * uncompressed archive after a compressed one only at an offset that is a
 * multiple of 4, and skips it silently otherwise (seen: the agent found no
 * key), while a gzip member is found wherever it starts.
 */
import { gzipSync } from 'node:zlib';
import { writeCpio, type CpioEntry } from './cpio.js';

/** A userspace command as the agent runs it. */
export interface PlannedCommand {
  name: string;
  /** The program (a path, or a name looked up in /bin:/sbin:/usr/bin:/usr/sbin) and its arguments. */
  argv: readonly [string, ...string[]];
  timeoutSec: number;
  /** Output shown on the console at most; the rest is counted. */
  capBytes: number;
}

/** The agent's limits on a plan (commands.c): more would be cut, so it is refused here. */
export const PLAN_LIMITS = { commands: 64, args: 254, argBytes: 65536 } as const;

/**
 * Host files the programs take, under /kvmatrix/files/ by their names: a
 * file two programs take goes in once; two files of one name would be one
 * in the guest, which the matrix refuses (load.ts), and is a slip here.
 */
export function programFileEntries(files: readonly string[], read: (path: string) => Buffer): CpioEntry[] {
  const unique = [...new Set(files)];
  const names = unique.map((file) => file.split('/').pop()!);
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice !== undefined)
    throw new Error(`two files named ${twice} for one guest: ${unique.filter((f) => f.endsWith(`/${twice}`)).join(', ')}`);
  if (unique.length === 0) return [];
  return [
    { type: 'dir', path: 'kvmatrix/files' },
    ...unique.map((file): CpioEntry => ({ type: 'file', path: `kvmatrix/files/${file.split('/').pop()!}`, data: read(file), mode: 0o755 })),
  ];
}

/** The archive, with `files` (the programs' files) after the plan. */
export function bootArchive(nonce: string, commands: readonly PlannedCommand[], files: readonly CpioEntry[] = []): Buffer {
  return gzipSync(writeCpio([...bootArchiveEntries(nonce, commands), ...files]), { level: 1 });
}

/** What keeps the agent from running a plan as it is (more than it takes, an argument C cannot hold), or null. */
export function planProblem(commands: readonly PlannedCommand[]): string | null {
  if (commands.length > PLAN_LIMITS.commands)
    return `${commands.length} commands in one boot, more than the agent's ${PLAN_LIMITS.commands}`;
  for (const command of commands) {
    const [program, ...args] = command.argv;
    if (command.argv.some((arg) => arg.includes('\0'))) return `command ${command.name}: an argument holds a NUL byte`;
    if (program === '') return `command ${command.name}: no program`;
    const argBytes = Buffer.byteLength(args.map((a) => `${a}\0`).join(''), 'utf8');
    if (args.length > PLAN_LIMITS.args || argBytes > PLAN_LIMITS.argBytes) {
      return `command ${command.name}: its arguments are more than the agent takes (${PLAN_LIMITS.args} arguments, ${PLAN_LIMITS.argBytes} bytes)`;
    }
  }
  return null;
}

export function bootArchiveEntries(nonce: string, commands: readonly PlannedCommand[]): CpioEntry[] {
  const problem = planProblem(commands);
  // the registry refuses such a plan before the boot (registry.ts withKernel): here it is a slip of the harness
  if (problem) throw new Error(problem);
  const file = (path: string, text: string | Buffer): CpioEntry => ({
    type: 'file',
    path,
    data: typeof text === 'string' ? Buffer.from(text, 'utf8') : text,
    mode: 0o600,
  });
  const entries: CpioEntry[] = [{ type: 'dir', path: 'kvmatrix', mode: 0o700 }, file('kvmatrix/key', `${nonce}\n`)];
  if (commands.length === 0) return entries;
  entries.push({ type: 'dir', path: 'kvmatrix/commands', mode: 0o700 });
  commands.forEach((command, i) => {
    const dir = `kvmatrix/commands/${String(i + 1).padStart(2, '0')}`;
    const [program, ...args] = command.argv;
    const argBytes = Buffer.from(args.map((a) => `${a}\0`).join(''), 'utf8');
    entries.push(
      { type: 'dir', path: dir, mode: 0o700 },
      file(`${dir}/name`, `${command.name}\n`),
      file(`${dir}/program`, `${program}\n`),
      file(`${dir}/limits`, `${Math.ceil(command.timeoutSec)} ${command.capBytes}\n`),
      ...(args.length > 0 ? [file(`${dir}/args`, argBytes)] : []),
    );
  });
  return entries;
}
