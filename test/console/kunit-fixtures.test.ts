/**
 * The KTAP reader and the verdict rules over consoles of real KUnit boots
 * captured from kvmatrix's own runs (test/fixtures/console/kunit-*.json):
 * Debian 6.1 passing, 6.12 with kunit_fault's Oops, a 6.1 kernel that
 * panics inside a case, and that kernel's own listing of its cases.
 */
import t from 'tap';
import { parseConsole } from '../../harness/console/parse.js';
import { testPath } from '../../harness/matrix/test-path.js';
import { parseKunitListing } from '../../harness/test-kinds/kunit/kunit-listing.js';
import { judge } from '../../harness/verdict/decide.js';
import { leavesOf } from '../../harness/verdict/tree.js';
import type { LaunchOutcome } from '../../harness/vmm/types.js';
import { kunitCell, qemuCell } from '../support/cells.js';
import { consoleFixture } from '../support/fixtures.js';
import { decideBooted } from '../support/decide.js';

const exited: LaunchOutcome = {
  kind: 'exited',
  code: 0,
  signal: null,
  durationMs: 1200,
  firstOutputMs: 40,
  consoleBytes: 30000,
  consoleTruncated: false,
  stderrTail: [],
};
const probeAndKunit = (transport: 'legacy' | 'modern') => {
  const k = kunitCell();
  return { ...qemuCell('flat', transport), kernel: k.kernel, tests: [{ kind: 'probe' as const }, ...k.tests] };
};

t.test('6.1 as shipped: 107 KUnit tests, vouched for by the agent, and the probe', async (t) => {
  const f = consoleFixture('kunit-6.1-pass');
  const obs = parseConsole(f.text, { nonce: f.nonce });
  t.same(obs.ktap.issues, []);
  t.equal(obs.ktap.documents.length, 1);
  t.equal(obs.ktap.documents[0]!.complete, true);
  t.same({ results: obs.agent.ktap!.results, crc: obs.agent.ktap!.crc }, obs.ktapDigest, "the agent's count and crc are the console's");
  const cell = probeAndKunit('legacy');
  const v = judge(decideBooted(cell, exited, obs), cell.expect, []);
  t.equal(v.verdict, 'pass', v.reasons.join('; '));
  const kunit = leavesOf(v.tests.filter((n) => n.name === 'kunit'));
  t.equal(kunit.length, 107);
  t.equal(kunit.filter((l) => l.verdict === 'pass').length, 105);
  t.same(
    v.tests[1]!.children.map((s) => s.name),
    [
      'hash',
      'kunit_executor_test',
      'kunit-try-catch-test',
      'kunit-resource-test',
      'kunit-log-test',
      'kunit_status',
      'string-stream-test',
      'example',
      'bitfields',
      'list-kunit-test',
      'hlist',
      'cmdline',
      'overflow',
    ],
  );
  t.same(
    leavesOf(v.tests.filter((n) => n.name === 'probe')).map((l) => `${l.path} ${l.verdict}`),
    ['probe.rng1 pass', 'probe.net1 pass', 'probe.blk1 pass'],
  );
});

t.test('6.12: kunit_fault oopses on purpose inside its case, which passes; the cell too', async (t) => {
  const f = consoleFixture('kunit-6.12-fault');
  const obs = parseConsole(f.text, { nonce: f.nonce });
  t.equal(obs.incidents.filter((i) => i.kind === 'oops').length, 1, 'the console has an Oops');
  const cell = probeAndKunit('modern');
  const v = judge(decideBooted(cell, exited, obs), cell.expect, []);
  t.equal(v.verdict, 'pass', v.reasons.join('; '));
  const fault = leavesOf(v.tests).find((l) => l.path === testPath('kunit', 'kunit_fault', 'kunit_test_fault_null_dereference'))!;
  t.equal(fault.verdict, 'pass');
  t.match(fault.incidents, [{ kind: 'oops', summary: /Unable to handle kernel NULL pointer dereference/ }], 'the Oops is kept on the case');
  t.match(fault.log.join('\n'), /Internal error: Oops/);
  t.equal(v.reasons.length, 0, 'and is not held against the cell');
});

t.test('a panic inside a case: without the listing the suite crashes as a whole, with it each case is named', async (t) => {
  const f = consoleFixture('kunit-6.1-panic');
  const obs = parseConsole(f.text, { nonce: f.nonce });
  const cell = kunitCell();
  const bare = judge(decideBooted(cell, exited, obs), cell.expect, []);
  t.equal(bare.verdict, 'fail');
  const suite = bare.tests[0]!.children.find((s) => s.name === 'list-kunit-test')!;
  t.equal(suite.verdict, 'crashed');
  t.match(suite.reasons[0], /^36 of 39 subtests never reported: the kernel stopped after list_test_list_add_tail/);
  t.match(bare.tests[0]!.reasons, [/3 of 13 suites never ran \(the kernel stopped after suite list-kunit-test\)/]);

  const l = consoleFixture('kunit-6.1-listing');
  const listing = parseKunitListing(l.text.split('\n'))!;
  t.equal(listing.size, 13);
  t.equal(listing.get('list-kunit-test')!.length, 39);
  t.equal(listing.get('list-kunit-test')![3], 'list_test_list_del');
  const named = judge(decideBooted(cell, exited, obs, { kunitListing: listing }), cell.expect, []);
  const leaves = leavesOf(named.tests);
  t.equal(leaves.length, 107, 'every case the kernel has is a leaf, run or not');
  t.same(leaves.filter((x) => x.verdict === 'crashed').length, 107 - 29 - 2, 'the running case and all after it crashed');
  const del = leaves.find((x) => x.name === 'list_test_list_del')!;
  t.equal(del.verdict, 'crashed');
  t.match(del.reasons[0], /never reported: the kernel stopped inside it/);
  t.match(del.log.join('\n'), /Kernel panic - not syncing: list_del took the kernel down/);
  t.equal(named.tests[0]!.reasons.length, 0, 'no suite is left unnamed');
  t.match(named.reasons[0], /^kernel panic at console line \d+: list_del took the kernel down$/, "the panic is the cell's, not the case's");
});

t.test("another boot's KTAP under this boot's records is an error, and its results are shown nowhere", async (t) => {
  const pass = consoleFixture('kunit-6.1-pass');
  const fault = consoleFixture('kunit-6.12-fault');
  const ktapOf = (text: string) => text.split('\n').filter((l) => /^\[[^\]]*\]\s{0,12}(KTAP|1\.\.|ok |not ok |# )/.test(l));
  // the 6.1 boot's records, its KTAP lines swapped for the 6.12 boot's
  const swapped = pass.text.split('\n').filter((l) => !ktapOf(pass.text).includes(l));
  const at = swapped.findIndex((l) => l.includes('as init process'));
  swapped.splice(at, 0, ...ktapOf(fault.text));
  const cell = kunitCell();
  const v = judge(decideBooted(cell, exited, parseConsole(swapped.join('\n'), { nonce: pass.nonce })), cell.expect, []);
  t.equal(v.verdict, 'error');
  t.match(v.reasons[0], /the console shows \d+ KTAP result lines, the kernel logged 120/);
  t.same(v.tests, [], 'no KUnit result is taken from it');
});
