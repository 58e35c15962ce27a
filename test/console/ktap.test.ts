import t from 'tap';
import { parseKtap, type KtapNode } from '../../harness/console/ktap.js';
import { kunitLines } from '../support/kunit-console.js';

const suites = [
  {
    name: 'list-kunit-test',
    cases: [
      { name: 'list_test_list_init', result: 'ok' as const },
      { name: 'list_test_list_add', result: 'not ok' as const },
    ],
  },
  {
    name: 'cmdline',
    cases: [
      { name: 'cmdline_test_noint', result: 'skip' as const },
      {
        name: 'cmdline_param',
        result: 'ok' as const,
        params: [
          { name: 'len=16, offset=3', result: 'ok' as const },
          { name: 'a.b', result: 'ok' as const },
        ],
      },
    ],
  },
];

/** name:result pairs of a tree, depth first. */
function shape(nodes: readonly KtapNode[]): unknown[] {
  return nodes.map((n) => [n.name, n.result, n.directive?.kind ?? null, ...(n.children.length ? [shape(n.children)] : [])]);
}

const expectedShape = [
  [
    'list-kunit-test',
    'not ok',
    null,
    [
      ['list_test_list_init', 'ok', null],
      ['list_test_list_add', 'not ok', null],
    ],
  ],
  [
    'cmdline',
    'ok',
    null,
    [
      ['cmdline_test_noint', 'ok', 'SKIP'],
      [
        'cmdline_param',
        'ok',
        null,
        [
          ['len=16, offset=3', 'ok', null],
          ['a.b', 'ok', null],
        ],
      ],
    ],
  ],
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
  t.same(
    failed.log,
    ['# list_test_list_add: EXPECTATION FAILED at lib/test.c:11', 'Expected a == b, but'],
    "a case's own lines are its log",
  );
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
  const lines = kunitLines(suites).flatMap((l, i) => [
    l.replace(/^\[[^\]]*\] /, ''),
    ...(i % 3 === 0 ? [`[    0.5] virtio-pci 0000:00:0${i % 8}.0: enabling device`] : []),
  ]);
  const { documents, issues } = parseKtap(lines);
  t.same(issues, []);
  t.same(shape(documents[0]!.root.children), expectedShape);
});

t.test('cut in the middle of a case: the running suite and case never reported, the rest never began', async (t) => {
  const lines = kunitLines(suites);
  const cut = lines.findIndex((l) => l.includes('list_test_list_add: EXPECTATION')) + 1;
  const { documents } = parseKtap([
    ...lines.slice(0, cut),
    '[    0.5] Unable to handle kernel NULL pointer dereference at virtual address 0',
  ]);
  const doc = documents[0]!;
  t.equal(doc.complete, false);
  const suite = doc.root.children[0]!;
  t.equal(suite.result, null, 'the suite has no result');
  t.same(
    suite.children.map((c) => [c.name, c.result]),
    [['list_test_list_init', 'ok']],
    'only the case that reported is a node',
  );
  t.same(
    suite.unreported?.log,
    ['# list_test_list_add: EXPECTATION FAILED at lib/test.c:11', 'Unable to handle kernel NULL pointer dereference at virtual address 0'],
    'the lines of the case that was running',
  );
  t.equal(doc.root.children.length, 1, 'the second suite never began');
});

t.test('a second KTAP document (a replayed console) is noted, and read on its own', async (t) => {
  const lines = kunitLines(suites);
  const { documents, issues } = parseKtap([...lines, ...lines]);
  t.equal(documents.length, 2);
  t.match(issues, [/another KTAP document begins/]);
  t.same(shape(documents[1]!.root.children), expectedShape);
});

t.test('results at an impossible depth, wrong numbers and lying plans are kept on the test they touch', async (t) => {
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
  t.match(issues, [
    /a result at depth 3 under a test at depth 1/,
    /numbered 2, expected 1/,
    /numbered 1, expected 2/,
    /1 of 3 planned subtests never reported/,
  ]);
  const s = documents[0]!.root.children[0]!;
  t.same(
    s.children.map((c) => c.name),
    ['second_first', 's_case'],
  );
  t.equal(s.plan, 3, 'the plan says three: one is missing');
  t.same(
    s.issues.map((i) => [i.kind, i.line]),
    [
      ['structure', 6],
      ['structure', 9],
    ],
    'the suite: a line deeper than any of its tests, and its plan not met',
  );
  t.same(
    s.children.map((c) => c.issues.map((i) => i.kind)),
    [['note'], ['note']],
    'its cases: numbered out of place, a note each',
  );
});

/** KUnit's lines for suites s1..sN of two cases each, with `extra` put in `skip` lines after the line that matches `after`. */
function withLine(suites: number, after: RegExp, extra: string, skip = 0): string[] {
  const lines = kunitLines(
    Array.from({ length: suites }, (_, i) => ({
      name: `s${i + 1}`,
      cases: [
        { name: 'c1', result: 'ok' as const },
        { name: 'c2', result: 'not ok' as const },
      ],
    })),
  );
  const at = lines.findIndex((l) => after.test(l)) + 1 + skip;
  return [...lines.slice(0, at), `[    0.450000] ${extra}`, ...lines.slice(at)];
}

t.test(
  'a suite result printed by code under test closes an earlier suite: it is broken, and the real result is a second one',
  async (t) => {
    // s1's first case prints "ok 1 s1" at column 0, as code under test may
    const { documents } = parseKtap(withLine(2, /    ok 1 c1$/, 'ok 1 s1'));
    const [s1, s2] = documents[0]!.root.children;
    t.equal(documents[0]!.root.children.length, 2, 'no third suite, and s2 is not lost');
    t.match(
      s1!.issues.map((i) => i.text),
      [
        /1 of 2 planned subtests never reported before its result "ok 1 s1"/,
        /a result at depth 1 under a test at depth 0: "not ok 2 c2"/,
        /a second result for it: "not ok 1 s1"/,
      ],
    );
    t.same(
      s1!.children.map((c) => c.name),
      ['c1'],
      'what came before the early result',
    );
    t.same(s2!.issues, [], 's2 read as printed');
    t.equal(s2!.children.length, 2);
  },
);

t.test('a result that closes the last suite early ends the document: what follows is never ignored', async (t) => {
  // printed by s2's first case, before it reports (after s2's header and plan)
  const doc = parseKtap(withLine(2, /# Subtest: s2$/, 'ok 2 s2', 1)).documents[0]!;
  t.equal(doc.complete, true, 'the root plan was met by the early result');
  const s2 = doc.root.children[1]!;
  t.same(s2.children, [], 'no case of s2 was read before it');
  t.match(
    s2.issues.map((i) => i.text),
    [
      /2 of 2 planned subtests never reported before its result "ok 2 s2"/,
      /a line after the document ended: "ok 1 c1"/,
      /a line after the document ended: "not ok 2 c2"/,
      /a second result for it, after the document ended: "not ok 2 s2"/,
    ],
  );
});

t.test('a line at a depth no test has, a plan where none belongs, a test beyond its plan: each is a structure issue', async (t) => {
  const odd = parseKtap([
    'KTAP version 1',
    '1..1',
    '    KTAP version 1',
    '    # Subtest: s',
    '    1..1',
    '      ok 1 two_spaces_more',
    '    ok 1 c',
    'ok 1 s',
  ]);
  t.match(odd.documents[0]!.root.children[0]!.issues, [
    { kind: 'structure', text: /a line at a depth no test has: "ok 1 two_spaces_more"/ },
  ]);
  const plans = parseKtap([
    'KTAP version 1',
    '1..1',
    '    KTAP version 1',
    '    # Subtest: s',
    '    1..1',
    '    1..5',
    '    ok 1 c',
    'ok 1 s',
  ]);
  t.match(plans.documents[0]!.root.children[0]!.issues, [{ kind: 'structure', text: /a plan where none belongs: "1\.\.5"/ }]);
  const beyond = parseKtap([
    'KTAP version 1',
    '1..1',
    '    KTAP version 1',
    '    # Subtest: s',
    '    1..1',
    '    ok 1 c',
    '    ok 2 d',
    'ok 1 s',
  ]);
  t.match(beyond.documents[0]!.root.children[0]!.issues, [{ kind: 'structure', text: /a test beyond its plan of 1: "ok 2 d"/ }]);
  const honest = parseKtap(kunitLines(suites));
  t.same(
    honest.documents[0]!.root.children.flatMap((s) => [...s.issues, ...s.children.flatMap((c) => c.issues)]),
    [],
    'an honest console has none',
  );
});

t.test("TAP's plan at the end counts what came; nothing may follow it", async (t) => {
  const good = parseKtap(['TAP version 13', 'ok 1 a', 'ok 2 b', '1..2']);
  t.same([good.documents[0]!.root.plan, good.documents[0]!.complete, good.issues], [2, true, []]);
  const short = parseKtap(['TAP version 13', 'ok 1 a', 'ok 2 b', '1..3']);
  t.match(short.documents[0]!.root.issues, [{ kind: 'structure', text: /its plan at the end, "1\.\.3", counts 3 tests where 2 reported/ }]);
  const after = parseKtap(['TAP version 13', 'ok 1 a', '1..1', 'not ok 2 b']);
  t.match(after.documents[0]!.root.issues, [{ kind: 'structure', text: /a line after the document ended: "not ok 2 b"/ }]);
});

t.test('TAP without a version line (TAP 12) is read when a program prints it, never from the kernel', async (t) => {
  const lines = ['some text', '1..2', 'ok 1 a', 'not ok 2 b'];
  const versionless = parseKtap(lines, { versionless: true });
  t.equal(versionless.documents[0]!.version, 'TAP 12');
  t.same(
    versionless.documents[0]!.root.children.map((c) => [c.name, c.result]),
    [
      ['a', 'ok'],
      ['b', 'not ok'],
    ],
  );
  t.same(parseKtap(lines).documents, [], "the kernel's console needs its KTAP version line");
  t.same(parseKtap(['  ok 1 indented', 'text'], { versionless: true }).documents, [], 'only a plan or result at column 0 begins one');
});

t.test('never throws, whatever the lines', async (t) => {
  const junk = [
    'KTAP version 1',
    '1..',
    '  1..x',
    '    # Subtest:',
    'not ok',
    'ok 99999999999999999999 x',
    '\u0000ok 1',
    '   KTAP version 1',
    '      ok 1',
  ];
  t.doesNotThrow(() => parseKtap(junk));
  t.doesNotThrow(() => parseKtap(Array.from({ length: 2000 }, (_, i) => `${' '.repeat(i % 17)}${i % 5 ? 'ok' : 'KTAP version 1'} ${i} n`)));
});

t.test('kselftest.h\'s nameless results: "ok 3 # SKIP reason" is a skip without a name, its reason kept', async (t) => {
  const { documents } = parseKtap(['TAP version 13', '1..3', 'ok 1 CLOCK_REALTIME', 'ok 2 # SKIP CLOCK_TAI', 'not ok 3 # exit=1']);
  const [first, skip, failed] = documents[0]!.root.children;
  t.match(first, { name: 'CLOCK_REALTIME', directive: null });
  t.match(skip, { name: '', result: 'ok', directive: { kind: 'SKIP', reason: 'CLOCK_TAI' } });
  t.match(failed, { name: '', result: 'not ok', directive: null });
});

t.test("a `# Subtest:` comment at the parent's depth (older TAP writers) is a note; the subtest its lines make is read", async (t) => {
  const obs = parseKtap(['TAP version 13', '1..2', 'ok 1 alpha', '# Subtest: beta', '    1..1', '    ok 1 inner', 'ok 2 beta'], {
    versionless: true,
  });
  const root = obs.documents[0]!.root;
  t.same(
    root.children.map((c) => `${c.name} ${c.result} ${c.issues.map((i) => i.kind).join(',')}`),
    ['alpha ok note', 'beta ok '],
  );
  t.same(
    root.children[1]!.children.map((c) => `${c.name} ${c.result}`),
    ['inner ok'],
  );
  t.equal(obs.documents[0]!.complete, true);
});
