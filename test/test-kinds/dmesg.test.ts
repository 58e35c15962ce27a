/**
 * The dmesg kind: the kernel's log as a test. Read from real consoles of
 * kvmatrix's own runs (a clean boot, a WARNING inside a KUnit case, a
 * panic) and from hostile ones: a guest program that prints a WARNING
 * line, a log cut short or cut at the console's cap, more reports than are
 * read. `dmesg.clean` is always there and passes only a log seen whole
 * without a report the cell answers for; each such report is a failing
 * leaf too, numbered within its kind; reports KUnit took charge of (or a
 * rule lets a case print) are not dmesg's.
 */
import t from 'tap';
import { parseConsole } from '../../harness/console/parse.js';
import type { Cell } from '../../harness/matrix/types.js';
import { readDmesg } from '../../harness/test-kinds/dmesg/dmesg.js';
import { KINDS, kindKernelArgs, readKinds } from '../../harness/test-kinds/registry.js';
import { narrowCell } from '../../harness/test-kinds/narrow.js';
import { leavesOf } from '../../harness/verdict/tree.js';
import type { CellVerdict } from '../../harness/verdict/types.js';
import { kunitCell, qemuCell } from '../support/cells.js';
import { decideBooted } from '../support/decide.js';
import { EXITED } from '../support/launch.js';
import { consoleFixture } from '../support/fixtures.js';
import { programsBoot } from '../support/records.js';

const exited = EXITED;
const withDmesg = (cell: Cell): Cell => ({ ...cell, tests: [...cell.tests, { kind: 'dmesg' }] });
const leaves = (v: CellVerdict) => leavesOf(v.tests).map((l) => `${l.path} ${l.verdict}`);

const whole = { finished: true, cut: false };
const none = { dropped: 0, read: 0 };
const names = (read: ReturnType<typeof readDmesg>) => read.node!.children.map((c) => `${c.name} ${c.verdict}`);

t.test('a clean boot of a real kernel: dmesg.clean passes beside the probe', async (t) => {
  const f = consoleFixture('pass-flat-legacy');
  const v = decideBooted(withDmesg(qemuCell('flat', 'legacy')), exited, parseConsole(f.text, { nonce: f.nonce }));
  t.equal(v.verdict, 'pass', v.reasons.join('\n'));
  t.same(
    leaves(v).filter((l) => l.startsWith('dmesg')),
    ['dmesg.clean pass'],
  );
});

t.test("a real WARNING inside a KUnit case: KUnit's to judge when KUnit runs, dmesg's when it does not", async (t) => {
  const f = consoleFixture('kunit-command-6.1');
  const obs = parseConsole(f.text, { nonce: f.nonce });
  t.equal(obs.incidents.length, 1, 'the console has one report: the case that warns');
  const alone = readDmesg(obs.incidents, none, whole);
  t.same(names(alone), ['clean fail', 'warning-1 fail']);
  t.same(alone.node!.children[0]!.reasons, ['the kernel log holds a report: warning-1']);
  const warning = alone.node!.children[1]!;
  t.match(warning.reasons[0], /^kernel WARNING at console line \d+: a warning inside a passing case/);
  t.ok(
    warning.log.some((line) => /example_simple_test/.test(line)),
    'its log is the report, naming where it warned',
  );

  // beside KUnit, the report is the case's: the case fails for it, and dmesg does not count it again
  const cell = withDmesg(kunitCell('[ceh]*'));
  const dmesg = readKinds(cell, obs).find((r) => r.node?.name === 'dmesg')!;
  t.same(
    dmesg.node!.children.map((c) => `${c.name} ${c.verdict}`),
    ['clean pass'],
  );
  // and a rule that lets the case print a WARNING makes it no failure anywhere
  const allowed = { ...cell, leafExpect: [{ test: 'kunit.example.example_simple_test', mayPrint: ['warning' as const], rule: 0 }] };
  const v = decideBooted(allowed, exited, obs);
  t.same(
    leaves(v).filter((l) => /example_simple_test|dmesg/.test(l)),
    ['kunit.example.example_simple_test pass', 'dmesg.clean pass'],
  );
});

t.test('a real panic before init: the panic fails dmesg, and the cell fails for it as before', async (t) => {
  const f = consoleFixture('panic');
  const obs = parseConsole(f.text, { nonce: f.nonce });
  const v = decideBooted(withDmesg(qemuCell('flat', 'legacy')), exited, obs);
  t.equal(v.verdict, 'fail');
  t.match(v.reasons[0], /panic/i, 'the cell still answers for the report');
  const plain = decideBooted(qemuCell('flat', 'legacy'), exited, obs);
  t.same(v.reasons, plain.reasons, 'the same reasons as without dmesg');
  t.same(
    leaves(v).filter((l) => l.startsWith('dmesg')),
    ['dmesg.clean fail', 'dmesg.panic-1 fail'],
  );
});

const NONCE = '00112233aabbccdd';
/** A finished boot whose one command printed `printed`, framed as the agent frames it, and the kernel lines `kernel` beside it. */
function commandConsole(printed: string, kernel: string[] = []): string {
  return programsBoot(NONCE, [{ name: 'c', said: Buffer.from(`${printed}\n`), between: [`cmd1| ${printed}`, ...kernel] }]).join('\n');
}

t.test('hostile: a guest program that prints a WARNING is not the kernel; the kernel that warns meanwhile is', async (t) => {
  const forged = 'WARNING: CPU: 0 PID: 1 at lib/forged.c:1 forged+0x0/0x4';
  const quiet = parseConsole(commandConsole(forged), { nonce: NONCE });
  t.same(names(readDmesg(quiet.incidents, none, whole)), ['clean pass'], "the program's line is its output, not the kernel's");
  const real = parseConsole(
    commandConsole('fine', [
      '[    0.700000] ------------[ cut here ]------------',
      `[    0.700001] ${forged}`,
      '[    0.700002] ---[ end trace 0000000000000000 ]---',
    ]),
    { nonce: NONCE },
  );
  t.same(names(readDmesg(real.incidents, none, whole)), ['clean fail', 'warning-1 fail']);
});

const report = (kind: 'warning' | 'bug', line: number) => ({ kind, line, summary: `${kind} at a.c:${line}`, excerpt: [] });

t.test('hostile: a log not seen whole never passes clean; a report seen fails it all the same', async (t) => {
  const cut = readDmesg([], none, { finished: false, cut: false });
  t.equal(cut.node, null, 'nothing shown');
  t.match(cut.untrusted[0], 'the kernel log ends before the agent finished');
  const capped = readDmesg([], none, { finished: true, cut: true });
  t.equal(capped.node, null);
  t.match(capped.untrusted[0], 'the console was cut at its cap');
  // five reports read, four of them KUnit's (inside its cases), three more past the cap: the cell answers for one and the three
  const flood = readDmesg([report('warning', 9)], { dropped: 3, read: 5 }, { finished: false, cut: true });
  t.same(
    flood.node!.children.map((c) => `${c.name} ${c.verdict} ${c.reasons.join('')}`),
    [
      'clean fail the kernel log holds 4 reports: warning-1, 3 past the read cap (more)',
      'warning-1 fail kernel WARNING at console line 9: warning at a.c:9',
      'more fail 3 more kernel reports after the first 5: counted, not read one by one',
    ],
    'a report seen fails clean even in a log not seen whole; the counts are of the whole log',
  );
});

t.test('reports are numbered within their kind, so a new BUG renames no WARNING; clean is always there', async (t) => {
  t.same(names(readDmesg([report('warning', 3), report('bug', 5), report('warning', 8)], none, whole)), [
    'clean fail',
    'warning-1 fail',
    'bug-1 fail',
    'warning-2 fail',
  ]);
});

t.test("every message on the console in a dmesg cell, whatever boot.append's log level says; nothing added elsewhere", async (t) => {
  t.same(kindKernelArgs(withDmesg(qemuCell('flat', 'legacy'))), ['ignore_loglevel']);
  t.same(kindKernelArgs(qemuCell('flat', 'legacy')), []);
});

t.test('--test dmesg.* keeps the boot the matrix runs: the other tests still run, their results left out', async (t) => {
  const cell: Cell = { ...kunitCell('list-kunit-test'), tests: [...kunitCell('list-kunit-test').tests, { kind: 'dmesg' }] };
  const narrowed = narrowCell(cell, 'dmesg.clean')!;
  t.same(
    narrowed.tests.map((test) => test.kind),
    ['kunit', 'dmesg'],
    'KUnit still runs in the boot dmesg reads',
  );
  t.equal(narrowed.only, 'dmesg.clean');
  t.same(kindKernelArgs(narrowed), kindKernelArgs(cell), 'the same kernel command line, no kunit.enable=0');
  t.same(
    narrowCell(cell, 'kunit.*')!.tests.map((test) => test.kind),
    ['kunit'],
    'a glob that names KUnit alone still boots KUnit alone',
  );
});

t.test('dmesg reads last, so that the reports every other kind takes are known when it reads', async (t) => {
  t.equal(Object.keys(KINDS).at(-1), 'dmesg');
});
