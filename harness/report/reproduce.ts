import { shellQuote } from '../host/command.js';

export interface ReproduceInfo {
  cellId: string;
  runId: string;
  verdict: string;
  expected: string;
  argv: readonly string[];
  /** Files the command needs; the script stops with a clear message if one is gone. */
  inputs: readonly string[];
  /** A command run first, its output written to a file (a nested host's initramfs). */
  prepare?: ReproducePrepare;
}

export interface ReproducePrepare {
  argv: readonly string[];
  stdout: string;
}

/**
 * A shell script that boots exactly one cell again, console on the
 * terminal. Written for a person to run and read; the harness itself never
 * goes through a shell.
 */
export function renderReproduceScript(info: ReproduceInfo): string {
  // absolute inputs are the cache's (a run with --no-artifacts), relative ones the run folder's;
  // the VMM itself (an lkvm the matrix names) is wherever it is
  const fromCache = info.inputs.some((f) => f.startsWith('/') && f !== info.argv[0]);
  const lines = [
    '#!/bin/sh',
    `# Boots kvmatrix cell ${info.cellId} again, as run ${info.runId} booted it.`,
    `# That run's verdict: ${info.verdict} (expected ${info.expected}).`,
    fromCache
      ? '# The kernel Image lives in the kvmatrix cache; `kvmatrix build` rebuilds it if it is gone.'
      : '# What it boots is in the run folder, named relative to this script: the folder can be moved or unpacked anywhere.',
    'set -e',
    'cd "$(dirname "$0")"',
    `for f in ${info.inputs.map(shellQuote).join(' ')}; do`,
    fromCache
      ? '  [ -e "$f" ] || { echo "reproduce: $f is missing; rebuild with kvmatrix build" >&2; exit 1; }'
      : '  [ -e "$f" ] || { echo "reproduce: $f is missing from the run folder" >&2; exit 1; }',
    'done',
    ...(info.prepare ? [`${info.prepare.argv.map(shellQuote).join(' ')} > ${shellQuote(info.prepare.stdout)}`] : []),
    `exec ${argvLines(info.argv).join(' \\\n  ')}`,
  ];
  return `${lines.join('\n')}\n`;
}

/** The program on the first line, then each option with its value on a line of its own. */
function argvLines(argv: readonly string[]): string[] {
  const lines: string[] = [shellQuote(argv[0] ?? '')];
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    if (arg.startsWith('-') && next !== undefined && !next.startsWith('-')) {
      lines.push(`${shellQuote(arg)} ${shellQuote(next)}`);
      i++;
    } else {
      lines.push(shellQuote(arg));
    }
  }
  return lines;
}
