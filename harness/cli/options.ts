/**
 * Option definitions and their parsers, shared by the commands. Light on
 * purpose: every command's definition loads it, and `kvmatrix --help` loads
 * every command's definition (what the options do at run time lives in
 * host-run-options.ts, loaded by the command that runs).
 */
import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command, type OptionValues } from '@commander-js/extra-typings';
import type { Cell } from '../matrix/types.js';
import { TEST_GLOB_HELP } from '../test-kinds/glob-help.js';

/** Exit codes: see README "Exit codes". */
/** cannotTell: `history gate` could not decide the newest run (a boot that was an error, a stopped run, no run). */
export const EXIT = { ok: 0, unexpected: 1, usage: 2, infrastructure: 3, cannotTell: 4 } as const;

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of 1 or more');
  return n;
}

/** Boots of a cell: 1 to 100, as boot.repeat in a matrix. */
export function bootCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new InvalidArgumentError('expected a whole number from 1 to 100');
  return n;
}

/** --tries of bisect and bisect-run: boots of the cell per commit. */
export const triesOption = () =>
  new Option(
    '--tries <n>',
    "boot the cell n times per commit: good only when every try passes, bad when any fails or hangs (default: the cell's boot.repeat, 1)",
  ).argParser(bootCount);

/**
 * How a bisect step boots its cell: --tries, else what the matrix says for
 * the cell (boot.repeat, cell_boot), side by side up to the number of cores.
 */
export function triesRunOptions(tries: number | undefined, cell: Cell): { repeat: number; bootJobs: number } {
  const repeat = tries ?? cell.boot.repeat;
  return { repeat, bootJobs: Math.max(1, Math.min(repeat, availableParallelism())) };
}

export function positiveSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number of seconds above 0');
  return n;
}

export function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number of 0 or more');
  return n;
}

/** KCIDB's pattern for an origin. */
const KCIDB_ORIGIN = /^[a-z0-9_]+$/;

/** --kcidb-origin, checked here so that a bad one stops before anything runs. */
export function kcidbOrigin(value: string): string {
  if (!KCIDB_ORIGIN.test(value))
    throw new InvalidArgumentError(`"${value}" is not a KCIDB origin: lower-case letters, digits and underscores only`);
  return value;
}

/** --kcidb and --kcidb-origin of run and report. */
export const kcidbFileOption = () =>
  new Option('--kcidb <file>', "also write the run as one KCIDB v5.3 submission (KernelCI's results format) to this file").argParser(
    outputFile,
  );

/** --kcidb-base-url: where the run folder will be published, so that the submission can link its files. */
export const kcidbBaseUrlOption = () =>
  new Option(
    '--kcidb-base-url <url>',
    'the http(s) URL the run folder will be published at: the KCIDB submission then links its Images, configs, logs and patches',
  ).argParser(kcidbBaseUrl);

/** A base URL ends in a slash, so that the run folder's paths resolve below it. */
export function kcidbBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(`"${value}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new InvalidArgumentError(`"${value}" is not an http or https URL`);
  if (url.search || url.hash) throw new InvalidArgumentError(`"${value}" has a query or fragment: give the folder's URL alone`);
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
}

/** A file to write (--kcidb, --pack): in a folder that exists, checked before the work starts rather than after it ends. */
export function outputFile(value: string): string {
  const file = resolve(value);
  if (!existsSync(dirname(file)) || !statSync(dirname(file)).isDirectory())
    throw new InvalidArgumentError(`the folder of ${value} does not exist`);
  if (existsSync(file) && statSync(file).isDirectory()) throw new InvalidArgumentError(`${value} is a folder`);
  return file;
}
export const kcidbOriginOption = () =>
  new Option('--kcidb-origin <name>', 'the origin of the KCIDB ids (lower-case letters, digits, underscores)')
    .argParser(kcidbOrigin)
    .default('kvmatrix');

/** Commander argParser for a repeatable option. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** --test of run, boot, bisect and bisect-run. */
export const testOption = () => new Option('--test <glob>', TEST_GLOB_HELP);

export const cellOption = () =>
  new Option('--cell <id>', 'only this cell (repeat for more; * matches anything)').argParser(collect).default([] as string[]);
export const filterOption = () =>
  new Option(
    '--filter <key=value>',
    'only cells where key (kernel, vmm, transport, type, topology) has one of the comma-separated values; repeat to narrow',
  )
    .argParser(collect)
    .default([] as string[]);
export const cacheOption = () =>
  new Option('--cache <dir>', 'kernel and agent cache (default: $KVMATRIX_CACHE, else $XDG_CACHE_HOME/kvmatrix)');
export const buildJobsOption = () =>
  new Option('--build-jobs <n>', 'make -j for kernel builds').argParser(positiveInt).default(availableParallelism());
export const buildTimeoutOption = () =>
  new Option('--build-timeout <seconds>', 'limit for one kernel build').argParser(positiveSeconds).default(3600);
export const ccacheOption = () => new Option('--no-ccache', 'compile without ccache even when it is installed');
export const lkvmOption = () =>
  new Option('--lkvm <path>', 'static arm64 lkvm for kvmtool entries that do not name one (default: $KVMATRIX_LKVM)');

/**
 * The options every command that boots cells takes: cache, kernel builds,
 * ccache, lkvm and the boot timeout (read back by hostRunOptions).
 */
export function withHostRunOptions<Args extends unknown[], Opts extends OptionValues, Globals extends OptionValues>(
  command: Command<Args, Opts, Globals>,
) {
  return command
    .addOption(cacheOption())
    .addOption(buildJobsOption())
    .addOption(buildTimeoutOption())
    .addOption(ccacheOption())
    .addOption(lkvmOption())
    .addOption(new Option('--timeout <seconds>', "boot timeout per cell (default: the matrix's boot.timeout)").argParser(positiveSeconds))
    .addOption(
      new Option(
        '--retries <n>',
        "boots again after an infrastructure error, at most n times (default: the matrix's boot.retries, 1)",
      ).argParser(wholeNumber),
    )
    .addOption(
      new Option(
        '--no-artifacts',
        "boot the Images and initramfs from the cache rather than keeping them in the run folder (a lean folder whose reproduce.sh needs this machine's cache)",
      ),
    );
}

/** What `run` and `boot` take from their shared options. */
export interface SharedRunFlags {
  cache?: string;
  buildJobs: number;
  buildTimeout: number;
  ccache: boolean;
  timeout?: number;
  retries?: number;
  lkvm?: string;
  artifacts: boolean;
}
