import t from 'tap';
import { testPath } from '../../harness/matrix/test-path.js';
import { parseKunitListing } from '../../harness/test-kinds/kunit/kunit-listing.js';
import {
  applyExpectations,
  foldVerdicts,
  judgedNodes,
  leafCounts,
  nodesOf,
  pruneTo,
  type TestVerdict,
  type UnjudgedNode,
} from '../../harness/verdict/tree.js';

const leaf = (names: string[], verdict: TestVerdict): UnjudgedNode => ({
  name: names.at(-1)!,
  path: testPath(...names),
  verdict,
  reasons: [],
  log: [],
  children: [],
});
const suite = (
  names: string[],
  children: UnjudgedNode[],
  verdict: TestVerdict = foldVerdicts(children.map((c) => c.verdict)),
): UnjudgedNode => ({
  name: names.at(-1)!,
  path: testPath(...names),
  verdict,
  reasons: [],
  log: [],
  children,
});
const tree = () => [
  suite(
    ['kunit'],
    [
      suite(['kunit', 's'], [leaf(['kunit', 's', 'a'], 'pass'), leaf(['kunit', 's', 'b'], 'fail'), leaf(['kunit', 's', 'c'], 'skip')]),
      suite(['kunit', 't'], [leaf(['kunit', 't', 'x'], 'pass')]),
    ],
  ),
];

t.test('statuses: a failing test unexpected unless a rule expects it; skips never held against a pass', async (t) => {
  const status = (rules: Parameters<typeof applyExpectations>[1], fail = false) =>
    Object.fromEntries(judgedNodes(applyExpectations(tree(), rules, { verdict: fail ? 'fail' : 'pass' })).map((n) => [n.path, n.status]));
  t.same(status([]), { 'kunit.s.a': 'as-expected', 'kunit.s.b': 'unexpected', 'kunit.s.c': 'skipped', 'kunit.t.x': 'as-expected' });
  t.same(status([{ test: 'kunit.s.b', verdict: 'fail' }])['kunit.s.b'], 'as-expected');
  t.same(
    status([{ test: 'kunit.s', verdict: 'fail' }]),
    { 'kunit.s.a': 'unexpected', 'kunit.s.b': 'as-expected', 'kunit.s.c': 'unexpected', 'kunit.t.x': 'as-expected' },
    'a suite glob speaks for each of its cases',
  );
  t.same(
    status([
      { test: 'kunit.s.c', verdict: 'skip' },
      { test: 'kunit.t.x', verdict: 'skip' },
    ]),
    { 'kunit.s.a': 'as-expected', 'kunit.s.b': 'unexpected', 'kunit.s.c': 'skipped', 'kunit.t.x': 'unexpected' },
    'expected to skip and passed: not as expected',
  );
  t.same(
    status([
      { test: 'kunit.*', verdict: 'fail' },
      { test: 'kunit.s.a', verdict: 'pass' },
    ])['kunit.s.a'],
    'as-expected',
    'the last rule that names a test wins',
  );
  t.same(
    status([], true),
    { 'kunit.s.a': 'as-expected', 'kunit.s.b': 'as-expected', 'kunit.s.c': 'skipped', 'kunit.t.x': 'as-expected' },
    'a cell expected to fail speaks for its tests',
  );
  const judged = applyExpectations(tree(), [{ test: 'kunit.t.x', verdict: 'fail', why: 'known' }], { verdict: 'pass' });
  const x = judgedNodes(judged).find((n) => n.name === 'x')!;
  t.same(x.reasons, ['expected to fail (known), passed']);
  t.equal(judged[0]!.children[1]!.status, 'unexpected', 'its suite folds it');
});

t.test("a test's expectation names the rule behind it: its own with test:, or the cell's covering its failure", async (t) => {
  const cellRule = { verdict: 'fail' as const, why: 'bit 14 masked', rule: 2 };
  const nodes = judgedNodes(applyExpectations(tree(), [{ test: 'kunit.t.x', verdict: 'pass', rule: 4 }], cellRule));
  const at = (name: string) => nodes.find((n) => n.name === name)!;
  t.same(
    { expected: at('b').expected, expectedWhy: at('b').expectedWhy, expectedBy: at('b').expectedBy, status: at('b').status },
    { expected: 'fail', expectedWhy: 'bit 14 masked', expectedBy: { rule: 2, scope: 'cell' }, status: 'as-expected' },
    "a failure the cell's rule covers is expected to fail, by that rule, not 'expected: pass'",
  );
  t.same(
    [at('a').expected, at('a').expectedBy, at('a').status],
    ['pass', undefined, 'as-expected'],
    "a pass under the cell's rule is no contradiction, and no rule claims it",
  );
  t.same([at('c').expected, at('c').status], ['pass', 'skipped']);
  t.same(at('x').expectedBy, { rule: 4, scope: 'test' }, 'a rule with test: names itself');
  const broken = nodesOf(applyExpectations(tree(), [{ test: 'kunit.s.a', verdict: 'fail', rule: 4 }], cellRule));
  const s = broken.find((n) => n.path === 'kunit.s')!;
  t.same(
    [s.verdict, s.expected, s.expectedBy, s.status],
    ['fail', 'pass', undefined, 'unexpected'],
    "a suite with a case that breaks its own rule is not covered by the cell's",
  );
  const covered = nodesOf(applyExpectations(tree(), [], cellRule)).find((n) => n.path === 'kunit.s')!;
  t.same(
    [covered.expected, covered.expectedBy, covered.status],
    ['fail', { rule: 2, scope: 'cell' }, 'as-expected'],
    'one whose every failure the cell covers is',
  );
  const flaky = judgedNodes(applyExpectations([suite(['kunit', 'f'], [leaf(['kunit', 'f', 'q'], 'flaky')])], [], cellRule));
  t.equal(
    flaky.find((n) => n.name === 'q')!.status,
    'unexpected',
    "a flaky test is not what the cell's rule expects: half its boots passed",
  );
});

t.test('folding and counting', async (t) => {
  t.equal(foldVerdicts(['pass', 'skip']), 'pass');
  t.equal(foldVerdicts(['skip', 'skip']), 'skip');
  t.equal(foldVerdicts(['pass', 'crashed']), 'fail');
  t.equal(foldVerdicts(['fail', 'flaky']), 'flaky');
  t.same(leafCounts(tree()), { total: 4, pass: 2, fail: 1, skip: 1 });
  const crashedSuite = suite(['kunit', 'u'], [leaf(['kunit', 'u', 'a'], 'pass')], 'crashed');
  t.same(
    judgedNodes(applyExpectations([crashedSuite], [], { verdict: 'pass' })).map((n) => n.path),
    ['kunit.u', 'kunit.u.a'],
    'a suite that crashed where its cases passed is judged on its own',
  );
});

t.test('pruning to a glob keeps the named tests and their ancestors', async (t) => {
  const paths = (nodes: UnjudgedNode[]): string[] => nodes.flatMap((n) => [n.path, ...paths(n.children)]);
  t.same(paths(pruneTo(tree(), 'kunit.s.b')), ['kunit', 'kunit.s', 'kunit.s.b']);
  t.same(paths(pruneTo(tree(), 'kunit.t')), ['kunit', 'kunit.t', 'kunit.t.x']);
  t.same(pruneTo(tree(), 'probe'), []);
});

t.test("the kernel's listing, as 6.1 and 6.12 print it", async (t) => {
  const v61 = parseKunitListing([
    '[ 0.1] KTAP version 1',
    '[ 0.1] a.x',
    '[ 0.1] a.y',
    '[ 0.1] b.z',
    '[ 0.2] Run /init as init process',
    '[ 0.2] c.late',
  ]);
  t.same(
    [...v61!],
    [
      ['a', ['x', 'y']],
      ['b', ['z']],
    ],
  );
  const v612 = parseKunitListing([
    'KTAP version 1',
    'a',
    'a.x',
    'b',
    'b.p1',
    'virtio-pci 0000:00:01.0: enabling device (0000 -> 0003)',
    'KVMATRIX/1 0 begin x',
  ]);
  t.same(
    [...v612!],
    [
      ['a', ['x']],
      ['b', ['p1']],
    ],
    'suite lines and kernel chatter',
  );
  t.equal(parseKunitListing(['no listing here']), null);
});
