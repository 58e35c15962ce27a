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
import type { LaunchOutcome } from '../../harness/vmm/types.js';
import { qemuCell } from '../support/cells.js';
import { agentRecord, healthyReport } from '../support/records.js';
import { decideBooted } from '../support/decide.js';

const NONCE = 'c0ffee';
const exited: LaunchOutcome = {
  kind: 'exited',
  code: 0,
  signal: null,
  durationMs: 900,
  firstOutputMs: 50,
  consoleBytes: 5000,
  consoleTruncated: false,
  stderrTail: [],
};
const devices: [string, string, number, string][] = [['0000:00:01.0', '1af4:1005', 4, 'rng']];
const cell = qemuCell('flat', 'legacy', ['rng']);
const honest = healthyReport(NONCE, devices);
const begin = (seq: number) =>
  agentRecord(NONCE, seq, 'begin', { agent: 1, role: 'guest', kernel: '6.1', machine: 'aarch64', uptime: '0.5' });
const cmdbegin = (seq: number, index: number) =>
  agentRecord(NONCE, seq, 'cmdbegin', { index, name: `c${index}`, program: 'sh', timeout: 5, cap: 100, uptime: '0.6' });

const read = (lines: string[]) => parseConsole(lines.join('\n'), { nonce: NONCE });

t.test('an honest report has no conflict and passes', async (t) => {
  t.same(read(honest).agent.conflicts, []);
  t.equal(decideBooted(cell, exited, read(honest)).verdict, 'pass');
});

t.test('each kind of contradiction is a conflict, named', async (t) => {
  const failing = agentRecord(NONCE, 3, 'check', { dev: 'virtio0', kind: 'rng', result: 'fail', detail: 'no entropy' });
  const cases: [string, string[], RegExp][] = [
    // the forged record comes first: "the first one wins" would have believed it
    [
      'a second, different record of one number',
      [...honest.slice(0, 3), failing, ...honest.slice(3)],
      /two different records numbered 3: check at console line 4, check at line 5/,
    ],
    ['a record repeated', [...honest, honest[1]!], /record 1 \(pci\) came twice, at console lines 2 and 6/],
    [
      'a record out of order',
      [honest[0]!, honest[2]!, honest[1]!, ...honest.slice(3)],
      /record 1 \(pci\) at console line 3 came after record 2: out of order/,
    ],
    [
      'a record numbered after the end',
      [...honest, agentRecord(NONCE, 9, 'check', { dev: 'virtio0', kind: 'rng', result: 'ok', detail: 'x' })],
      /record 9 \(check\) at console line 6 is numbered after the end record/,
    ],
    [
      'a second cmdbegin for one command',
      [begin(0), cmdbegin(1, 1), cmdbegin(2, 1), agentRecord(NONCE, 3, 'end', { records: 4, uptime: '1' })],
      /a second cmdbegin for command 1/,
    ],
    [
      'a cmdbegin while another command runs',
      [begin(0), cmdbegin(1, 1), cmdbegin(2, 2), agentRecord(NONCE, 3, 'end', { records: 4, uptime: '1' })],
      /cmdbegin for command 2 while command 1 runs/,
    ],
  ];
  for (const [name, lines, conflict] of cases) {
    const obs = read(lines);
    t.match(obs.agent.conflicts.join('\n'), conflict, name);
    const v = decideBooted(cell, exited, obs);
    t.equal(v.verdict, 'error', `${name}: error`);
    t.match(v.reasons[0], /^the agent's records contradict each other: /, name);
    t.same([v.devices, v.tests], [[], []], `${name}: no device or test of this boot is shown`);
  }
});

t.test("another boot's records are rejected; where their numbers are this boot's, the records conflict", async (t) => {
  const other = healthyReport('another-boot', devices);
  const obs = read([...honest, ...other]);
  t.equal(obs.agent.rejected.length, other.length, 'none of them taken');
  // a record of this number that is not this boot's may be the agent's own, altered on the way, with a forged one in its place
  t.match(obs.agent.conflicts, [
    /^record 0 at console line 1, and one numbered 0 at line \d+ broken or not signed with this boot's nonce: one of them is not the agent's$/,
  ]);
  t.equal(decideBooted(cell, exited, obs).verdict, 'error');
  const beyond = read([...honest, agentRecord('another-boot', 40, 'check', { dev: 'virtio9', kind: 'rng', result: 'ok', detail: 'fine' })]);
  t.same(beyond.agent.conflicts, [], 'one numbered past every record of this boot conflicts with none');
  t.equal(decideBooted(cell, exited, beyond).verdict, 'pass');
});

t.test("a record that came broken, and a whole one of its number: one of them is not the agent's", async (t) => {
  // the agent's record 2 cut by a kernel line printed into it; a program signed its own record 2
  const broken = honest[2]!.slice(0, 30);
  const forged = agentRecord(NONCE, 2, 'pci', {
    bdf: '0000:00:01.0',
    id: '1af4:1005',
    class: '0x00ff00',
    bar0: 'io:0x1000-0x101f',
    driver: 'virtio-pci',
  });
  const lines = [...honest.slice(0, 2), `${broken}[    1.0] a kernel line`, 'rest of it', forged, ...honest.slice(3)];
  const seen = read(lines);
  t.same(seen.agent.missingSeqs, [], 'every number has a whole record');
  t.match(seen.agent.conflicts, [
    /^record 2 at console line 5, and one numbered 2 at line 3 broken or not signed with this boot's nonce: one of them is not the agent's$/,
  ]);
  t.equal(decideBooted(cell, exited, seen).verdict, 'error');
  t.same(
    read([...honest.slice(0, 2), `${broken}[    1.0] a kernel line`, ...honest.slice(3)]).agent.conflicts,
    [],
    'broken alone: a record missing, no conflict',
  );
});

t.test('a line that is no record of this boot is still read for kernel reports and failed probes', async (t) => {
  const hiding = [
    'KVMATRIX/[    5.1] BUG: sleeping function called from invalid context at mm/slab.c:1',
    'KVMATRIX/1 9 pci #00000000 [    5.2] WARNING: CPU: 0 PID: 1 at drivers/x.c:1 f+0x0/0x4',
    'KVMATRIX/virtio-pci 0000:00:02.0: probe of 0000:00:02.0 failed with error -22',
  ];
  const seen = read([...honest.slice(0, -1), ...hiding, honest.at(-1)!]);
  t.equal(seen.agent.rejected.length, 3, 'none of them a record');
  t.same(
    seen.incidents.map((i) => i.kind),
    ['bug', 'warning'],
  );
  t.same(
    seen.probeFailures.map((p) => p.device),
    ['0000:00:02.0'],
  );
  const v = decideBooted(cell, exited, seen);
  // broken before their numbers while no record of this boot is missing: not the agent's, so the records are not believed either
  t.equal(v.verdict, 'error');
  t.match(v.reasons, [
    /a record broken before its number at console line \d+, though none of this boot's is missing/,
    /^kernel BUG at console line \d+: BUG: sleeping function/,
    /^kernel WARNING at console line/,
  ]);
});

t.test("a record broken before its number, where one of the agent's is missing, is the damage the missing one shows", async (t) => {
  const cut = [...honest.slice(0, 2), 'KVMATRIX/1[    1.0] a kernel line printed into it', ...honest.slice(3)];
  const seen = read(cut);
  t.same(seen.agent.conflicts, []);
  t.same(seen.agent.missingSeqs, [2]);
  t.equal(decideBooted(cell, exited, seen).verdict, 'error');
});

t.test('more kernel reports than are kept: the rest are counted, and the cell fails for them', async (t) => {
  const warnings = Array.from({ length: 503 }, (_, i) => `[    2.${i}] WARNING: CPU: 0 PID: 1 at drivers/x.c:${i} f+0x0/0x4`);
  const seen = read([...honest.slice(0, -1), ...warnings, honest.at(-1)!]);
  t.equal(seen.incidents.length, 500);
  t.equal(seen.incidentsDropped, 3);
  const v = decideBooted(cell, exited, seen);
  t.equal(v.verdict, 'fail');
  t.equal(v.reasons.at(-1), '3 more kernel reports after the first 500: counted, not read one by one');
});

t.test("the agent's record altered on the way (still a record in shape), a forged one in its place: a conflict", async (t) => {
  const altered = honest[2]!.replace(' driver=virtio_rng', ' driver=virtio_blk');
  t.equal(
    read([...honest.slice(0, 2), altered, ...honest.slice(3)]).agent.rejected[0]!.reason.startsWith('checksum mismatch'),
    true,
    'still a record in shape, its checksum wrong',
  );
  const forged = agentRecord(NONCE, 2, 'pci', {
    bdf: '0000:00:01.0',
    id: '1af4:1005',
    class: '0x00ff00',
    bar0: 'io:0x1000-0x101f',
    driver: 'virtio-pci',
  });
  const seen = read([...honest.slice(0, 2), altered, forged, ...honest.slice(3)]);
  t.same(seen.agent.missingSeqs, []);
  t.match(seen.agent.conflicts, [/^record 2 at console line 4, and one numbered 2 at line 3 broken or not signed/]);
  t.equal(decideBooted(cell, exited, seen).verdict, 'error');
});
