import { stringify } from 'yaml';
import { sanitizeLine, sanitizeText } from '../console/sanitize.js';
import { isNewFailure, newTestFailures, type CellChange, type CellSide, type RunComparison, type TestSide } from './compare.js';
import { clean, renderXml, type XmlElement } from './junit.js';
import { cleanStrings, escapeDescription } from './tap.js';

/** A cell's or a test's side of a change: its verdict, in capitals with what was expected when it went against the matrix. */
function sideText(s: CellSide | TestSide): string {
  if (s.status === 'skipped') return 'skip';
  return s.status === 'unexpected' ? `${s.verdict.toUpperCase()} (expected ${s.expected})` : s.verdict;
}

function transition(change: { before: CellSide | TestSide | null; after: CellSide | TestSide | null }): string {
  const before = change.before ? sideText(change.before) : 'absent';
  const after = change.after ? sideText(change.after) : 'absent';
  return before === after ? after : `${before} -> ${after}`;
}

function deviceLines(change: CellChange): string[] {
  return change.devices.map((d) => `${d.device} ${d.field}: ${d.before} -> ${d.after}`);
}

/** "kunit.list-kunit-test.list_test_list_del: pass -> FAIL (expected pass)" for each test that changed. */
function testLines(change: CellChange): string[] {
  return change.tests.map((t) => `${t.path}: ${transition(t)}`);
}

/**
 * For a person: new failures first, each with its reasons and what its
 * devices did differently; then fixes, known failures, other changes,
 * new and missing cells, and one line of counts, in the words of
 * `kvmatrix history`'s labels.
 */
export function renderComparisonText(cmp: RunComparison): string {
  const lines = [`compare ${cmp.before.runId} (${cmp.before.matrix}) -> ${cmp.after.runId} (${cmp.after.matrix})`];
  if (cmp.matrixDiffers) lines.push('note: the runs come from different matrices; cells are matched by id');
  const section = (title: string, picked: CellChange[], detail: boolean) => {
    if (picked.length === 0) return;
    lines.push(`${title} (${picked.length}):`);
    for (const change of picked) {
      lines.push(`  ${change.id}: ${transition(change)}`);
      if (!detail) continue;
      for (const reason of (change.after?.reasons ?? []).slice(0, 5)) lines.push(`    ${sanitizeLine(reason)}`);
      for (const line of deviceLines(change)) lines.push(`    ${line}`);
      for (const line of testLines(change).slice(0, 20)) lines.push(`    ${line}`);
    }
  };
  const newFailures = cmp.cells.filter(isNewFailure);
  // each test that started failing, on a line of its own that names its cell
  const newTests = newFailures.flatMap((c) => newTestFailures(c).map((t) => ({ cell: c.id, test: t })));
  if (newTests.length > 0) {
    lines.push(`tests that started failing (${newTests.length}):`);
    for (const { cell, test } of newTests) {
      lines.push(`  ${test.path} started failing on ${cell}: ${transition(test)}`);
      for (const reason of (test.after?.reasons ?? []).slice(0, 3)) lines.push(`    ${sanitizeLine(reason)}`);
    }
  }
  const fixedTests = cmp.cells.flatMap((c) =>
    c.tests.filter((t) => t.kind === 'fixed').map((t) => `  ${t.path} fixed on ${c.id}: ${transition(t)}`),
  );
  if (fixedTests.length > 0) lines.push(`tests fixed (${fixedTests.length}):`, ...fixedTests);
  // each heading leads with the word `kvmatrix history` uses, then the one compare always printed
  section('regression: started failing', newFailures, true);
  section(
    'fixed',
    cmp.cells.filter((c) => c.kind === 'fixed'),
    true,
  );
  section(
    'persistent: still not as expected',
    cmp.cells.filter((c) => c.kind === 'persistent'),
    false,
  );
  section(
    'changed',
    cmp.cells.filter((c) => c.kind === 'changed'),
    true,
  );
  section(
    'new: added',
    cmp.cells.filter((c) => c.kind === 'new' && !isNewFailure(c)),
    false,
  );
  section(
    'missing: removed',
    cmp.cells.filter((c) => c.kind === 'missing'),
    false,
  );
  const n = cmp.counts;
  lines.push(
    `${cmp.cells.length} cells: ${newFailures.length} regression (started failing), ${n.fixed} fixed, ${n.persistent} persistent (still not as expected), ` +
      `${n.changed} changed, ${n.unchanged} unchanged, ${n.new} new, ${n.missing} missing`,
  );
  return `${lines.join('\n')}\n`;
}

/**
 * TAP 14 that fails on new failures only: a known failure is a TODO, a
 * removed cell a SKIP, everything else ok with what changed.
 */
export function renderComparisonTap(cmp: RunComparison): string {
  const out = ['TAP version 14', `# kvmatrix compare ${cmp.before.runId} -> ${cmp.after.runId}`, `1..${cmp.cells.length}`];
  cmp.cells.forEach((change, index) => {
    const n = index + 1;
    const name = escapeDescription(`${change.id}: ${transition(change)}`);
    if (isNewFailure(change)) {
      out.push(`not ok ${n} - ${name}`, ...diagnostics(change));
    } else if (change.kind === 'persistent') {
      out.push(`not ok ${n} - ${name} # TODO not as expected in ${escapeDescription(cmp.before.runId)} already`);
    } else if (change.kind === 'missing') {
      out.push(`ok ${n} - ${name} # SKIP not in ${escapeDescription(cmp.after.runId)}`);
    } else {
      out.push(`ok ${n} - ${name}${change.kind === 'unchanged' ? '' : escapeDescription(` (${change.kind})`)}`);
      if (change.devices.length > 0 || change.tests.length > 0) out.push(...diagnostics(change));
    }
  });
  return `${out.join('\n')}\n`;
}

function diagnostics(change: CellChange): string[] {
  const block = cleanStrings({
    change: change.kind,
    before: change.before ? sideText(change.before) : 'absent',
    after: change.after ? sideText(change.after) : 'absent',
    ...(change.after?.reasons.length ? { reasons: change.after.reasons } : {}),
    ...(change.devices.length ? { devices: deviceLines(change) } : {}),
    ...(change.tests.length ? { tests: testLines(change) } : {}),
  });
  const yaml = stringify(block, { lineWidth: 0 }).trimEnd();
  return ['  ---', ...yaml.split('\n').map((line) => `  ${line}`), '  ...'];
}

/** The same verdicts as JUnit: new failures are <failure>, known failures and removed cells <skipped>. */
export function renderComparisonJunit(cmp: RunComparison): string {
  const failures = cmp.cells.filter(isNewFailure).length;
  const skipped = cmp.cells.filter((c) => c.kind === 'persistent' || c.kind === 'missing').length;
  const tally = { '@_tests': String(cmp.cells.length), '@_failures': String(failures), '@_errors': '0', '@_skipped': String(skipped) };
  const testcase = (change: CellChange): XmlElement => {
    const [kernel, vmm, transport] = change.id.split('/');
    const body = sanitizeText(
      [`${change.id}: ${transition(change)}`, ...(change.after?.reasons ?? []), ...deviceLines(change), ...testLines(change)].join('\n'),
    );
    return {
      '@_classname': `compare.${kernel}`,
      '@_name': `${vmm}/${transport}`,
      ...comparisonOutcome(cmp, change, body),
      'system-out': body,
    };
  };
  return renderXml({
    testsuites: {
      '@_name': 'kvmatrix compare',
      ...tally,
      testsuite: {
        '@_name': `compare ${cmp.before.runId} -> ${cmp.after.runId}`,
        ...tally,
        '@_hostname': 'kvmatrix',
        testcase: cmp.cells.map(testcase),
      },
    },
  });
}

/** <failure> for a new failure, <skipped> for a known one or a removed cell, nothing otherwise. */
function comparisonOutcome(cmp: RunComparison, change: CellChange, body: string): XmlElement {
  if (isNewFailure(change))
    return { failure: { '@_message': clean(`started failing: ${transition(change)}`), '@_type': 'regression', '#text': body } };
  if (change.kind === 'persistent') return { skipped: { '@_message': clean(`known: not as expected in ${cmp.before.runId} already`) } };
  if (change.kind === 'missing') return { skipped: { '@_message': clean(`not in ${cmp.after.runId}`) } };
  return {};
}
