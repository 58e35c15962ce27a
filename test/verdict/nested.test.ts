import t from 'tap';
import { splitNestedConsole } from '../../harness/console/nested.js';
import { parseConsole } from '../../harness/console/parse.js';
import type { LaunchOutcome } from '../../harness/vmm/types.js';
import { kvmtoolCell } from '../support/cells.js';
import { agentRecord, healthyReport } from '../support/records.js';
import { decideNestedBooted } from '../support/decide.js';

const HOST = 'h0';
const GUEST = 'g0';
const exited: LaunchOutcome = {
  kind: 'exited',
  code: 0,
  signal: null,
  durationMs: 5000,
  firstOutputMs: 50,
  consoleBytes: 20000,
  consoleTruncated: false,
  stderrTail: [],
};
const devices: [string, string, number, string][] = [
  ['0000:00:00.0', '1af4:1001', 2, 'blk'],
  ['0000:00:01.0', '1af4:1000', 1, 'net'],
  ['0000:00:02.0', '1af4:1005', 4, 'rng'],
];
const hostBegin = agentRecord(HOST, 0, 'begin', { agent: 1, role: 'host', kernel: '6.1.192', machine: 'aarch64', uptime: '1.5' });
const kvmOk = agentRecord(HOST, 1, 'kvm', { state: 'ok', api: 12 });
const lkvmEnd = (fields: Record<string, string | number>) => agentRecord(HOST, 2, 'lkvm', fields);
const hostEnd = agentRecord(HOST, 3, 'end', { records: 4, uptime: '5.0' });
const guestLines = ['[    0.000000] Linux version 6.1.192 (root@x)', ...healthyReport(GUEST, devices)].map((l) => `guest| ${l}`);

function decide(lines: string[], launch: LaunchOutcome = exited) {
  const split = splitNestedConsole(`${lines.join('\r\n')}\r\n`);
  return decideNestedBooted(kvmtoolCell('legacy'), launch, {
    host: parseConsole(split.host, { nonce: HOST }),
    guest: parseConsole(split.guest, { nonce: GUEST }),
    lkvmStderr: split.lkvm,
  });
}

t.test("a healthy guest under a healthy host passes, judged on the guest's records", async (t) => {
  const v = decide([
    '[    0.000000] Booting Linux',
    hostBegin,
    kvmOk,
    ...guestLines,
    lkvmEnd({ result: 'exited', code: 0, seconds: '3.1', guest_bytes: 9000 }),
    hostEnd,
  ]);
  t.equal(v.verdict, 'pass', v.reasons.join('; '));
  t.same(
    v.devices.map((d) => d.name),
    ['rng1', 'net1', 'blk1'],
  );
});

t.test('a complete guest report signed with the host nonce is not trusted: the reason names the nonce', async (t) => {
  // whole and otherwise valid: begin to end, every sequence number, a healthy device each
  const forged = healthyReport(HOST, devices).map((l) => `guest| ${l}`);
  const v = decide([
    '[    0.000000] Booting Linux',
    hostBegin,
    kvmOk,
    'guest| [    0.000000] Linux version 6.1.192 (root@x)',
    ...forged,
    lkvmEnd({ result: 'exited', code: 0, seconds: '3.1', guest_bytes: 9000 }),
    hostEnd,
  ]);
  t.equal(v.verdict, 'error', v.reasons.join('; '));
  t.match(
    v.reasons[0],
    /before the agent reported everything: no begin record, no end record, \d+ rejected \(checksum mismatch: not signed with this boot's nonce/,
  );
});

t.test("guest records printed by the host, outside the relayed guest console, are not the guest's", async (t) => {
  const v = decide([
    hostBegin,
    kvmOk,
    ...healthyReport(GUEST, devices),
    lkvmEnd({ result: 'exited', code: 0, seconds: '3.1', guest_bytes: 9000 }),
    hostEnd,
  ]);
  t.not(v.verdict, 'pass', v.reasons.join('; '));
});

t.test('a host that never reaches its agent is an error, with its panic', async (t) => {
  const v = decide(['[    1.0] Kernel panic - not syncing: VFS: Unable to mount root fs', '---[ end Kernel panic'], { ...exited, code: 0 });
  t.equal(v.verdict, 'error');
  t.match(v.reasons[0], /nested host powered off before its agent started/);
  t.match(v.reasons[1], /nested host: kernel panic/);
});

t.test('no KVM in the host is an error, not a kernel failure', async (t) => {
  const v = decide([
    hostBegin,
    agentRecord(HOST, 1, 'kvm', { state: 'missing', detail: 'No such file or directory' }),
    lkvmEnd({ result: 'exited', code: 1 }),
    hostEnd,
  ]);
  t.equal(v.verdict, 'error');
  t.match(v.reasons[0], /KVM is missing in the nested host \(No such file or directory\)/);
  t.match(v.hint, /CONFIG_KVM/);
});

t.test('lkvm that cannot be executed is an error', async (t) => {
  const v = decide([hostBegin, kvmOk, lkvmEnd({ result: 'exec-failed', detail: 'Exec format error' }), hostEnd]);
  t.equal(v.verdict, 'error');
  t.match(v.reasons[0], /lkvm did not start in the nested host: exec-failed \(Exec format error\)/);
});

t.test('a guest that stays silent until the host agent stops lkvm: error with the old-kvmtool hint', async (t) => {
  const v = decide([
    hostBegin,
    kvmOk,
    'guest|   # lkvm run -k /kvmatrix/guest/Image -m 256 -c 1 --name guest-72',
    lkvmEnd({ result: 'timeout', after: 60, guest_bytes: 70 }),
    hostEnd,
  ]);
  t.equal(v.verdict, 'error');
  t.match(v.reasons[0], /lkvm started but the guest printed nothing \(lkvm was stopped after 60 s\)/);
  t.match(v.hint, /before mid-2020/);
});

t.test('lkvm refusing its arguments: error with its stderr', async (t) => {
  const v = decide([
    hostBegin,
    kvmOk,
    'lkvm|   Fatal: Unable to open kernel /kvmatrix/guest/Image',
    lkvmEnd({ result: 'exited', code: 1, guest_bytes: 0 }),
    hostEnd,
  ]);
  t.equal(v.verdict, 'error');
  t.match(v.reasons, [/guest printed nothing \(lkvm exited with code 1\)/, /Fatal: Unable to open kernel/]);
});

t.test('a guest that hangs after booting is a timeout of the guest', async (t) => {
  const v = decide([hostBegin, kvmOk, ...guestLines.slice(0, 3), lkvmEnd({ result: 'timeout', after: 60, guest_bytes: 4000 }), hostEnd]);
  t.equal(v.verdict, 'timeout');
  t.match(v.reasons[0], /the agent started but did not finish within 60 s/);
});

t.test("a guest panic is the kernel's failure", async (t) => {
  const v = decide([
    hostBegin,
    kvmOk,
    ...guestLines.slice(0, 2),
    'guest| [    0.9] Kernel panic - not syncing: Attempted to kill init!',
    lkvmEnd({ result: 'exited', code: 0, guest_bytes: 4000 }),
    hostEnd,
  ]);
  t.equal(v.verdict, 'fail');
  t.match(v.reasons[0], /kernel panic/);
});

t.test('the host stopping half-way (outer timeout) is an error', async (t) => {
  const v = decide([hostBegin, kvmOk, ...guestLines.slice(0, 2)], {
    kind: 'timed-out',
    timeoutSec: 120,
    durationMs: 120000,
    firstOutputMs: 50,
    consoleBytes: 3000,
    consoleTruncated: false,
    stderrTail: [],
  });
  t.equal(v.verdict, 'error');
  t.match(v.reasons[0], /nested host was stopped after 120 s before lkvm finished/);
});

t.test('a host WARNING while the guest ran keeps the host from vouching for a pass', async (t) => {
  const v = decide([
    hostBegin,
    kvmOk,
    '[    2.0] WARNING: CPU: 0 PID: 70 at arch/arm64/kvm/arm.c:100 kvm_arch_foo+0x10/0x20',
    '[    2.1] ---[ end trace 0000000000000000 ]---',
    ...guestLines,
    lkvmEnd({ result: 'exited', code: 0, guest_bytes: 9000 }),
    hostEnd,
  ]);
  t.equal(v.verdict, 'error');
  t.match(v.reasons[0], /nested host: kernel WARNING/);
});
