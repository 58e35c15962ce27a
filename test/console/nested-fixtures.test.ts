/**
 * The nested kvmtool console split, parser and verdict over consoles
 * captured from real nested runs (see test/fixtures/console/nested-*.json):
 * a pass, the original report reproduced with a 2020 kvmtool, a guest that
 * an old kvmtool cannot boot, and a host without KVM.
 */
import t from 'tap';
import { splitNestedConsole } from '../../harness/console/nested.js';
import { parseConsole } from '../../harness/console/parse.js';
import type { LaunchOutcome } from '../../harness/vmm/types.js';
import { kvmtoolCell } from '../support/cells.js';
import { consoleFixture } from '../support/fixtures.js';
import { decideNestedBooted } from '../support/decide.js';

const exited: LaunchOutcome = {
  kind: 'exited',
  code: 0,
  signal: null,
  durationMs: 9000,
  firstOutputMs: 40,
  consoleBytes: 22000,
  consoleTruncated: false,
  stderrTail: [],
};

function observe(name: string) {
  const f = consoleFixture(name);
  const split = splitNestedConsole(f.text);
  return {
    f,
    split,
    host: parseConsole(split.host, { nonce: f.hostNonce! }),
    guest: parseConsole(split.guest, { nonce: f.nonce }),
  };
}

const oldKvmtool = { transportFlag: 'force-pci' as const };

t.test('a pass under current kvmtool: host and guest records apart, BARs reassigned below 0x4000', async (t) => {
  const { host, guest, split } = observe('nested-pass-legacy');
  t.equal(host.agent.begin?.role, 'host');
  t.same(host.agent.pci, [], 'the host reports no devices of its own');
  t.match(host.agent.kvm, { state: 'ok', api: 12 });
  t.match(host.agent.lkvm, { result: 'exited', code: 0 });
  t.ok(host.agent.end);
  t.equal(guest.agent.begin?.role, 'guest');
  t.equal(guest.kernelVersion, '6.1.192');
  t.same(guest.agent.rejected, [], 'every guest record intact');
  t.match(split.lkvm.join('\n'), /KVM session ended normally/);
  // the guest console's records do not verify under the host's nonce, nor the reverse
  t.equal(parseConsole(split.guest, { nonce: consoleFixture('nested-pass-legacy').hostNonce! }).agent.begin, null);
  t.equal(parseConsole(split.host, { nonce: consoleFixture('nested-pass-legacy').nonce }).agent.begin, null);

  const v = decideNestedBooted(kvmtoolCell('legacy'), exited, { host, guest, lkvmStderr: split.lkvm });
  t.equal(v.verdict, 'pass', v.reasons.join('; '));
  t.same(
    v.devices.map((d) => [d.name, d.pciId, d.bar0?.start]),
    [
      ['rng1', '1af4:1004', 0x1000],
      ['net1', '1af4:1000', 0x1100],
      ['blk1', '1af4:1001', 0x1200],
    ],
  );
});

t.test('the original report: a 2020 kvmtool keeps BARs from 0x6200 and the unpatched kernel fails every probe', async (t) => {
  const { host, guest, split } = observe('nested-2020-unpatched-fail');
  t.same(guest.probeFailures.map((p) => `${p.driver} ${p.device} ${p.error}`).sort(), [
    'virtio_blk virtio2 -2',
    'virtio_net virtio1 -2',
    'virtio_rng virtio0 -2',
  ]);
  const v = decideNestedBooted(kvmtoolCell('legacy', ['rng', 'net', 'blk'], oldKvmtool), exited, { host, guest, lkvmStderr: split.lkvm });
  t.equal(v.verdict, 'fail');
  t.same(
    v.devices.map((d) => [d.name, d.bar0?.start, d.status]),
    [
      ['rng1', 0x6200, 0xc1],
      ['net1', 0x6300, 0xc1],
      ['blk1', 0x6400, 0xc1],
    ],
  );
  t.match(
    v.reasons[0],
    /^rng1 0000:00:00\.0 \(legacy, io BAR0 0x6200\): no driver bound \(virtio_rng: probe of virtio0 failed with error -2\)/,
  );
});

t.test('an old kvmtool that cannot load a 5.8+ Image: the guest is silent, an error with the hint', async (t) => {
  const { host, guest, split } = observe('nested-2020-silent');
  t.match(host.agent.lkvm, { result: 'timeout', after: 30 });
  t.equal(guest.kernelVersion, null);
  const v = decideNestedBooted(kvmtoolCell('legacy', ['rng', 'net', 'blk'], oldKvmtool), exited, { host, guest, lkvmStderr: split.lkvm });
  t.equal(v.verdict, 'error');
  t.match(v.reasons[0], /lkvm started but the guest printed nothing \(lkvm was stopped after 30 s\)/);
  t.match(v.hint, /fixed offset/);
});

t.test('a host without KVM: error naming it, never a kernel failure', async (t) => {
  const { host, guest, split } = observe('nested-host-no-kvm');
  t.match(host.agent.kvm, { state: 'missing' });
  t.match(split.lkvm.join('\n'), /'\/dev\/kvm' not found/);
  const v = decideNestedBooted(kvmtoolCell('legacy'), exited, { host, guest, lkvmStderr: split.lkvm });
  t.equal(v.verdict, 'error');
  t.match(v.reasons[0], /KVM is missing in the nested host \(No such file or directory\)/);
});
