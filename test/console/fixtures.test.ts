/**
 * The parser and the verdict rules over consoles captured from kvmatrix's
 * own runs of the Murray matrix (see test/fixtures/console/*.json).
 */
import t from 'tap';
import { parseConsole } from '../../harness/console/parse.js';
import type { LaunchOutcome } from '../../harness/vmm/types.js';
import { qemuCell } from '../support/cells.js';
import { consoleFixture } from '../support/fixtures.js';
import { decideBooted } from '../support/decide.js';

const exited: LaunchOutcome = {
  kind: 'exited',
  code: 0,
  signal: null,
  durationMs: 1200,
  firstOutputMs: 40,
  consoleBytes: 20000,
  consoleTruncated: false,
  stderrTail: [],
};

t.test('a passing flat legacy boot', async (t) => {
  const f = consoleFixture('pass-flat-legacy');
  const obs = parseConsole(f.text, { nonce: f.nonce });
  t.equal(obs.kernelVersion, '6.1.192');
  t.ok(obs.times.initStarted! > 0);
  t.ok(obs.agent.end, 'the agent finished');
  t.same(obs.agent.missingSeqs, []);
  t.same(obs.agent.rejected, []);
  const v = decideBooted(qemuCell('flat', 'legacy'), exited, obs);
  t.equal(v.verdict, 'pass', v.reasons.join('; '));
  for (const d of v.devices) {
    t.equal(d.bar0?.kind, 'io');
    t.ok(d.bar0!.start < 0x4000);
    t.same(d.statusNames, ['ACKNOWLEDGE', 'DRIVER', 'DRIVER_OK']);
  }
});

t.test('the bridged legacy failure without the patch', async (t) => {
  const f = consoleFixture('bridged-legacy-unpatched');
  const obs = parseConsole(f.text, { nonce: f.nonce });
  t.same(
    obs.probeFailures.map((p) => `${p.driver} ${p.device} ${p.error}`),
    ['virtio_rng virtio3 -2', 'virtio_blk virtio5 -22', 'virtio_net virtio4 -2'],
  );
  const v = decideBooted(qemuCell('bridged', 'legacy'), exited, obs);
  t.equal(v.verdict, 'fail');
  const byName = Object.fromEntries(v.devices.map((d) => [d.name, d]));
  t.same(
    ['rng1', 'net1', 'blk1', 'rng2', 'net2', 'blk2'].map((n) => byName[n]!.bar0?.start),
    [0x1000, 0x2000, 0x3000, 0x4000, 0x5000, 0x6000],
  );
  for (const name of ['rng2', 'net2', 'blk2']) {
    t.match(byName[name]!.problems[0], /^no driver bound \(virtio_\w+: probe of virtio\d failed with error -\d+\)$/, name);
    t.ok(
      v.reasons.some((r) => r.startsWith(`${name} 0000:0`) && r.includes(`io BAR0 0x${byName[name]!.bar0!.start.toString(16)}`)),
      `${name} named with its BAR`,
    );
  }
  // the aliased windows corrupt the devices below 0x4000 too
  t.match(byName.rng1!.problems.join(';'), /FAILED/);
  t.match(byName.net1!.problems.join(';'), /status 0x86 has FAILED set.*I\/O check fail: bringing eth0 up/);
  t.same(byName.blk1!.problems, [], 'the blk below 0x4000 still works');
});

t.test('the bridged modern cell without the patch passes: memory BARs only', async (t) => {
  const f = consoleFixture('bridged-modern-unpatched');
  const v = decideBooted(qemuCell('bridged', 'modern'), exited, parseConsole(f.text, { nonce: f.nonce }));
  t.equal(v.verdict, 'pass', v.reasons.join('; '));
  t.equal(v.devices.length, 6);
  t.ok(v.devices.every((d) => d.presented === 'modern' && d.bar0 === null && d.statusNames.includes('FEATURES_OK')));
});

t.test('a panic before init', async (t) => {
  const f = consoleFixture('panic');
  const obs = parseConsole(f.text, { nonce: f.nonce });
  t.equal(obs.incidents.length, 1);
  t.equal(obs.incidents[0]!.kind, 'panic');
  t.equal(obs.incidents[0]!.summary, 'VFS: Unable to mount root fs on unknown-block(0,0)');
  t.equal(obs.agent.begin, null);
  const v = decideBooted(qemuCell('flat', 'legacy'), exited, obs);
  t.equal(v.verdict, 'fail');
  t.match(v.reasons[0]!, /^kernel panic at console line \d+: VFS: Unable to mount root fs/);
});

t.test('a guest that hangs waiting for its root device', async (t) => {
  const f = consoleFixture('hang');
  const obs = parseConsole(f.text, { nonce: f.nonce });
  t.same(obs.incidents, []);
  t.match(obs.tail.at(-1)!, /Waiting for root device \/dev\/nonexistent/);
  const v = decideBooted(qemuCell('flat', 'legacy'), { ...exited, kind: 'timed-out', timeoutSec: 8 }, obs);
  t.equal(v.verdict, 'timeout');
  t.equal(v.reasons[0], 'the guest did not reach the agent within 8 s');
});

t.test('a fixture parsed with the wrong nonce trusts nothing', async (t) => {
  const f = consoleFixture('pass-flat-legacy');
  const obs = parseConsole(f.text, { nonce: 'not-this-boot' });
  t.equal(obs.agent.begin, null);
  t.ok(obs.agent.rejected.length > 5);
  t.equal(decideBooted(qemuCell('flat', 'legacy'), exited, obs).verdict, 'error');
});
