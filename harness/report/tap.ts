import { stringify } from 'yaml';
import { sanitizeLine } from '../console/sanitize.js';
import { hex } from '../verdict/virtio-ids.js';
import type { CellRecord, RunResults } from './types.js';

/**
 * TAP version 14: one test point per cell. A cell is ok when it went as the
 * matrix expects, so an expected failure is ok and names its reason; a
 * skip carries the SKIP directive. Every not-ok and every expected failure
 * has a YAML diagnostic block.
 */
export function renderTap(results: RunResults): string {
  const out = ['TAP version 14', `# kvmatrix run ${results.runId}, matrix ${results.matrix.name}`, `1..${results.cells.length}`];
  results.cells.forEach((cell, index) => {
    const n = index + 1;
    const name = escapeDescription(cell.id);
    if (cell.status === 'skipped') {
      out.push(`ok ${n} - ${name} # SKIP ${escapeDescription(cell.reasons[0] ?? 'skipped')}`);
      return;
    }
    const ok = cell.status === 'as-expected';
    const note = ok && cell.expected === 'fail' ? ': fails as expected' : ok ? '' : `: ${cell.verdict}, expected ${cell.expected}`;
    out.push(`${ok ? 'ok' : 'not ok'} ${n} - ${name}${escapeDescription(note)}`);
    // a cell that needed a retry shows its earlier attempts even when it went as expected
    if (!ok || cell.expected === 'fail' || cell.retried?.length) out.push(...diagnostics(cell));
  });
  return `${out.join('\n')}\n`;
}

function diagnostics(cell: CellRecord): string[] {
  const failing = cell.devices.filter((d) => d.problems.length > 0);
  const block: Record<string, unknown> = {
    verdict: cell.verdict,
    expected: cell.expected,
    ...(cell.expectedWhy ? { why_expected: cell.expectedWhy } : {}),
    reasons: cell.reasons,
    ...(cell.hint ? { hint: cell.hint } : {}),
    ...(failing.length > 0
      ? {
          devices: failing.map((d) => ({
            name: d.name,
            bdf: d.bdf,
            bar0: d.bar0 ? `${d.bar0.kind} ${hex(d.bar0.start)}` : null,
            status: d.status === null ? null : hex(d.status),
            problems: d.problems,
          })),
        }
      : {}),
    ...(cell.retried?.length ? { retried: cell.retried.map((a) => ({ verdict: a.verdict, reason: a.reasons[0] ?? '', console: a.console })) } : {}),
    ...(cell.repeats?.length
      ? {
          boots: cell.repeats.map((r) => ({
            boot: r.boot,
            verdict: r.verdict,
            reason: r.reasons[0] ?? '',
            ...(r.retried?.length ? { retried: r.retried.length } : {}),
            console: r.console,
          })),
        }
      : {}),
    ...(cell.console ? { console: cell.console } : {}),
    ...(cell.reproduce ? { reproduce: cell.reproduce } : {}),
  };
  const yaml = stringify(cleanStrings(block), { lineWidth: 0 }).trimEnd();
  return ['  ---', ...yaml.split('\n').map((line) => `  ${line}`), '  ...'];
}

/** `#` starts a directive and a newline ends the line: neither may leak in. */
export function escapeDescription(text: string): string {
  return sanitizeLine(text).replace(/\\/g, '\\\\').replace(/#/g, '\\#');
}

export function cleanStrings(value: unknown): unknown {
  if (typeof value === 'string') return sanitizeLine(value);
  if (Array.isArray(value)) return value.map(cleanStrings);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cleanStrings(v)]));
  }
  return value;
}
