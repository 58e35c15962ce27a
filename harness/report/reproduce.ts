import { shellQuote } from '../host/command.js';

export interface ReproduceInfo {
  cellId: string;
  runId: string;
  verdict: string;
  expected: string;
  argv: readonly string[];
  /** Files the command needs; the script stops with a clear message if one is gone. */
  inputs: readonly string[];
}

/**
 * A shell script that boots exactly one cell again, console on the
 * terminal. Written for a person to run and read; the harness itself never
 * goes through a shell.
 */
export function renderReproduceScript(info: ReproduceInfo): string {
  const lines = [
    '#!/bin/sh',
    `# Boots kvmatrix cell ${info.cellId} again, as run ${info.runId} booted it.`,
    `# That run's verdict: ${info.verdict} (expected ${info.expected}).`,
    '# The kernel Image lives in the kvmatrix cache; `kvmatrix build` rebuilds it if it is gone.',
    'set -e',
    'cd "$(dirname "$0")"',
    `for f in ${info.inputs.map(shellQuote).join(' ')}; do`,
    '  [ -e "$f" ] || { echo "reproduce: $f is missing; rebuild with kvmatrix build" >&2; exit 1; }',
    'done',
    `exec ${info.argv.map(shellQuote).join(' \\\n  ')}`,
  ];
  return `${lines.join('\n')}\n`;
}
