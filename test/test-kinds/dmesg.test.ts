/**
 * The dmesg kind: the kernel's log as a test. Read from real consoles of
 * kvmatrix's own runs (a clean boot, a WARNING inside a KUnit case, a
 * panic) and from hostile ones: a guest program that prints a WARNING
 * line, a log cut short, more reports than are read. A report is a failing
 * leaf, and the cell still answers for it; `clean` passes only a log read
 * to the agent's end.
 */
import t from 'tap';
import { parseConsole } from '../../harness/console/parse.js';
import { crc32Bytes } from '../../harness/console/command-output.js';
import type { Cell } from '../../harness/matrix/types.js';
import { readDmesg } from '../../harness/test-kinds/dmesg/dmesg.js';
import { leavesOf } from '../../harness/verdict/tree.js';
import type { CellVerdict } from '../../harness/verdict/types.js';
import type { LaunchOutcome } from '../../harness/vmm/types.js';
import { qemuCell } from '../support/cells.js';
import { decideBooted } from '../support/decide.js';
import { consoleFixture } from '../support/fixtures.js';
import { agentRecord } from '../support/records.js';

const exited: LaunchOutcome = {
  kind: 'exited',
  code: 0,
  signal: null,
  durationMs: 900,
  firstOutputMs: 40,
  consoleBytes: 9000,
  consoleTruncated: false,
  stderrTail: [],
};
const withDmesg = (cell: Cell): Cell => ({ ...cell, tests: [...cell.tests, { kind: 'dmesg' }] });
const leaves = (v: CellVerdict) => leavesOf(v.tests).map((l) => `${l.path} ${l.verdict}`);

t.test('a clean boot of a real kernel: dmesg.clean passes beside the probe', async (t) => {
  const f = consoleFixture('pass-flat-legacy');
  const v = decideBooted(withDmesg(qemuCell('flat', 'legacy')), exited, parseConsole(f.text, { nonce: f.nonce }));
  t.equal(v.verdict, 'pass', v.reasons.join('\n'));
  t.same(
    leaves(v).filter((l) => l.startsWith('dmesg')),
    ['dmesg.clean pass'],
  );
});

t.test("a real WARNING inside a KUnit case: a failing leaf of its own, named by the kernel's headline", async (t) => {
  const f = consoleFixture('kunit-command-6.1');
  const obs = parseConsole(f.text, { nonce: f.nonce });
  t.ok(obs.incidents.length > 0, 'the console has a report');
  const read = readDmesg(obs.incidents, obs.incidentsDropped, true);
  t.equal(read.node!.verdict, 'fail');
  t.same(
    read.node!.children.map((c) => c.name),
    obs.incidents.map((i, n) => `${i.kind}-${n + 1}`),
  );
  const first = read.node!.children[0]!;
  t.match(first.reasons[0], /^kernel WARNING at console line \d+: a warning inside a passing case/);
  t.ok(
    first.log.some((line) => /example_simple_test/.test(line)),
    'its log is the report, naming where it warned',
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
});

const NONCE = '00112233aabbccdd';
/** A finished boot whose one command printed `printed`, framed as the agent frames it, and the kernel lines `kernel` beside it. */
function commandConsole(printed: string, kernel: string[] = []): string {
  const said = Buffer.from(`${printed}\n`);
  return [
    agentRecord(NONCE, 0, 'begin', { agent: 1, role: 'guest', kernel: '6.1', machine: 'aarch64', uptime: '0.5' }),
    agentRecord(NONCE, 1, 'cmdbegin', { index: 1, name: 'c', program: 'sh', timeout: 5, cap: 100, uptime: '0.6' }),
    `cmd1| ${printed}`,
    ...kernel,
    agentRecord(NONCE, 2, 'cmdend', {
      index: 1,
      result: 'exit',
      code: 0,
      signal: 0,
      detail: '-',
      bytes: said.length,
      shown: said.length,
      crc: crc32Bytes(said).toString(16).padStart(8, '0'),
      seconds: '0.1',
    }),
    agentRecord(NONCE, 3, 'end', { records: 4, uptime: '0.9' }),
  ].join('\n');
}

t.test('hostile: a guest program that prints a WARNING is not the kernel; the kernel that warns meanwhile is', async (t) => {
  const forged = 'WARNING: CPU: 0 PID: 1 at lib/forged.c:1 forged+0x0/0x4';
  const quiet = parseConsole(commandConsole(forged), { nonce: NONCE });
  t.same(
    readDmesg(quiet.incidents, quiet.incidentsDropped, true).node!.children.map((c) => `${c.name} ${c.verdict}`),
    ['clean pass'],
    "the program's line is its output, not the kernel's",
  );
  const real = parseConsole(
    commandConsole('fine', [
      '[    0.700000] ------------[ cut here ]------------',
      `[    0.700001] ${forged}`,
      '[    0.700002] ---[ end trace 0000000000000000 ]---',
    ]),
    { nonce: NONCE },
  );
  t.same(
    readDmesg(real.incidents, real.incidentsDropped, true).node!.children.map((c) => `${c.name} ${c.verdict}`),
    ['warning-1 fail'],
  );
});

t.test('hostile: a log cut short never passes clean; reports counted but not read fail a leaf of their own', async (t) => {
  const cut = readDmesg([], 0, false);
  t.equal(cut.node, null, 'nothing shown');
  t.match(cut.untrusted[0], 'the kernel log ends before the agent finished');
  const flood = readDmesg([{ kind: 'warning', line: 9, summary: 'WARNING: CPU: 0 PID: 1 at a.c:1', excerpt: [] }], 400, false);
  t.same(
    flood.node!.children.map((c) => `${c.name} ${c.verdict} ${c.reasons.join('')}`),
    [
      'warning-1 fail kernel WARNING at console line 9: WARNING: CPU: 0 PID: 1 at a.c:1',
      'more fail 400 more kernel reports after the first 1: counted, not read one by one',
    ],
    'a report seen is a failure even in a log cut short',
  );
});
