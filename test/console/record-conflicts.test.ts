/**
 * Signed records that contradict each other. The agent writes each record
 * once, numbered in order; a console whose records, each with the boot's
 * nonce, disagree holds records someone else wrote (a root program can
 * read the nonce from the agent's memory), and no winner is picked: the
 * cell is an error naming the conflict, never a pass. The real guest's
 * forger is in test/integration/guest-userspace.test.ts.
 */
import t from 'tap';
import { parseConsole } from '../../harness/console/parse.js';
import { decideCell } from '../../harness/verdict/decide.js';
import type { LaunchOutcome } from '../../harness/vmm/types.js';
import { qemuCell } from '../support/cells.js';
import { agentRecord, healthyReport } from '../support/records.js';

const NONCE = 'c0ffee';
const exited: LaunchOutcome = { kind: 'exited', code: 0, signal: null, durationMs: 900, firstOutputMs: 50, consoleBytes: 5000, consoleTruncated: false, stderrTail: [] };
const devices: [string, string, number, string][] = [['0000:00:01.0', '1af4:1005', 4, 'rng']];
const cell = qemuCell('flat', 'legacy', ['rng']);
const honest = healthyReport(NONCE, devices);
const begin = (seq: number) => agentRecord(NONCE, seq, 'begin', { agent: 1, role: 'guest', kernel: '6.1', machine: 'aarch64', uptime: '0.5' });
const cmdbegin = (seq: number, index: number) => agentRecord(NONCE, seq, 'cmdbegin', { index, name: `c${index}`, program: 'sh', timeout: 5, cap: 100, uptime: '0.6' });

const read = (lines: string[]) => parseConsole(lines.join('\n'), { nonce: NONCE });

t.test('an honest report has no conflict and passes', async (t) => {
  t.same(read(honest).agent.conflicts, []);
  t.equal(decideCell(cell, exited, read(honest)).verdict, 'pass');
});

t.test('each kind of contradiction is a conflict, named', async (t) => {
  const failing = agentRecord(NONCE, 3, 'check', { dev: 'virtio0', kind: 'rng', result: 'fail', detail: 'no entropy' });
  const cases: [string, string[], RegExp][] = [
    // the forged record comes first: "the first one wins" would have believed it
    ['a second, different record of one number', [...honest.slice(0, 3), failing, ...honest.slice(3)], /two different records numbered 3: check at console line 4, check at line 5/],
    ['a record repeated', [...honest, honest[1]!], /record 1 \(pci\) came twice, at console lines 2 and 6/],
    ['a record out of order', [honest[0]!, honest[2]!, honest[1]!, ...honest.slice(3)], /record 1 \(pci\) at console line 3 came after record 2: out of order/],
    ['a record numbered after the end', [...honest, agentRecord(NONCE, 9, 'check', { dev: 'virtio0', kind: 'rng', result: 'ok', detail: 'x' })], /record 9 \(check\) at console line 6 is numbered after the end record/],
    ['a second cmdbegin for one command', [begin(0), cmdbegin(1, 1), cmdbegin(2, 1), agentRecord(NONCE, 3, 'end', { records: 4, uptime: '1' })], /a second cmdbegin for command 1/],
    ['a cmdbegin while another command runs', [begin(0), cmdbegin(1, 1), cmdbegin(2, 2), agentRecord(NONCE, 3, 'end', { records: 4, uptime: '1' })], /cmdbegin for command 2 while command 1 runs/],
  ];
  for (const [name, lines, conflict] of cases) {
    const obs = read(lines);
    t.match(obs.agent.conflicts.join('\n'), conflict, name);
    const v = decideCell(cell, exited, obs);
    t.equal(v.verdict, 'error', `${name}: error`);
    t.match(v.reasons[0], /^the agent's records contradict each other: /, name);
    t.same([v.devices, v.tests], [[], []], `${name}: no device or test of this boot is shown`);
  }
});

t.test('records of another boot are rejected, not conflicts: they never carried this nonce', async (t) => {
  const other = healthyReport('another-boot', devices);
  const obs = read([...honest, ...other]);
  t.same(obs.agent.conflicts, []);
  t.equal(obs.agent.rejected.length, other.length);
  t.equal(decideCell(cell, exited, obs).verdict, 'pass');
});
