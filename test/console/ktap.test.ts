import t from 'tap';
import { parseKtap, type KtapNode } from '../../harness/console/ktap.js';
import { kunitLines } from '../support/kunit-console.js';

const suites = [
  { name: 'list-kunit-test', cases: [{ name: 'list_test_list_init', result: 'ok' as const }, { name: 'list_test_list_add', result: 'not ok' as const }] },
  {
    name: 'cmdline',
    cases: [
      { name: 'cmdline_test_noint', result: 'skip' as const },
      { name: 'cmdline_param', result: 'ok' as const, params: [{ name: 'len=16, offset=3', result: 'ok' as const }, { name: 'a.b', result: 'ok' as const }] },
    ],
  },
];

/** name:result pairs of a tree, depth first. */
function shape(nodes: readonly KtapNode[]): unknown[] {
  return nodes.map((n) => [n.name, n.result, n.directive?.kind ?? null, ...(n.children.length ? [shape(n.children)] : [])]);
}

const expectedShape = [
  ['list-kunit-test', 'not ok', null, [['list_test_list_init', 'ok', null], ['list_test_list_add', 'not ok', null]]],
  ['cmdline', 'ok', null, [['cmdline_test_noint', 'ok', 'SKIP'], ['cmdline_param', 'ok', null, [['len=16, offset=3', 'ok', null], ['a.b', 'ok', null]]]]],
];

t.test('KUnit as 6.1 prints it: suites, cases, parameters without a plan, skips, diagnostics', async (t) => {
  const { documents, issues } = parseKtap(kunitLines(suites));
  t.same(issues, []);
  t.equal(documents.length, 1);
  const doc = documents[0]!;
  t.equal(doc.complete, true);
  t.equal(doc.root.plan, 2);
  t.same(shape(doc.root.children), expectedShape);
  const failed = doc.root.children[0]!.children[1]!;
  t.same(failed.log, ['# list_test_list_add: EXPECTATION FAILED at lib/test.c:11', 'Expected a == b, but'], "a case's own lines are its log");
  t.same([failed.firstLine, failed.lastLine], [7, 9], 'from after the previous result to its own');
  t.equal(doc.root.children[1]!.children[1]!.plan, null, 'a parameterised case prints no plan');
  t.same(doc.root.children[0]!.log, ['# list-kunit-test: pass:2 fail:0 skip:0 total:2'], "the suite's stats line is the suite's");
});

t.test('2 spaces a level (the KTAP document) read as 4 (KUnit)', async (t) => {
  const two = parseKtap(kunitLines(suites, 2));
  t.same(two.issues, []);
  t.same(shape(two.documents[0]!.root.children), expectedShape);
});

t.test('without timestamps, and with kernel messages between the lines', async (t) => {
  const lines = kunitLines(suites).flatMap((l, i) => [l.replace(/^\[[^\]]*\] /, ''), ...(i % 3 === 0 ? [`[    0.5] virtio-pci 0000:00:0${i % 8}.0: enabling device`] : [])]);
  const { documents, issues } = parseKtap(lines);
  t.same(issues, []);
  t.same(shape(documents[0]!.root.children), expectedShape);
});

t.test('cut in the middle of a case: the running suite and case never reported, the rest never began', async (t) => {
  const lines = kunitLines(suites);
  const cut = lines.findIndex((l) => l.includes('list_test_list_add: EXPECTATION')) + 1;
  const { documents } = parseKtap([...lines.slice(0, cut), '[    0.5] Unable to handle kernel NULL pointer dereference at virtual address 0']);
  const doc = documents[0]!;
  t.equal(doc.complete, false);
  const suite = doc.root.children[0]!;
  t.equal(suite.result, null, 'the suite has no result');
  t.same(suite.children.map((c) => [c.name, c.result]), [['list_test_list_init', 'ok']], 'only the case that reported is a node');
  t.same(suite.unreported?.log, ['# list_test_list_add: EXPECTATION FAILED at lib/test.c:11', 'Unable to handle kernel NULL pointer dereference at virtual address 0'], 'the lines of the case that was running');
  t.equal(doc.root.children.length, 1, 'the second suite never began');
});

t.test('a second KTAP document (a replayed console) is noted, and read on its own', async (t) => {
  const lines = kunitLines(suites);
  const { documents, issues } = parseKtap([...lines, ...lines]);
  t.equal(documents.length, 2);
  t.match(issues, [/another KTAP document begins/]);
  t.same(shape(documents[1]!.root.children), expectedShape);
});

t.test('results at an impossible depth, wrong numbers and lying plans are noted, never trusted', async (t) => {
  const { documents, issues } = parseKtap([
    'KTAP version 1',
    '1..1',
    '    KTAP version 1',
    '    # Subtest: s',
    '    1..3',
    '            ok 1 too_deep',
    '    ok 2 second_first',
    '    ok 1 s_case',
    'ok 1 s',
  ]);
  t.match(issues, [/a result at depth 3 under a test at depth 1/, /numbered 2, expected 1/, /numbered 1, expected 2/]);
  const s = documents[0]!.root.children[0]!;
  t.same(s.children.map((c) => c.name), ['second_first', 's_case']);
  t.equal(s.plan, 3, 'the plan says three: one is missing');
});

t.test('never throws, whatever the lines', async (t) => {
  const junk = ['KTAP version 1', '1..', '  1..x', '    # Subtest:', 'not ok', 'ok 99999999999999999999 x', '\u0000ok 1', '   KTAP version 1', '      ok 1'];
  t.doesNotThrow(() => parseKtap(junk));
  t.doesNotThrow(() => parseKtap(Array.from({ length: 2000 }, (_, i) => `${' '.repeat(i % 17)}${i % 5 ? 'ok' : 'KTAP version 1'} ${i} n`)));
});

t.test("kselftest.h's nameless results: \"ok 3 # SKIP reason\" is a skip without a name, its reason kept", async (t) => {
  const { documents } = parseKtap(['TAP version 13', '1..3', 'ok 1 CLOCK_REALTIME', 'ok 2 # SKIP CLOCK_TAI', 'not ok 3 # exit=1']);
  const [first, skip, failed] = documents[0]!.root.children;
  t.match(first, { name: 'CLOCK_REALTIME', directive: null });
  t.match(skip, { name: '', result: 'ok', directive: { kind: 'SKIP', reason: 'CLOCK_TAI' } });
  t.match(failed, { name: '', result: 'not ok', directive: null });
});
