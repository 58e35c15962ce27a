import { stringify } from 'yaml';
import { sanitizeLine } from '../console/sanitize.js';
import { isFailing, type TestNode } from '../verdict/tree.js';
import { hex } from '../verdict/virtio-ids.js';
import { describeExpectedBy } from './expectation-text.js';
import type { CellRecord, RunResults } from './types.js';

/**
 * TAP version 14: one test point per cell, and under it, as TAP 14
 * subtests, the cell's tree of tests (probe and its devices, kunit and its
 * suites and cases). A cell is ok when it went as the matrix expects, so
 * an expected failure is ok and names its reason; a skip carries the SKIP
 * directive. A test that fails where the matrix expects it to is `not ok`
 * with a TODO directive, which TAP readers do not count as a failure.
 * Every not-ok and every expected failure has a YAML diagnostic block.
 */
export function renderTap(results: RunResults): string {
  const out = ['TAP version 14', `# kvmatrix run ${results.runId}, matrix ${results.matrix.name}`, `1..${results.cells.length}`];
  results.cells.forEach((cell, index) => {
    const n = index + 1;
    const name = escapeDescription(cell.id);
    if (cell.tests?.length) writeSubtest(out, cell.id, cell.tests, '    ');
    if (cell.status === 'skipped') {
      out.push(`ok ${n} - ${name} # SKIP ${escapeDescription(cell.reasons[0] ?? 'skipped')}`);
      return;
    }
    const ok = cell.status === 'as-expected';
    const failedAsExpected = ok && cell.verdict === 'fail';
    const note = failedAsExpected ? ': fails as expected' : ok ? '' : `: ${cell.verdict}, expected ${cell.expected}`;
    out.push(`${ok ? 'ok' : 'not ok'} ${n} - ${name}${escapeDescription(note)}`);
    // a cell that needed a retry shows its earlier attempts even when it went as expected
    if (!ok || failedAsExpected || cell.expected === 'fail' || cell.retried?.length) out.push(...diagnostics(cell));
  });
  return `${out.join('\n')}\n`;
}

function diagnostics(cell: CellRecord): string[] {
  const failing = cell.devices.filter((d) => d.problems.length > 0);
  const block: Record<string, unknown> = {
    verdict: cell.verdict,
    expected: cell.expected,
    ...(cell.expectedWhy ? { why_expected: cell.expectedWhy } : {}),
    ...(cell.expectedBy ? { expected_by: describeExpectedBy(cell.expectedBy) } : {}),
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
    ...(cell.retried?.length
      ? { retried: cell.retried.map((a) => ({ verdict: a.verdict, reason: a.reasons[0] ?? '', console: a.console })) }
      : {}),
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

/** Most lines of a test's log a diagnostic block carries; the run folder's console has them all. */
const LOG_LINES = 40;

/** Appends `# Subtest: name`, then the nodes' test points indented one level more (to `out`: a tree may hold a hundred thousand tests). */
function writeSubtest(out: string[], name: string, nodes: readonly TestNode[], indent: string): void {
  out.push(`${indent.slice(4)}# Subtest: ${escapeDescription(name)}`, `${indent}1..${nodes.length}`);
  nodes.forEach((node, index) => {
    if (node.children.length > 0) writeSubtest(out, node.name, node.children, `${indent}    `);
    for (const line of testPoint(node, index + 1)) out.push(`${indent}${line}`);
  });
}

function testPoint(node: TestNode, n: number): string[] {
  const name = escapeDescription(node.name);
  if (node.verdict === 'skip' && node.status !== 'unexpected') {
    const why = node.reasons[0]?.replace(/^skipped: /, '') ?? 'skipped';
    return [`ok ${n} - ${name} # SKIP ${escapeDescription(why)}`];
  }
  const failing = isFailing(node.verdict);
  if (node.status === 'unexpected') {
    const note = node.verdict === 'pass' ? `: passed, expected ${node.expected}` : `: ${node.verdict}`;
    return [`not ok ${n} - ${name}${escapeDescription(note)}`, ...nodeDiagnostics(node)];
  }
  if (failing) {
    // known: a rule expects this test to fail (its own, or the cell's), or every failure under it
    const by = node.expectedBy ? ` by ${describeExpectedBy(node.expectedBy)}` : '';
    const why = node.expectedWhy ? `: ${node.expectedWhy}` : '';
    return [`not ok ${n} - ${name} # TODO ${escapeDescription(`expected to fail${by}${why}`)}`, ...nodeDiagnostics(node)];
  }
  // what its reading noticed without changing its verdict (a result numbered out of place)
  return [`ok ${n} - ${name}`, ...(node.notes?.length ? nodeDiagnostics(node) : [])];
}

/** A test's verdict, reasons and console lines; for an inner node, its own reasons only. */
function nodeDiagnostics(node: TestNode): string[] {
  const block: Record<string, unknown> = {
    path: node.path,
    verdict: node.verdict,
    expected: node.expected,
    ...(node.expectedWhy ? { why_expected: node.expectedWhy } : {}),
    ...(node.expectedBy ? { expected_by: describeExpectedBy(node.expectedBy) } : {}),
    ...(node.reasons.length ? { reasons: node.reasons } : {}),
    ...(node.incidents?.length ? { incidents: node.incidents.map((i) => `${i.kind} at console line ${i.line}: ${i.summary}`) } : {}),
    ...(node.notes?.length ? { notes: node.notes } : {}),
    ...(node.children.length === 0 && node.log.length
      ? {
          log: node.log.slice(-LOG_LINES),
          ...(node.log.length > LOG_LINES || node.logDropped
            ? { log_lines_left_out: node.log.length - Math.min(LOG_LINES, node.log.length) + (node.logDropped ?? 0) }
            : {}),
        }
      : {}),
    ...(node.lines ? { console_lines: `${node.lines[0]}-${node.lines[1]}` } : {}),
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
