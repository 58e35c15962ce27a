import XMLBuilder from 'fast-xml-builder';
import { sanitizeLine, sanitizeText } from '../console/sanitize.js';
import { isFailing, judgedNodes, type TestNode } from '../verdict/tree.js';
import { expectationText } from './expectation-text.js';
import type { CellRecord, RunResults } from './types.js';

/** An element as fast-xml-builder takes it: `@_name` attributes, `#text`, children by tag (an array repeats the tag). */
export type XmlElement = { [key: string]: string | XmlElement | XmlElement[] };

// escaping (processEntities) is the library's; "true" stays an attribute
// value, not a bare attribute name
const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  textNodeName: '#text',
  format: true,
  indentBy: '  ',
  suppressEmptyNode: true,
  suppressBooleanAttributes: false,
  processEntities: true,
});

/**
 * JUnit XML in the shape Jenkins, GitLab and GitHub reporters read: one
 * testsuite per run, one testcase per cell with classname `<matrix>.<kernel>`
 * (GitLab shows classname as the suite), then one per test of the cell's
 * tree (a device, a KUnit case) with classname `<matrix>.<cell>.<suite>`,
 * so that the reader shows the tree. A cell or test not as expected is a
 * <failure>, or an <error> when the harness could not test the cell; a
 * skip is <skipped>, and so is a failure the matrix expects, with the
 * expectation as its message (pytest's xfail), so that a CI page counts
 * it apart from the passes. Console text is cleaned of characters XML 1.0
 * forbids.
 */
export function renderJunit(results: RunResults): string {
  const counts = junitCounts(results.cells);
  const seconds = (ms: number | null) => ((ms ?? 0) / 1000).toFixed(3);
  const totalMs = results.cells.reduce((sum, c) => sum + (c.timings.bootMs ?? 0), 0);
  const tally = {
    '@_tests': String(counts.tests),
    '@_failures': String(counts.failures),
    '@_errors': String(counts.errors),
    '@_skipped': String(counts.skipped),
    '@_time': seconds(totalMs),
  };
  const property = (name: string, value: string): XmlElement => ({ '@_name': name, '@_value': value });
  const testcase = (cell: CellRecord): XmlElement => {
    const out = [
      `cell ${cell.id}: ${cell.verdict} (${expectationText(cell)})`,
      ...cell.reasons,
      ...(cell.console ? [`console: ${cell.console}`] : []),
      ...(cell.reproduce ? [`reproduce: ${cell.reproduce}`] : []),
      ...(cell.consoleTail.length > 0 ? ['--- console tail ---', ...cell.consoleTail] : []),
    ];
    return {
      '@_classname': `${results.matrix.name}.${cell.kernel}`,
      '@_name': `${cell.vmm}/${cell.transport}`,
      '@_time': seconds(cell.timings.bootMs),
      ...outcome(cell),
      'system-out': sanitizeText(out.join('\n')),
    };
  };
  const document: XmlElement = {
    testsuites: {
      '@_name': `kvmatrix ${results.matrix.name}`,
      ...tally,
      testsuite: {
        '@_name': results.matrix.name,
        ...tally,
        '@_timestamp': results.startedAt,
        '@_hostname': 'kvmatrix',
        properties: {
          property: [
            property('run', results.runId),
            property('matrix', results.matrix.file),
            property('qemu', clean(results.host.qemu ?? 'not found')),
          ],
        },
        testcase: results.cells.flatMap((cell) => [
          testcase(cell),
          ...judgedNodes(cell.tests ?? []).map((node) => testTestcase(results.matrix.name, cell, node)),
        ]),
      },
    },
  };
  return renderXml(document);
}

/** A document's XML, declaration first. */
export function renderXml(document: XmlElement): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build(document) as string}`;
}

/** <skipped>, <error> or <failure> for a cell that was not as expected; nothing for one that was. */
function outcome(cell: CellRecord): XmlElement {
  const message = clean(cell.reasons[0] ?? cell.verdict);
  const boots = (cell.repeats ?? []).map((r) => `boot ${r.boot}: ${r.verdict}${r.console ? ` (console: ${r.console})` : ''}`);
  const body = sanitizeText([...cell.reasons, ...(cell.hint ? [`hint: ${cell.hint}`] : []), ...boots].join('\n'));
  if (cell.status === 'skipped') return { skipped: { '@_message': message } };
  if (cell.status === 'as-expected' && cell.verdict === 'fail') return expectedFailure(cell.verdict, expectationText(cell), body);
  if (cell.status === 'unexpected' && cell.verdict === 'error') {
    return { error: { '@_message': message, '@_type': 'infrastructure', '#text': body } };
  }
  if (cell.status === 'unexpected') {
    return { failure: { '@_message': message, '@_type': cell.verdict === 'pass' ? 'unexpected-pass' : cell.verdict, '#text': body } };
  }
  return {};
}

/** A testcase for one test of a cell's tree: classname the cell and the test's parent, name the test's own. */
function testTestcase(matrix: string, cell: CellRecord, node: TestNode): XmlElement {
  const parent = node.path.split('.').slice(0, -1).join('.');
  const lines = [
    `${node.path} in cell ${cell.id}: ${node.verdict} (${expectationText(node)})`,
    ...node.reasons,
    ...(node.incidents ?? []).map((i) => `${i.kind} at console line ${i.line}: ${i.summary}`),
    ...(node.notes ?? []).map((note) => `note: ${note}`),
    ...(node.log.length > 0 ? ['--- its console lines ---', ...node.log] : []),
  ];
  return {
    '@_classname': `${matrix}.${cell.id}${parent ? `.${parent}` : ''}`,
    '@_name': clean(node.name),
    '@_time': '0.000',
    ...testOutcome(node),
    'system-out': sanitizeText(lines.join('\n')),
  };
}

function testOutcome(node: TestNode): XmlElement {
  const message = clean(node.reasons[0] ?? node.verdict);
  if (node.status === 'skipped') return { skipped: { '@_message': message } };
  if (node.status === 'as-expected' && isFailing(node.verdict))
    return expectedFailure(node.verdict, expectationText(node), sanitizeText(node.reasons.join('\n')));
  if (node.status !== 'unexpected') return {};
  const type = node.verdict === 'pass' ? 'unexpected-pass' : node.verdict;
  return { failure: { '@_message': message, '@_type': type, '#text': sanitizeText(node.reasons.join('\n')) } };
}

/** A failure the matrix expects, as pytest writes an xfail: skipped, the expectation its message, its reasons the text. */
function expectedFailure(verdict: string, expectation: string, body: string): XmlElement {
  return { skipped: { '@_message': clean(`${verdict}, ${expectation}`), '@_type': 'expected-failure', '#text': body } };
}

/** Skipped counts the failures the matrix expects too: `<skipped>` is how they are written. */
export function junitCounts(cells: readonly CellRecord[]): { tests: number; failures: number; errors: number; skipped: number } {
  const tests = cells.flatMap((c) => judgedNodes(c.tests ?? []));
  const cellExpectedFail = (c: CellRecord) => c.status === 'as-expected' && c.verdict === 'fail';
  const testExpectedFail = (n: TestNode) => n.status === 'as-expected' && isFailing(n.verdict);
  return {
    tests: cells.length + tests.length,
    failures:
      cells.filter((c) => c.status === 'unexpected' && c.verdict !== 'error').length +
      tests.filter((n) => n.status === 'unexpected').length,
    errors: cells.filter((c) => c.status === 'unexpected' && c.verdict === 'error').length,
    skipped:
      cells.filter((c) => c.status === 'skipped' || cellExpectedFail(c)).length +
      tests.filter((n) => n.status === 'skipped' || testExpectedFail(n)).length,
  };
}

export function clean(text: string): string {
  return sanitizeLine(text).slice(0, 1000);
}
