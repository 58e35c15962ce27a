import t from 'tap';
import { parseConsole } from '../../harness/console/parse.js';
import { judge, unbootedVerdict } from '../../harness/verdict/decide.js';
import { classifyVirtioPci, statusNames } from '../../harness/verdict/virtio-ids.js';
import { compareBdf } from '../../harness/verdict/devices.js';
import type { LaunchOutcome } from '../../harness/vmm/types.js';
import { qemuCell } from '../support/cells.js';
import { agentRecord, healthyReport, programsBoot } from '../support/records.js';
import { decideBooted } from '../support/decide.js';

const NONCE = 'n0';
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
const flatLegacy: [string, string, number, string][] = [
  ['0000:00:01.0', '1af4:1005', 4, 'rng'],
  ['0000:00:02.0', '1af4:1000', 1, 'net'],
  ['0000:00:03.0', '1af4:1001', 2, 'blk'],
];
const decide = (lines: string[], launch: LaunchOutcome = exited, cell = qemuCell('flat', 'legacy')) =>
  decideBooted(cell, launch, parseConsole(lines.join('\n'), { nonce: NONCE }));

t.test('a complete healthy report passes', async (t) => {
  const v = decide(healthyReport(NONCE, flatLegacy));
  t.equal(v.verdict, 'pass');
  t.same(v.reasons, []);
  t.same(
    v.devices.map((d) => [d.name, d.bdf, d.presented, d.statusNames.join('|')]),
    [
      ['rng1', '0000:00:01.0', 'legacy', 'ACKNOWLEDGE|DRIVER|DRIVER_OK'],
      ['net1', '0000:00:02.0', 'legacy', 'ACKNOWLEDGE|DRIVER|DRIVER_OK'],
      ['blk1', '0000:00:03.0', 'legacy', 'ACKNOWLEDGE|DRIVER|DRIVER_OK'],
    ],
  );
});

t.test('modern devices on a legacy cell fail: the transport was not what was asked', async (t) => {
  const modern: [string, string, number, string][] = flatLegacy.map(([b, , ty, k]) => [b, `1af4:${(0x1040 + ty).toString(16)}`, ty, k]);
  const v = decide(healthyReport(NONCE, modern, '0x0000000f'));
  t.equal(v.verdict, 'fail');
  t.match(v.reasons[0]!, /presents as modern \(device id 1af4:1044\), the cell asked for legacy/);
  t.equal(decide(healthyReport(NONCE, modern, '0x0000000f'), exited, qemuCell('flat', 'modern')).verdict, 'pass');
});

t.test('each device problem fails the cell and is named', async (t) => {
  const cases: [string, (l: string[]) => string[], RegExp][] = [
    [
      'FAILED bit',
      (l) =>
        l.map((x) =>
          x.includes(' virtio ') && x.includes('virtio0')
            ? agentRecord(NONCE, 4, 'virtio', { dev: 'virtio0', bdf: '0000:00:01.0', type: 4, driver: 'virtio_rng', status: '0x00000087' })
            : x,
        ),
      /rng1 0000:00:01\.0 \(legacy, io BAR0 0x1000\): status 0x87 has FAILED set/,
    ],
    [
      'no DRIVER_OK',
      (l) =>
        l.map((x) =>
          x.includes(' virtio ') && x.includes('virtio0')
            ? agentRecord(NONCE, 4, 'virtio', { dev: 'virtio0', bdf: '0000:00:01.0', type: 4, driver: 'virtio_rng', status: '0x00000003' })
            : x,
        ),
      /status 0x3 lacks DRIVER_OK/,
    ],
    [
      'all-ones',
      (l) =>
        l.map((x) =>
          x.includes(' virtio ') && x.includes('virtio0')
            ? agentRecord(NONCE, 4, 'virtio', { dev: 'virtio0', bdf: '0000:00:01.0', type: 4, driver: 'none', status: '0x000000ff' })
            : x,
        ),
      /no virtio driver bound; status 0xff: the device reads as all-ones/,
    ],
    [
      'I/O check',
      (l) =>
        l.map((x) =>
          x.includes(' check ') && x.includes('virtio1')
            ? agentRecord(NONCE, 7, 'check', { dev: 'virtio1', kind: 'net', result: 'fail', detail: 'no carrier' })
            : x,
        ),
      /net1 .*: I\/O check fail: no carrier/,
    ],
    [
      'check timeout',
      (l) =>
        l.map((x) =>
          x.includes(' check ') && x.includes('virtio1')
            ? agentRecord(NONCE, 7, 'check', { dev: 'virtio1', kind: 'net', result: 'timeout', detail: 'no answer within 4000 ms' })
            : x,
        ),
      /I\/O check timed out/,
    ],
    [
      'wrong disk',
      (l) =>
        l.map((x) =>
          x.includes(' check ') && x.includes('virtio2')
            ? agentRecord(NONCE, 9, 'check', { dev: 'virtio2', kind: 'blk', result: 'ok', detail: 'vda sector 0: KVMATRIX-DISK/1 blk7' })
            : x,
        ),
      /blk1 .*read another device's disk/,
    ],
    ['missing device', (l) => l.filter((x) => !x.includes('0000:00:03.0')).map((x) => x), /blk1: no blk PCI function found/],
  ];
  for (const [name, mutate, reason] of cases) {
    const lines = mutate(healthyReport(NONCE, flatLegacy));
    // keep the end record consistent when lines were dropped
    const fixed = name === 'missing device' ? renumber(lines) : lines;
    const v = decide(fixed);
    t.equal(v.verdict, 'fail', name);
    t.match(v.reasons.join('\n'), reason, name);
  }
});

/** Re-signs records with consecutive sequence numbers. */
function renumber(lines: string[]): string[] {
  return lines.map((line, seq) => {
    const [, kind, rest] = /^KVMATRIX\/1 \d+ (\w+) (.*) #[0-9a-f]{8}$/.exec(line)!;
    const fields = Object.fromEntries(rest!.split(' ').map((kv) => kv.split('=').map(decodeURIComponent) as [string, string]));
    if (kind === 'end') fields.records = String(lines.length);
    return agentRecord(NONCE, seq, kind!, fields);
  });
}

t.test('a probe failure is attached to its device', async (t) => {
  const lines = healthyReport(NONCE, flatLegacy).map((x) =>
    x.includes(' virtio ') && x.includes('virtio0')
      ? agentRecord(NONCE, 4, 'virtio', { dev: 'virtio0', bdf: '0000:00:01.0', type: 4, driver: 'none', status: '0x000000c1' })
      : x,
  );
  const v = decide(['[ 0.7] virtio_rng: probe of virtio0 failed with error -2', ...lines]);
  t.match(v.reasons[0]!, /rng1 .*no driver bound \(virtio_rng: probe of virtio0 failed with error -2\)/);
  t.equal(v.reasons.length, 1, 'not reported twice');
});

t.test('kernel incidents fail even a healthy agent report', async (t) => {
  const v = decide(['[ 1.0] WARNING: CPU: 0 PID: 1 at mm/slub.c:1 x', '[ 1.0] ---[ end trace 0 ]---', ...healthyReport(NONCE, flatLegacy)]);
  t.equal(v.verdict, 'fail');
  t.match(v.reasons[0]!, /^kernel WARNING at console line 1: mm\/slub\.c:1 x/);
});

t.test('incomplete records are never a pass', async (t) => {
  const full = healthyReport(NONCE, flatLegacy);
  const noEnd = decide(full.slice(0, -1));
  t.equal(noEnd.verdict, 'error');
  t.match(noEnd.reasons[0]!, /the guest powered off before the agent reported everything: no end record/);
  const gap = decide(full.filter((_, i) => i !== 3));
  t.equal(gap.verdict, 'error');
  t.match(gap.reasons[0]!, /records 3 missing or damaged/);
  const nothing = decide(['[ 0.1] booting']);
  t.equal(nothing.verdict, 'error');
  t.match(nothing.reasons[0]!, /no agent records at all/);
});

t.test('a panic before the agent is a kernel failure', async (t) => {
  const v = decide(['[ 0.6] Kernel panic - not syncing: No working init found.']);
  t.equal(v.verdict, 'fail');
  t.match(v.reasons[0]!, /kernel panic at console line 1: No working init found/);
});

t.test('how the VMM ended', async (t) => {
  const spawnFailed: LaunchOutcome = { ...exited, kind: 'spawn-failed', message: 'spawn qemu-system-aarch64 ENOENT' };
  const e = decide([], spawnFailed);
  t.equal(e.verdict, 'error');
  t.match(e.hint!, /apt-get install qemu-system-arm/);

  const silent: LaunchOutcome = { ...exited, kind: 'timed-out', timeoutSec: 5, consoleBytes: 0 };
  const s = decide([], silent);
  t.equal(s.verdict, 'error', 'a silent guest is infrastructure, not a kernel failure');
  t.match(s.reasons[0]!, /printed nothing in 5 s/);

  const hung: LaunchOutcome = { ...exited, kind: 'timed-out', timeoutSec: 5 };
  const h = decide(['[ 0.3] Waiting for root device /dev/nonexistent...'], hung);
  t.equal(h.verdict, 'timeout');
  t.match(h.reasons[0]!, /the guest did not reach the agent within 5 s/);
  t.equal(decide(healthyReport(NONCE, flatLegacy), hung).verdict, 'timeout', 'an agent that finished but did not power off');
  t.equal(decide(['[ 0.6] Kernel panic - not syncing: x'], hung).verdict, 'fail', 'a panic that then hangs (panic=0) is the kernel');

  const crashed: LaunchOutcome = { ...exited, code: 1, stderrTail: ['qemu-system-aarch64: -device foo: not found'] };
  const c = decide(['[ 0.1] booting'], crashed);
  t.equal(c.verdict, 'error');
  t.match(c.reasons.join('\n'), /the VMM exited with code 1[\s\S]*-device foo: not found/);
  const afterAgent = decide(healthyReport(NONCE, flatLegacy), crashed);
  t.equal(afterAgent.verdict, 'error');
  t.match(afterAgent.reasons[0]!, /the agent finished but the VMM exited with code 1/);
});

t.test('judge compares with the expectation', async (t) => {
  const pass = decide(healthyReport(NONCE, flatLegacy));
  t.equal(judge(pass, { verdict: 'pass' }).status, 'as-expected');
  const missing = judge(pass, { verdict: 'fail', why: 'bit 14' });
  t.equal(missing.status, 'unexpected');
  t.equal(missing.reasons[0], 'regression signature missing: expected fail (bit 14)');
  t.equal(judge(unbootedVerdict('skip', 'no lkvm'), { verdict: 'fail' }).status, 'skipped');
  t.equal(
    judge(unbootedVerdict('error', 'not built'), { verdict: 'fail' }).status,
    'unexpected',
    'an error never counts as an expected failure',
  );
});

t.test('virtio ids, status bits and bus order', async (t) => {
  t.same(classifyVirtioPci(0x1af4, 0x1005), { kind: 'rng', transport: 'legacy' });
  t.same(classifyVirtioPci(0x1af4, 0x1042), { kind: 'blk', transport: 'modern' });
  t.equal(classifyVirtioPci(0x1b36, 0x0008), null);
  t.equal(classifyVirtioPci(0x1af4, 0x1003), null, 'virtio-console is not a kind the harness checks');
  // kvmtool's legacy rng is 1af4:1004 with subsystem device 4: the subsystem id names the type
  t.same(classifyVirtioPci(0x1af4, 0x1004, 4), { kind: 'rng', transport: 'legacy' });
  t.same(classifyVirtioPci(0x1af4, 0x1000, 1), { kind: 'net', transport: 'legacy' });
  t.equal(classifyVirtioPci(0x1af4, 0x1004, 8), null, 'subsystem 8 is virtio-scsi');
  t.same(classifyVirtioPci(0x1af4, 0x1041, 0x1100), { kind: 'net', transport: 'modern' }, 'a modern device id decides by itself');
  t.same(statusNames(0x8f), ['ACKNOWLEDGE', 'DRIVER', 'DRIVER_OK', 'FEATURES_OK', 'FAILED']);
  t.same(['0000:01:00.0', '0000:00:10.0', '0000:00:02.0'].sort(compareBdf), ['0000:00:02.0', '0000:00:10.0', '0000:01:00.0']);
});

/** A boot that ran one program (a command, or the first kselftest) whose output the agent counted as `said`: its framed lines are `framed`. */
function oneProgram(name: string, framed: string[], said: Buffer): string[] {
  return programsBoot(NONCE, [{ name, said, between: framed }]);
}

t.test("a command's or a kselftest's output that does not add up is the cell's error, never a pass", async (t) => {
  const said = Buffer.from('TAP version 13\n1..1\nnot ok 1 broken\n');
  const honest = ['cmd1| TAP version 13', 'cmd1| 1..1', 'cmd1| not ok 1 broken'];
  // as many bytes, one line changed on the way: what the console shows is not what the program wrote
  const altered = ['cmd1| TAP version 13', 'cmd1| 1..1', 'cmd1| ok 1 broken    '];
  const commandCell: ReturnType<typeof qemuCell> = {
    ...qemuCell('flat', 'legacy', []),
    tests: [{ kind: 'command', name: 'c', argv: ['sh'], files: [], timeoutSec: 5, expectExit: 0 }],
  };
  const kselftestCell: ReturnType<typeof qemuCell> = {
    ...qemuCell('flat', 'legacy', []),
    tests: [
      {
        kind: 'kselftest',
        targets: ['a'],
        skip: [],
        timeoutSec: null,
        installed: { layer: '/l', tests: [{ target: 'a', test: 't', settingsTimeoutSec: null }] },
      },
    ],
  };
  for (const [cell, name] of [
    [commandCell, 'c'],
    [kselftestCell, 'a:t'],
  ] as const) {
    const read = decide(oneProgram(name, honest, said), exited, cell);
    t.equal(read.verdict, 'fail', `${cell.tests[0]!.kind}: the honest output fails the test`);
    const forged = decide(oneProgram(name, altered, said), exited, cell);
    t.equal(forged.verdict, 'error', `${cell.tests[0]!.kind}: the altered output is the cell's error`);
    t.match(forged.reasons[0], /output on the console does not add up/);
    t.same(forged.tests, [], 'and shows no result of it');
  }
});
