import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';
import { sanitizeLine, sanitizeText } from '../console/sanitize.js';
import type { CellRecord, RunResults } from './types.js';

/**
 * JUnit XML in the shape Jenkins, GitLab and GitHub reporters read: one
 * testsuite per run, one testcase per cell with classname `<matrix>.<kernel>`
 * (GitLab shows classname as the suite). A cell not as expected is a
 * <failure>, or an <error> when the harness could not test it; a skip is
 * <skipped>. Console text is cleaned of characters XML 1.0 forbids.
 */
export function renderJunit(results: RunResults): string {
  const counts = junitCounts(results.cells);
  const seconds = (ms: number | null) => ((ms ?? 0) / 1000).toFixed(3);
  const totalMs = results.cells.reduce((sum, c) => sum + (c.timings.bootMs ?? 0), 0);
  const root = create({ version: '1.0', encoding: 'UTF-8' }).ele('testsuites', {
    name: `kvmatrix ${results.matrix.name}`,
    tests: String(results.cells.length),
    failures: String(counts.failures),
    errors: String(counts.errors),
    skipped: String(counts.skipped),
    time: seconds(totalMs),
  });
  const suite = root.ele('testsuite', {
    name: results.matrix.name,
    tests: String(results.cells.length),
    failures: String(counts.failures),
    errors: String(counts.errors),
    skipped: String(counts.skipped),
    time: seconds(totalMs),
    timestamp: results.startedAt,
    hostname: 'kvmatrix',
  });
  const props = suite.ele('properties');
  props.ele('property', { name: 'run', value: results.runId });
  props.ele('property', { name: 'matrix', value: results.matrix.file });
  props.ele('property', { name: 'qemu', value: clean(results.host.qemu ?? 'not found') });

  for (const cell of results.cells) {
    const testcase = suite.ele('testcase', {
      classname: `${results.matrix.name}.${cell.kernel}`,
      name: `${cell.vmm}/${cell.transport}`,
      time: seconds(cell.timings.bootMs),
    });
    addOutcome(testcase, cell);
    const out = [
      `cell ${cell.id}: ${cell.verdict} (expected ${cell.expected})`,
      ...cell.reasons,
      ...(cell.console ? [`console: ${cell.console}`] : []),
      ...(cell.reproduce ? [`reproduce: ${cell.reproduce}`] : []),
      ...(cell.consoleTail.length > 0 ? ['--- console tail ---', ...cell.consoleTail] : []),
    ];
    testcase.ele('system-out').txt(sanitizeText(out.join('\n')));
  }
  return root.end({ prettyPrint: true });
}

function addOutcome(testcase: XMLBuilder, cell: CellRecord): void {
  const message = clean(cell.reasons[0] ?? cell.verdict);
  const boots = (cell.repeats ?? []).map((r) => `boot ${r.boot}: ${r.verdict}${r.console ? ` (console: ${r.console})` : ''}`);
  const body = sanitizeText([...cell.reasons, ...(cell.hint ? [`hint: ${cell.hint}`] : []), ...boots].join('\n'));
  if (cell.status === 'skipped') {
    testcase.ele('skipped', { message });
  } else if (cell.status === 'unexpected' && cell.verdict === 'error') {
    testcase.ele('error', { message, type: 'infrastructure' }).txt(body);
  } else if (cell.status === 'unexpected') {
    testcase.ele('failure', { message, type: cell.verdict === 'pass' ? 'unexpected-pass' : cell.verdict }).txt(body);
  }
}

export function junitCounts(cells: readonly CellRecord[]): { failures: number; errors: number; skipped: number } {
  return {
    failures: cells.filter((c) => c.status === 'unexpected' && c.verdict !== 'error').length,
    errors: cells.filter((c) => c.status === 'unexpected' && c.verdict === 'error').length,
    skipped: cells.filter((c) => c.status === 'skipped').length,
  };
}

export function clean(text: string): string {
  return sanitizeLine(text).slice(0, 1000);
}
