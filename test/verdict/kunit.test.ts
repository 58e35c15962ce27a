import fc from 'fast-check';
import t from 'tap';
import { parseConsole } from '../../harness/console/parse.js';
import { judge } from '../../harness/verdict/decide.js';
import { leavesOf, type TestNode } from '../../harness/verdict/tree.js';
import type { LaunchOutcome } from '../../harness/vmm/types.js';
import type { LeafExpectation } from '../../harness/matrix/types.js';
import type { KunitListing } from '../../harness/test-kinds/kunit/kunit.js';
import { kunitCell } from '../support/cells.js';
import { kunitConsole, kunitLines, type SuiteSpec } from '../support/kunit-console.js';
import { decideBooted } from '../support/decide.js';
import { EXITED } from '../support/launch.js';

const NONCE = 'b00t';
const exited = EXITED;

const suites: SuiteSpec[] = [
  {
    name: 'list-kunit-test',
    cases: [
      { name: 'list_test_list_init', result: 'ok' },
      { name: 'list_test_list_del', result: 'ok' },
    ],
  },
  {
    name: 'cmdline',
    cases: [
      { name: 'cmdline_test_noint', result: 'skip' },
      { name: 'cmdline_param', result: 'ok', params: [{ name: 'len=16, offset=3', result: 'ok' }] },
    ],
  },
];

function decide(
  console: string,
  options: { filter?: string | null; launch?: LaunchOutcome; rules?: LeafExpectation[]; listing?: KunitListing } = {},
) {
  const cell = { ...kunitCell(options.filter ?? null), leafExpect: options.rules ?? [] };
  const decided = decideBooted(
    cell,
    options.launch ?? exited,
    parseConsole(console, { nonce: NONCE }),
    options.listing ? { kunitListing: options.listing } : {},
  );
  return judge(decided, cell.expect, cell.leafExpect);
}

const leaves = (tests: readonly TestNode[]) => leavesOf(tests).map((l) => `${l.path} ${l.verdict}`);

t.test('KUnit results vouched for by the agent: a tree of suites, cases and parameters', async (t) => {
  const v = decide(kunitConsole(kunitLines(suites), NONCE));
  t.equal(v.verdict, 'pass', v.reasons.join('; '));
  t.equal(v.status, 'as-expected');
  t.same(leaves(v.tests), [
    'kunit.list-kunit-test.list_test_list_init pass',
    'kunit.list-kunit-test.list_test_list_del pass',
    'kunit.cmdline.cmdline_test_noint skip',
    'kunit.cmdline.cmdline_param.len__3d16__2c__20offset__3d3 pass',
  ]);
});

t.test('a failing case fails the cell and is named; expected to fail, the cell goes as expected', async (t) => {
  const failing: SuiteSpec[] = [
    {
      name: 'list-kunit-test',
      cases: [
        { name: 'list_test_list_init', result: 'ok' },
        { name: 'list_test_list_del', result: 'not ok' },
      ],
    },
  ];
  const console = kunitConsole(kunitLines(failing), NONCE);
  const v = decide(console);
  t.equal(v.verdict, 'fail');
  t.equal(v.status, 'unexpected');
  t.match(v.reasons, [/^kunit\.list-kunit-test\.list_test_list_del: fail: list_test_list_del: EXPECTATION FAILED at lib\/test\.c:11$/]);
  const leaf = leavesOf(v.tests).find((l) => l.name === 'list_test_list_del')!;
  t.same(
    leaf.log,
    ['# list_test_list_del: EXPECTATION FAILED at lib/test.c:11', 'Expected a == b, but'],
    'its console lines are on the leaf',
  );

  const known = decide(console, { rules: [{ test: 'kunit.list-kunit-test.list_test_list_del', verdict: 'fail', why: 'a known bug' }] });
  t.equal(known.verdict, 'fail');
  t.equal(known.status, 'as-expected', 'a leaf failing as expected keeps the cell as expected');
  t.match(known.reasons, [/list_test_list_del: fail: .* \(expected: a known bug\)$/]);

  const other = decide(console, { rules: [{ test: 'kunit.list-kunit-test.list_test_list_init', verdict: 'fail' }] });
  t.equal(other.status, 'unexpected', 'another leaf expected to fail passed, and this one failed unexpected');
  t.match(other.reasons.join('\n'), /list_test_list_init: expected to fail, passed/);
});

t.test('an expect glob that names no test of the cell is an error naming the glob', async (t) => {
  const v = decide(kunitConsole(kunitLines(suites), NONCE), { rules: [{ test: 'kunit.no-such-suite.*', verdict: 'fail' }] });
  t.equal(v.verdict, 'error');
  t.match(v.reasons[0], /expect rule test: 'kunit\.no-such-suite\.\*' names no test of this cell/);
});

t.test('a filter that matches no suite is an error naming the filter', async (t) => {
  const v = decide(kunitConsole(['[    0.4] KTAP version 1', '[    0.4] 1..0'], NONCE), { filter: 'nosuch*' });
  t.equal(v.verdict, 'error');
  t.match(v.reasons[0], /kunit\.filter_glob=nosuch\* matches no suite this kernel has/);
});

t.test('no KTAP at all from a cell that runs KUnit is an error', async (t) => {
  const v = decide(kunitConsole([], NONCE));
  t.equal(v.verdict, 'error');
  t.match(v.reasons.join('\n'), /printed no KTAP/);
});

t.test('a panic in the middle of a suite: the cases that never reported crash, the cell fails', async (t) => {
  const lines = kunitLines(suites);
  const cut = lines.findIndex((l) => l.includes('ok 1 list_test_list_init')) + 1;
  const console = [
    ...lines.slice(0, cut),
    '[    0.5] Kernel panic - not syncing: Oops: Fatal exception',
    '[    0.5] ---[ end Kernel panic - not syncing: Oops: Fatal exception ]---',
    '',
  ].join('\n');
  const v = decide(console);
  t.equal(v.verdict, 'fail');
  t.match(v.reasons.join('\n'), /kernel panic/);
  const suite = v.tests[0]!.children[0]!;
  t.equal(suite.verdict, 'crashed', 'without a listing the suite is crashed as a whole');
  t.match(suite.reasons[0], /1 of 2 subtests never reported: the kernel stopped after list_test_list_init/);
  t.equal(
    leavesOf(v.tests).find((l) => l.name === 'list_test_list_init')!.verdict,
    'pass',
    'what reported before the crash keeps its result',
  );
});

t.test("with the kernel's listing, the crashed case and those after it are named", async (t) => {
  const lines = kunitLines(suites);
  const cut = lines.findIndex((l) => l.includes('ok 1 list_test_list_init')) + 1;
  const console = [
    ...lines.slice(0, cut),
    '[    0.5] Unable to handle kernel NULL pointer dereference at virtual address 0000000000000000',
    '[    0.5] Kernel panic - not syncing: Oops: Fatal exception',
    '',
  ].join('\n');
  const cell = kunitCell();
  const listing = new Map([['list-kunit-test', ['list_test_list_init', 'list_test_list_del', 'list_test_list_splice']]]);
  const v = judge(decideBooted(cell, exited, parseConsole(console, { nonce: NONCE }), { kunitListing: listing }), cell.expect, []);
  t.same(leaves(v.tests), [
    'kunit.list-kunit-test.list_test_list_init pass',
    'kunit.list-kunit-test.list_test_list_del crashed',
    'kunit.list-kunit-test.list_test_list_splice crashed',
  ]);
  const crashed = leavesOf(v.tests)[1]!;
  t.match(crashed.log, [/Unable to handle kernel NULL pointer/, /Kernel panic/]);
  t.match(crashed.incidents, [{ kind: 'oops' }], 'the Oops inside the case is charged to it');
});

/** A case's lines with `inside` printed while it ran, before its result. */
function insideCase(suite: SuiteSpec, caseName: string, inside: string[]): string[] {
  const lines = kunitLines([suite]);
  const at = lines.findIndex((l) => new RegExp(`ok \\d+ ${caseName}$`).test(l));
  return [...lines.slice(0, at), ...inside.map((l) => `[    0.600000] ${l}`), ...lines.slice(at)];
}

const faultSuite: SuiteSpec = { name: 'kunit_fault', cases: [{ name: 'kunit_test_fault_null_dereference', result: 'ok' }] };
const caughtOops = [
  'Unable to handle kernel NULL pointer dereference at virtual address 0000000000000000',
  'Internal error: Oops: 000000009600006b [#1] SMP',
  'CPU: 0 UID: 0 PID: 100 Comm: kunit_try_catch Tainted: G                 N 6.12.118 #1',
  '---[ end trace 0000000000000000 ]---',
];

t.test('an Oops KUnit catches inside a case that reports ok: the case passes, the cell too (kunit_fault)', async (t) => {
  const withOops = insideCase(faultSuite, 'kunit_test_fault_null_dereference', [
    ...caughtOops,
    '    # kunit_test_fault_null_dereference: try faulted: last line seen lib/kunit/kunit-test.c:95',
  ]);
  const v = decide(kunitConsole(withOops, NONCE));
  t.equal(v.verdict, 'pass', v.reasons.join('; '));
  const leaf = leavesOf(v.tests)[0]!;
  t.equal(leaf.verdict, 'pass');
  t.match(leaf.incidents, [{ kind: 'oops' }], 'kept on the leaf');
  t.same(v.reasons, []);
});

t.test('an Oops in a passing case that KUnit does not say it caught fails the case', async (t) => {
  const withOops = insideCase(faultSuite, 'kunit_test_fault_null_dereference', caughtOops);
  const v = decide(kunitConsole(withOops, NONCE));
  t.equal(v.verdict, 'fail');
  const leaf = leavesOf(v.tests)[0]!;
  t.equal(leaf.verdict, 'fail');
  t.match(
    leaf.reasons[0],
    /^kernel Oops at console line \d+: Unable to handle kernel NULL pointer dereference .*\(printed while it ran\)$/,
  );
  const otherThread = insideCase(faultSuite, 'kunit_test_fault_null_dereference', [
    ...caughtOops.map((l) => l.replace('kunit_try_catch', 'kworker/0:1')),
    '    # kunit_test_fault_null_dereference: try faulted',
  ]);
  t.equal(decide(kunitConsole(otherThread, NONCE)).verdict, 'fail', "an Oops of another thread is not KUnit's catch");
});

t.test(
  'a WARNING, a BUG or a lockdep report inside a passing case fails it, the report its reason; a matrix may let a test print one',
  async (t) => {
    const suite: SuiteSpec = {
      name: 'list-kunit-test',
      cases: [
        { name: 'list_test_list_init', result: 'ok' },
        { name: 'list_test_list_del', result: 'ok' },
      ],
    };
    const reports: [string, string[], RegExp][] = [
      [
        'warning',
        [
          '------------[ cut here ]------------',
          'WARNING: CPU: 0 PID: 88 at lib/list_debug.c:59 __list_del_entry_valid+0x8c/0xf0',
          'CPU: 0 PID: 88 Comm: kunit_try_catch Not tainted 6.1.192 #1',
          '---[ end trace 0000000000000000 ]---',
        ],
        /^kernel WARNING at console line \d+: lib\/list_debug\.c:59/,
      ],
      [
        'bug',
        ['BUG: sleeping function called from invalid context at mm/slab.h:12', 'in_atomic(): 1, irqs_disabled(): 0'],
        /^kernel BUG at console line \d+: BUG: sleeping function/,
      ],
      [
        'lockdep',
        [
          '======================================================',
          'WARNING: possible circular locking dependency detected',
          'kunit_try_catch/88 is trying to acquire lock:',
        ],
        /^lockdep report at console line \d+: possible circular locking dependency detected/,
      ],
    ];
    for (const [kind, report, reason] of reports) {
      const console = kunitConsole(insideCase(suite, 'list_test_list_del', report), NONCE);
      const v = decide(console);
      t.equal(v.verdict, 'fail', kind);
      t.same(
        leaves(v.tests),
        ['kunit.list-kunit-test.list_test_list_init pass', 'kunit.list-kunit-test.list_test_list_del fail'],
        `${kind}: the case it was printed in fails`,
      );
      t.match(leavesOf(v.tests)[1]!.reasons[0], reason, kind);
      t.match(v.reasons, [/^kunit\.list-kunit-test\.list_test_list_del: fail: /], `${kind}: named among the cell's reasons`);

      const allowed = decide(console, {
        rules: [{ test: 'kunit.list-kunit-test.list_test_list_del', mayPrint: [kind as 'warning'], why: 'warns on purpose' }],
      });
      t.equal(allowed.verdict, 'pass', `${kind}: may_print lets it pass`);
      t.match(leavesOf(allowed.tests)[1]!.incidents, [{ kind }], `${kind}: still kept on the case`);
      const otherKind = decide(console, {
        rules: [{ test: 'kunit.list-kunit-test.*', mayPrint: [kind === 'warning' ? 'kasan' : 'warning'] }],
      });
      t.equal(otherKind.verdict, 'fail', `${kind}: a rule for another kind of report does not`);
    }
  },
);

t.test("an Oops outside every case is the cell's", async (t) => {
  const lines = kunitLines(suites);
  const v = decide(
    kunitConsole([...lines, '[    0.9] Internal error: Oops: 96000045 [#1] SMP', '[    0.9] ---[ end trace 0000000000000000 ]---'], NONCE),
  );
  t.equal(v.verdict, 'fail');
  t.match(v.reasons[0], /kernel Oops at console line/);
});

t.test("a console that lost a result line, or shows another boot's KTAP, is an error", async (t) => {
  const lines = kunitLines(suites);
  const dropped = lines.filter((l) => !l.includes('ok 2 list_test_list_del'));
  const lost = decide(kunitConsole(dropped, NONCE, lines));
  t.equal(lost.verdict, 'error');
  t.match(lost.reasons[0], /the console shows 6 KTAP result lines, the kernel logged 7/);

  const other = kunitLines([
    {
      name: 'list-kunit-test',
      cases: [
        { name: 'list_test_list_init', result: 'ok' },
        { name: 'list_test_list_del', result: 'not ok' },
      ],
    },
    suites[1]!,
  ]);
  const swapped = decide(kunitConsole(lines, NONCE, other));
  t.equal(swapped.verdict, 'error');
  t.match(swapped.reasons[0], /differ from those in the kernel's log/);
});

t.test('a kernel log that lost its first lines is an error that says how to make the log larger', async (t) => {
  const lines = kunitLines(suites);
  const v = decide(kunitConsole(lines, NONCE, lines, true));
  t.equal(v.verdict, 'error');
  t.match(v.reasons[0], /the kernel's log lost its first lines .*holds 1M: give it more with boot: \{ append: "log_buf_len=16M" \}/);
});

t.test('property: a damaged KUnit console never passes a case that did not print ok, and never passes the cell', async (t) => {
  const result = fc.constantFrom<'ok' | 'not ok' | 'skip'>('ok', 'ok', 'ok', 'not ok', 'skip');
  const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,12}$/);
  const suiteArb = fc.record({ name, cases: fc.array(fc.record({ name, result }), { minLength: 1, maxLength: 5 }) });
  const damage = fc.oneof(
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('nonce' as const) }),
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat() }),
  );
  let passes = 0;
  fc.assert(
    fc.property(fc.array(suiteArb, { minLength: 1, maxLength: 4 }), damage, (specs, d) => {
      const lines = kunitLines(specs);
      const resultAt = lines.map((l, i) => (/\] +(not )?ok \d/.test(l) ? i : -1)).filter((i) => i >= 0);
      let console: string;
      if (d.kind === 'cut') {
        const full = kunitConsole(lines, NONCE).split('\n');
        console = full.slice(0, 2 + (d.at % (lines.length + 2))).join('\n');
      } else if (d.kind === 'nonce') {
        console = kunitConsole(lines, 'another-boot');
      } else {
        const i = resultAt[d.at % resultAt.length]!;
        const damaged = [...lines];
        if (d.kind === 'drop') damaged.splice(i, 1);
        if (d.kind === 'duplicate') damaged.splice(i, 0, damaged[i]!);
        if (d.kind === 'flip')
          damaged[i] = damaged[i]!.startsWith(
            'not ok',
            damaged[i]!.indexOf(']') + 2 + (damaged[i]!.length - damaged[i]!.trimStart().length),
          )
            ? damaged[i]!.replace('not ok', 'ok')
            : damaged[i]!.replace(/\] ( *)ok/, '] $1not ok');
        // the agent vouches for what the kernel logged: the undamaged lines
        console = kunitConsole(damaged, NONCE, lines);
      }
      const v = decide(console);
      if (v.verdict === 'pass') passes++;
      // every passing leaf printed its own ok line on this console
      const printed = new Set(console.split('\n').map((l) => l.replace(/^\[[^\]]*\] */, '').trim()));
      for (const leaf of leavesOf(v.tests).filter((l) => l.verdict === 'pass')) {
        // a second case of one name goes by name#N, N its number
        const [, own, number] = /^(.*?)(?:#(\d+))?$/.exec(leaf.name)!;
        if (![...printed].some((l) => l.startsWith(`ok ${number ?? ''}`) && l.endsWith(` ${own}`))) return false;
      }
      return v.verdict !== 'pass';
    }),
    { numRuns: 1500 },
  );
  t.equal(passes, 0);
});

t.test(
  'property: kernel lines between the KTAP lines (other CPUs, drivers) change nothing; result lines slipped in never pass',
  async (t) => {
    const result = fc.constantFrom<'ok' | 'not ok' | 'skip'>('ok', 'ok', 'not ok', 'skip');
    const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/);
    const suiteArb = fc.record({ name, cases: fc.array(fc.record({ name, result }), { minLength: 1, maxLength: 4 }) });
    // what other CPUs and drivers print: never a line whose message is a KTAP result
    const chatter = fc.oneof(
      fc.constantFrom(
        'virtio-pci 0000:00:01.0: enabling device (0000 -> 0003)',
        'random: crng init done',
        '    # a stray diagnostic',
        'Freeing unused kernel memory: 1024K',
        'okay then',
        '        KTAP-ish text',
      ),
      fc.stringMatching(/^[A-Za-z][ -~]{0,40}$/).filter((s) => !/^\s*(not )?ok \d/.test(s) && !/KTAP version|^\s*1\.\.|# Subtest/.test(s)),
    );
    const injected = fc
      .tuple(fc.nat(12), fc.constantFrom('ok', 'not ok'), fc.integer({ min: 1, max: 9 }), name)
      .map(([indent, r, n, c]) => `${' '.repeat(indent)}${r} ${n} ${c}`);
    fc.assert(
      fc.property(
        fc.array(suiteArb, { minLength: 1, maxLength: 3 }),
        fc.array(fc.tuple(fc.nat(), chatter), { maxLength: 8 }),
        (specs, noise) => {
          const lines = kunitLines(specs);
          const noisy = [...lines];
          for (const [at, text] of noise) noisy.splice(at % (noisy.length + 1), 0, `[    0.450000] ${text}`);
          const clean = decide(kunitConsole(lines, NONCE));
          const v = decide(kunitConsole(noisy, NONCE, lines));
          const shape = (tests: readonly TestNode[]) => leavesOf(tests).map((l) => `${l.path} ${l.verdict}`);
          return v.verdict === clean.verdict && JSON.stringify(shape(v.tests)) === JSON.stringify(shape(clean.tests));
        },
      ),
      { numRuns: 800 },
    );
    fc.assert(
      fc.property(fc.array(suiteArb, { minLength: 1, maxLength: 3 }), fc.nat(), injected, (specs, at, line) => {
        const lines = kunitLines(specs);
        const forged = [...lines];
        // anywhere after the version line (before it, no line is KTAP); the agent finds it in the kernel's log and vouches for it
        forged.splice(1 + (at % lines.length), 0, `[    0.450000] ${line}`);
        return decide(kunitConsole(forged, NONCE, forged)).verdict !== 'pass';
      }),
      { numRuns: 800 },
    );
    t.pass('held over every generated console');
  },
);

t.test('a hang in the middle of a suite: the cell times out, the case that never reported is crashed', async (t) => {
  const lines = kunitLines(suites);
  const cut = lines.findIndex((l) => l.includes('ok 1 list_test_list_init')) + 1;
  const hung: LaunchOutcome = {
    kind: 'timed-out',
    timeoutSec: 120,
    durationMs: 120_000,
    firstOutputMs: 40,
    consoleBytes: 4000,
    consoleTruncated: false,
    stderrTail: [],
  };
  const v = decide(`${lines.slice(0, cut).join('\n')}\n`, { launch: hung });
  t.equal(v.verdict, 'timeout');
  t.match(v.reasons[0], /^the kernel hung in KUnit, before the agent within 120 s$/);
  t.match(v.reasons, [/./, /kunit\.list-kunit-test: crashed: 1 of 2 subtests never reported/]);
  t.equal(leavesOf(v.tests).filter((l) => l.verdict === 'pass').length, 1, 'only the case that printed ok passed');
});

const twoSuites: SuiteSpec[] = [
  {
    name: 's1',
    cases: [
      { name: 'c1', result: 'ok' },
      { name: 'c2', result: 'ok' },
      { name: 'c3', result: 'not ok' },
    ],
  },
  {
    name: 's2',
    cases: [
      { name: 'd1', result: 'ok' },
      { name: 'd2', result: 'not ok' },
    ],
  },
];

/** KUnit's lines for twoSuites, `line` printed at column 0 by the case that runs after `after`. */
function printedByCase(after: RegExp, line: string, specs: SuiteSpec[] = twoSuites): string[] {
  const lines = kunitLines(specs);
  const at = lines.findIndex((l) => after.test(l)) + 1;
  return [...lines.slice(0, at), `[    0.450000] ${line}`, ...lines.slice(at)];
}

t.test(
  "a suite's result printed by code under test, as kunit.py reads it: the suite crashed, its unreported cases too, its real failure never lost",
  async (t) => {
    // the last suite closed early, after its plan: every later line "after the end"; the agent vouches for every line, as the kernel printed them
    const early = (() => {
      const lines = kunitLines(twoSuites);
      const plan = lines.findIndex((l) => l.endsWith('# Subtest: s2')) + 2;
      return [...lines.slice(0, plan), '[    0.450000] ok 2 s2', ...lines.slice(plan)];
    })();
    const v = decide(kunitConsole(early, NONCE));
    t.not(v.verdict, 'pass');
    t.equal(v.verdict, 'fail', 'a fail, so that a bisect step says bad');
    const s2 = v.tests[0]!.children[1]!;
    t.equal(s2.verdict, 'crashed');
    t.match(
      s2.reasons.join('\n'),
      /2 of 2 planned subtests never reported before its result "ok 2 s2"[\s\S]*a line after the document ended: "not ok 2 d2"/,
    );
    t.same(leaves(v.tests).slice(3), ['kunit.s2.__231 crashed', 'kunit.s2.__232 crashed'], 'without a listing, the cases by number');
    const listed = decide(kunitConsole(early, NONCE), {
      listing: new Map([
        ['s1', ['c1', 'c2', 'c3']],
        ['s2', ['d1', 'd2']],
      ]),
    });
    t.same(leaves(listed.tests).slice(3), ['kunit.s2.d1 crashed', 'kunit.s2.d2 crashed'], "with the kernel's listing, by name");

    // an earlier suite closed early: its real result is a second one, and the last suite is not dropped
    const first = printedByCase(/    ok 1 c1$/, 'ok 1 s1');
    const w = decide(kunitConsole(first, NONCE));
    t.equal(w.verdict, 'fail');
    t.same(
      w.tests[0]!.children.map((s) => `${s.name} ${s.verdict}`),
      ['s1 crashed', 's2 fail'],
      'two suites, as planned; s2 with its own failure',
    );
    t.match(w.tests[0]!.children[0]!.reasons.join('\n'), /a second result for it: "not ok 1 s1"/);
  },
);

t.test("the KTAP reader's lying plans, through the verdict: never a pass", async (t) => {
  const lines = [
    'KTAP version 1',
    '1..1',
    '    KTAP version 1',
    '    # Subtest: s',
    '    1..3',
    '            ok 1 too_deep',
    '    ok 2 second_first',
    '    ok 1 s_case',
    'ok 1 s',
  ].map((l) => `[    0.4] ${l}`);
  const v = decide(kunitConsole(lines, NONCE));
  t.equal(v.verdict, 'fail');
  const s = v.tests[0]!.children[0]!;
  t.equal(s.verdict, 'crashed');
  t.match(s.reasons, [/a result at depth 3 under a test at depth 1: "ok 1 too_deep"/, /1 of 3 planned subtests never reported/]);
  t.match(
    leavesOf(v.tests).find((l) => l.name === 'second_first')!.notes,
    [/numbered 2, expected 1/],
    'numbering: a note on the case, not its verdict',
  );
});

t.test('cases of one name in a suite: distinct paths, the second with its number', async (t) => {
  const v = decide(
    kunitConsole(
      kunitLines([
        {
          name: 's',
          cases: [
            { name: 'check', result: 'not ok' },
            { name: 'check', result: 'ok' },
          ],
        },
      ]),
      NONCE,
    ),
  );
  t.same(leaves(v.tests), ['kunit.s.check fail', 'kunit.s.check__232 pass']);
  t.same(
    leavesOf(v.tests).map((l) => l.name),
    ['check', 'check#2'],
  );
});

t.test("a suite's own not ok fails it and the cell, though every case of it passed (its init or exit failed)", async (t) => {
  const lines = kunitLines(suites).map((l) => l.replace(/\] ok 1 list-kunit-test$/, '] not ok 1 list-kunit-test'));
  t.ok(
    lines.some((l) => l.endsWith('] not ok 1 list-kunit-test')),
    'the suite says not ok',
  );
  const v = decide(kunitConsole(lines, NONCE));
  t.equal(v.verdict, 'fail');
  const suite = v.tests[0]!.children.find((s) => s.name === 'list-kunit-test')!;
  t.equal(suite.verdict, 'fail');
  t.same(
    suite.children.map((c) => c.verdict),
    ['pass', 'pass'],
    'its cases keep their own results',
  );
  t.match(v.reasons.join('\n'), /kunit\.list-kunit-test: fail/);
});

t.test(
  "a report inside a case that failed already is the cell's: a case expected to fail excuses nothing it printed, may_print does",
  async (t) => {
    const suite: SuiteSpec = {
      name: 'list-kunit-test',
      cases: [
        { name: 'list_test_list_init', result: 'ok' },
        { name: 'list_test_list_del', result: 'not ok' },
      ],
    };
    const kasan = [
      'BUG: KASAN: slab-use-after-free in list_del+0x1/0x2',
      'Read of size 8 at addr ffff000001234567 by task kunit_try_catch/88',
      '='.repeat(66),
    ];
    const console = kunitConsole(insideCase(suite, 'list_test_list_del', kasan), NONCE);
    const known = { test: 'kunit.list-kunit-test.list_test_list_del', verdict: 'fail' as const, why: 'a known bug' };
    const plain = decide(kunitConsole(kunitLines([suite]), NONCE), { rules: [known] });
    t.equal(plain.status, 'as-expected', 'without the report: the expected failure');
    const v = decide(console, { rules: [known] });
    t.equal(v.verdict, 'fail');
    t.equal(v.status, 'unexpected', 'with it: the KASAN report is not what was expected');
    t.match(v.reasons[0], /^KASAN report at console line \d+: KASAN: slab-use-after-free in list_del/);
    t.match(leavesOf(v.tests).find((l) => l.name === 'list_test_list_del')!.incidents, [{ kind: 'kasan' }], 'kept on the case too');
    const allowed = decide(console, { rules: [{ ...known, mayPrint: ['kasan'] }] });
    t.equal(allowed.status, 'as-expected', 'a rule that says it may print one');
  },
);

t.test("a line printed among a suite's cases cannot take a report from the case that printed it", async (t) => {
  const suite: SuiteSpec = {
    name: 'example',
    cases: [
      { name: 'example_simple_test', result: 'ok' },
      { name: 'example_other', result: 'ok' },
    ],
  };
  const warning = [
    '------------[ cut here ]------------',
    'WARNING: CPU: 0 PID: 88 at lib/kunit/kunit-example-test.c:30 example_simple_test+0x14/0x20',
    '    ok 0 probe',
    'CPU: 0 PID: 88 Comm: kunit_try_catch Not tainted 6.1.192 #1',
    '---[ end trace 0000000000000000 ]---',
  ];
  const v = decide(kunitConsole(insideCase(suite, 'example_simple_test', warning), NONCE));
  t.equal(v.verdict, 'fail');
  const simple = leavesOf(v.tests).find((l) => l.name === 'example_simple_test')!;
  t.not(simple.verdict, 'pass', 'the case that printed the WARNING does not pass');
  t.match(simple.reasons[0], /^not believed: example's KTAP does not add up/);
  t.same(
    leavesOf(v.tests).filter((l) => l.verdict === 'pass'),
    [],
    'nothing under the suite passes',
  );
});

t.test('a plan of millions with its result early: the missing tests are counted, and listed only up to a bound', async (t) => {
  const lines = [
    'KTAP version 1',
    '1..1',
    '    KTAP version 1',
    '    # Subtest: huge',
    '    1..5000000',
    '    ok 1 first',
    'ok 1 huge',
  ].map((l, i) => `[    0.${400000 + i}] ${l}`);
  const started = Date.now();
  const v = decide(kunitConsole(lines, NONCE));
  t.ok(Date.now() - started < 5000, `decided in ${Date.now() - started} ms`);
  t.equal(v.verdict, 'fail');
  const suite = v.tests[0]!.children[0]!;
  t.equal(suite.children.length, 100_001, 'the one that reported and 100000 that did not');
  t.match(suite.reasons.join('\n'), /4899999 more planned tests never reported \(not listed one by one\)/);
});

t.test("a report that failed a case is the cell's when the KUnit tree cannot be believed", async (t) => {
  const suite: SuiteSpec = { name: 'list-kunit-test', cases: [{ name: 'list_test_list_init', result: 'ok' }] };
  const warning = [
    '------------[ cut here ]------------',
    'WARNING: CPU: 0 PID: 88 at lib/list_debug.c:59 __list_del_entry_valid+0x8c/0xf0',
    '---[ end trace 0000000000000000 ]---',
  ];
  const lines = insideCase(suite, 'list_test_list_init', warning);
  const v = decide(kunitConsole(lines, NONCE, lines, true));
  t.equal(v.verdict, 'fail', 'the WARNING is a kernel failure whatever the KTAP');
  t.match(v.reasons[0], /^kernel WARNING at console line \d+: lib\/list_debug\.c:59/);
  t.match(v.reasons.join('\n'), /lost its first lines/, 'and why the tree is not shown');
  t.same(v.tests, []);
});

t.test('a case the matrix expects to fail that KUnit calls ok but that warned: not as expected', async (t) => {
  const suite: SuiteSpec = {
    name: 'list-kunit-test',
    cases: [
      { name: 'list_test_list_init', result: 'ok' },
      { name: 'list_test_list_del', result: 'ok' },
    ],
  };
  const warning = [
    '------------[ cut here ]------------',
    'WARNING: CPU: 0 PID: 88 at lib/list_debug.c:59 __list_del_entry_valid+0x8c/0xf0',
    '---[ end trace 0000000000000000 ]---',
  ];
  const known = { test: 'kunit.list-kunit-test.list_test_list_del', verdict: 'fail' as const, why: 'a known bug' };
  const v = decide(kunitConsole(insideCase(suite, 'list_test_list_del', warning), NONCE), { rules: [known] });
  t.equal(leavesOf(v.tests)[1]!.verdict, 'fail', 'the case fails by its WARNING');
  t.equal(v.status, 'unexpected', 'a WARNING is not the failure the matrix expected');
  t.match(v.reasons[0], /^kernel WARNING at console line \d+: lib\/list_debug\.c:59/);
  const allowed = decide(kunitConsole(insideCase(suite, 'list_test_list_del', warning), NONCE), {
    rules: [{ ...known, mayPrint: ['warning'] }],
  });
  t.equal(leavesOf(allowed.tests)[1]!.verdict, 'pass', 'allowed to warn, it passes as KUnit says');
  t.match(allowed.reasons.join('\n'), /list_test_list_del: expected to fail \(a known bug\), passed/, 'and that is what the cell says');
});

t.test("a parameterised case (no plan): a result printed among its parameters cannot take one's report", async (t) => {
  const param: SuiteSpec[] = [
    {
      name: 'cmdline',
      cases: [
        {
          name: 'cmdline_param',
          result: 'ok',
          params: [
            { name: 'value-1', result: 'ok' },
            { name: 'value-2', result: 'ok' },
          ],
        },
      ],
    },
  ];
  const lines = kunitLines(param);
  const at = lines.findIndex((l) => l.endsWith('ok 2 value-2'));
  const warning = ['------------[ cut here ]------------', 'WARNING: CPU: 0 PID: 88 at lib/cmdline.c:1 f+0x0/0x4'].map(
    (l) => `[    0.600000] ${l}`,
  );
  const honestly = decide(kunitConsole([...lines.slice(0, at), ...warning, ...lines.slice(at)], NONCE));
  t.same(
    leaves(honestly.tests),
    ['kunit.cmdline.cmdline_param.value-1 pass', 'kunit.cmdline.cmdline_param.value-2 fail'],
    'the WARNING fails the parameter it was printed in',
  );
  const stolen = decide(
    kunitConsole([...lines.slice(0, at), warning[0]!, warning[1]!, '[    0.600001]         ok 2 value-3', ...lines.slice(at)], NONCE),
  );
  t.equal(stolen.verdict, 'fail');
  t.same(
    leavesOf(stolen.tests).filter((l) => l.verdict === 'pass'),
    [],
    'numbered out of place without a plan: no parameter is believed',
  );
  t.match(
    leavesOf(stolen.tests).find((l) => l.name === 'value-2')!.reasons[0],
    /^not believed: cmdline_param has no plan and a subtest numbered out of place/,
  );
});
