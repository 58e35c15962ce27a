import type { IncidentKind } from '../console/types.js';
import { globMatchesPath, type TestPath } from '../matrix/test-path.js';
import type { Expectation, ExpectedLeafVerdict, LeafExpectation } from '../matrix/types.js';

/**
 * What became of one test in a cell's tree. `crashed`: it never reported,
 * because the kernel panicked, hung or stopped printing inside it: a
 * failure with that reason. `flaky`: the boots of a repeated cell
 * disagree about it.
 */
/** How a cell's verdict, or a test's, compares with what the matrix expects. */
export type ExpectationStatus = 'as-expected' | 'unexpected' | 'skipped';

export type TestVerdict = 'pass' | 'fail' | 'skip' | 'timeout' | 'crashed' | 'flaky';

export const FAILING: ReadonlySet<TestVerdict> = new Set(['fail', 'timeout', 'crashed', 'flaky']);

/**
 * One node of a cell's tree: a test kind (probe, kunit), a suite, a case,
 * a parameter. Leaves are what a test reported; an inner node's verdict
 * is its children's, unless it failed on its own (a suite that crashed
 * before its cases could be named).
 */
export interface TestNode {
  /** Its name, as the kernel (or the probe) gave it. */
  name: string;
  /** Its dotted path from the test kind down: kunit.list-kunit-test.list_test_list_add. */
  path: TestPath;
  verdict: TestVerdict;
  /**
   * What the matrix expects of it: an expect rule with `test:`; a failure
   * where the cell's own rule expects the cell to fail; else pass.
   */
  expected: ExpectedLeafVerdict;
  expectedWhy?: string;
  /** The rule behind `expected`, when one is. */
  expectedBy?: ExpectedBy;
  status: ExpectationStatus;
  /** Why it did not pass, most telling first; empty for a pass. */
  reasons: string[];
  /** Its own console lines: the test's log, KUnit's `# ` diagnostics, what the kernel printed meanwhile. */
  log: string[];
  /** Lines of its log left out over the cap. */
  logDropped?: number;
  /** First and last console line (1-based) of its output. */
  lines?: [number, number];
  /** What its reading noticed that did not change its verdict: a result numbered other than its place. */
  notes?: string[];
  /** Kernel trouble printed inside it (an Oops KUnit caught is the test's, not the cell's). */
  incidents?: { kind: IncidentKind; line: number; summary: string }[];
  children: TestNode[];
}

/**
 * Which expect rule set a test's expectation: its index in the matrix's
 * `expect:` list, and whether it is a rule with `test:` naming the test
 * or the cell's own rule (one without `test:`) covering its failure.
 */
export interface ExpectedBy {
  rule: number;
  scope: 'test' | 'cell';
}

/** A node before the matrix's expectations are applied: expected, status and why come from applyExpectations. */
export type UnjudgedNode = Omit<TestNode, 'expected' | 'expectedWhy' | 'status' | 'children'> & { children: UnjudgedNode[] };

export function isFailing(verdict: TestVerdict): boolean {
  return FAILING.has(verdict);
}

/** Every leaf under the nodes, in order. */
export function leavesOf<N extends { children: N[] }>(nodes: readonly N[]): N[] {
  return nodes.flatMap((n) => (n.children.length === 0 ? [n] : leavesOf(n.children)));
}

/** Every node under the nodes, parents first. */
export function nodesOf<N extends { children: N[] }>(nodes: readonly N[]): N[] {
  return nodes.flatMap((n) => [n, ...nodesOf(n.children)]);
}

/** The verdict of a node with children: the worst of theirs (flaky, then failing, then pass), skip only when all skipped. */
export function foldVerdicts(verdicts: readonly TestVerdict[]): TestVerdict {
  if (verdicts.length === 0) return 'skip';
  if (verdicts.includes('flaky')) return 'flaky';
  if (verdicts.some(isFailing)) return 'fail';
  return verdicts.every((v) => v === 'skip') ? 'skip' : 'pass';
}

export interface LeafCounts {
  total: number;
  pass: number;
  fail: number;
  skip: number;
}

/** Leaves by outcome: fail counts every failing verdict (crashed, timeout, flaky too). */
export function leafCounts(nodes: readonly { verdict: TestVerdict; children: unknown[] }[]): LeafCounts {
  const leaves = leavesOf(nodes as { verdict: TestVerdict; children: never[] }[]);
  return {
    total: leaves.length,
    pass: leaves.filter((l) => l.verdict === 'pass').length,
    fail: leaves.filter((l) => isFailing(l.verdict)).length,
    skip: leaves.filter((l) => l.verdict === 'skip').length,
  };
}

/**
 * The matrix's expectations applied to a tree. A test named by an expect
 * rule with `test:` (the last that names it or an ancestor) is expected to
 * do what the rule says; any other is expected to pass, except under a
 * cell the matrix expects to fail as a whole: the cell's own rule covers
 * its tests, and each that fails is recorded as expected to fail by that
 * rule. A skip is never held against a test expected to pass; a pass where
 * a failure or a skip was expected is (the failure the matrix knows of
 * went away, or the test stopped skipping).
 */
export function applyExpectations(nodes: readonly UnjudgedNode[], rules: readonly LeafExpectation[], cell: Expectation): TestNode[] {
  return nodes.map((node) => judgeNode(node, rules, cell));
}

function judgeNode(node: UnjudgedNode, rules: readonly LeafExpectation[], cell: Expectation): TestNode {
  const children = node.children.map((c) => judgeNode(c, rules, cell));
  const rule = [...rules].reverse().find((r) => r.verdict !== undefined && globMatchesPath(r.test, node.path));
  const alone = judgedAlone({ verdict: node.verdict, children });
  // a suite judged by its cases is covered only when none of them breaks a rule
  const coveredByCell =
    !rule && cell.verdict === 'fail' && isFailing(node.verdict) && (alone || !children.some((c) => c.status === 'unexpected'));
  const own = rule?.verdict
    ? {
        expected: rule.verdict,
        ...(rule.why ? { expectedWhy: rule.why } : {}),
        ...(rule.rule !== undefined ? { expectedBy: { rule: rule.rule, scope: 'test' as const } } : {}),
      }
    : coveredByCell
      ? {
          expected: 'fail' as const,
          ...(cell.why ? { expectedWhy: cell.why } : {}),
          ...(cell.rule !== undefined ? { expectedBy: { rule: cell.rule, scope: 'cell' as const } } : {}),
        }
      : { expected: 'pass' as const };
  let status: ExpectationStatus;
  if (!alone) {
    status = children.some((c) => c.status === 'unexpected')
      ? 'unexpected'
      : children.every((c) => c.status === 'skipped')
        ? 'skipped'
        : 'as-expected';
  } else if (!rule && cell.verdict === 'fail') {
    // the cell's rule speaks for its tests: a pass is no contradiction, a failure is what it expects
    status = node.verdict === 'skip' ? 'skipped' : coveredByCell ? leafStatus(node.verdict, 'fail') : 'as-expected';
  } else {
    status = leafStatus(node.verdict, own.expected);
  }
  const reasons = [...node.reasons];
  if (alone && status === 'unexpected' && rule && own.expected !== 'pass') {
    reasons.unshift(
      `expected ${own.expected === 'fail' ? 'to fail' : 'to be skipped'}${own.expectedWhy ? ` (${own.expectedWhy})` : ''}, ${node.verdict === 'pass' ? 'passed' : `ended ${node.verdict}`}`,
    );
  }
  return { ...node, ...own, status, reasons, children };
}

function leafStatus(verdict: TestVerdict, expected: ExpectedLeafVerdict): ExpectationStatus {
  switch (expected) {
    case 'pass':
      return verdict === 'pass' ? 'as-expected' : verdict === 'skip' ? 'skipped' : 'unexpected';
    case 'fail':
      // flaky is never as expected: half the boots passed
      return isFailing(verdict) && verdict !== 'flaky' ? 'as-expected' : 'unexpected';
    case 'skip':
      return verdict === 'skip' ? 'skipped' : 'unexpected';
  }
}

/** "kunit.list-kunit-test.list_test_list_del: fail (...)" for a cell's reasons. */
export function describeNode(node: TestNode): string {
  const why = node.reasons[0] ? `: ${node.reasons[0]}` : '';
  return `${node.path}: ${node.verdict}${why}`;
}

/**
 * Whether a node is judged on its own, not by its children: a leaf, or a
 * node that failed where none of its children did (a suite that crashed
 * before its running case could be named). Reports give each such node a
 * line of its own.
 */
export function judgedAlone(node: { verdict: TestVerdict; children: readonly { verdict: TestVerdict }[] }): boolean {
  return node.children.length === 0 || (isFailing(node.verdict) && !node.children.some((c) => isFailing(c.verdict)));
}

/** The nodes judged on their own, in order. */
export function judgedNodes(nodes: readonly TestNode[]): TestNode[] {
  return nodesOf(nodes).filter(judgedAlone);
}

/** The failing nodes judged on their own, in order. */
export function failingNodes(nodes: readonly TestNode[]): TestNode[] {
  return judgedNodes(nodes).filter((n) => isFailing(n.verdict));
}

/**
 * One tree from the trees of a cell's repeated boots: a test whose boots
 * disagree (a pass in one, a fail in another) is flaky, never as
 * expected, and its reasons name each boot; the rest keep the shown boot's
 * result. Boots that never read their tests (an error) have no say.
 */
export function mergeBootTrees(shown: readonly TestNode[], boots: readonly (readonly TestNode[] | undefined)[]): TestNode[] {
  const byPath = boots.map((tree) => new Map(nodesOf(tree ?? []).map((n) => [n.path as string, n])));
  const merge = (node: TestNode): TestNode => {
    const children = node.children.map(merge);
    if (!judgedAlone(node)) {
      const verdict = foldVerdicts(children.map((c) => c.verdict));
      const status = children.some((c) => c.status === 'unexpected') ? 'unexpected' : node.status;
      return { ...node, verdict, status, children };
    }
    const seen = byPath
      .map((m, i) => ({ boot: i + 1, node: m.get(node.path) }))
      .filter((x): x is { boot: number; node: TestNode } => x.node !== undefined);
    const verdicts = new Set(seen.map((x) => x.node.verdict));
    if (verdicts.size <= 1) return { ...node, children };
    return {
      ...node,
      verdict: 'flaky',
      status: 'unexpected',
      reasons: [
        `flaky: ${seen.length} boots disagree (${seen.map((x) => x.node.verdict).join(', ')})`,
        ...seen.map((x) => `boot ${x.boot}: ${x.node.verdict}${x.node.reasons[0] ? `: ${x.node.reasons[0]}` : ''}`),
      ],
      children,
    };
  };
  return shown.map(merge);
}

/** The tree cut to what a glob names: the nodes it names with all below them, and the ancestors of those. */
export function pruneTo<N extends { path: TestPath; children: N[] }>(nodes: readonly N[], glob: string): N[] {
  return nodes.flatMap((node) => {
    if (globMatchesPath(glob, node.path)) return [node];
    const children = pruneTo(node.children, glob);
    return children.length > 0 ? [{ ...node, children }] : [];
  });
}
