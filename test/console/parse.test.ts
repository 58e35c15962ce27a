import { crc32 as crc32zlib } from 'node:zlib';
import t from 'tap';
import { crc32 } from '../../harness/console/crc32.js';
import { parseConsole } from '../../harness/console/parse.js';
import { sanitizeLine } from '../../harness/console/sanitize.js';
import { agentRecord, healthyReport } from '../support/records.js';

const NONCE = 'c0ffee';
const kernelLines = [
  '[    0.000000] Booting Linux on physical CPU 0x0000000000 [0x000f0510]',
  '[    0.000000] Linux version 6.1.192 (kvmatrix@kvmatrix) (aarch64-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0) #1',
  '[    0.512345] Run /init as init process',
];

t.test('a healthy console gives every record and the boot times', async (t) => {
  const text = [...kernelLines, ...healthyReport(NONCE, [['0000:00:01.0', '1af4:1005', 4, 'rng']])].join('\r\n');
  const obs = parseConsole(text, { nonce: NONCE });
  t.equal(obs.kernelVersion, '6.1.192');
  t.equal(obs.times.firstKernelLine, 0);
  t.equal(obs.times.initStarted, 0.512345);
  t.equal(obs.times.agentDone, 0.8);
  t.equal(obs.agent.begin?.kernel, '6.1.192');
  t.same(obs.agent.pci[0], {
    bdf: '0000:00:01.0',
    vendor: 0x1af4,
    device: 0x1005,
    subsystem: null,
    classCode: 0xff00,
    bar0: { index: 0, kind: 'io', start: 0x1000, end: 0x101f },
    bars: [],
    driver: 'virtio-pci',
  });
  t.same(obs.agent.virtio[0], { dev: 'virtio0', bdf: '0000:00:01.0', type: 4, driver: 'virtio_rng', status: 7 });
  t.same(obs.agent.checks[0], { dev: 'virtio0', kind: 'rng', result: 'ok', detail: 'fine' });
  t.equal(obs.agent.end?.records, 5);
  t.same(obs.agent.missingSeqs, []);
  t.same(obs.agent.rejected, []);
  t.same(obs.incidents, []);
});

t.test('records signed with another nonce are rejected, not trusted', async (t) => {
  const text = healthyReport('someone-else', [['0000:00:01.0', '1af4:1005', 4, 'rng']]).join('\n');
  const obs = parseConsole(text, { nonce: NONCE });
  t.equal(obs.agent.begin, null);
  t.equal(obs.agent.end, null);
  t.equal(obs.agent.rejected.length, 5);
  t.match(obs.agent.rejected[0]!.reason, /checksum mismatch/);
});

t.test('a damaged record is rejected and counted as missing', async (t) => {
  const lines = healthyReport(NONCE, [['0000:00:01.0', '1af4:1005', 4, 'rng']]);
  lines[2] = lines[2]!.replace('virtio_rng', 'virtio_rnq');
  const obs = parseConsole(lines.join('\n'), { nonce: NONCE });
  t.same(obs.agent.missingSeqs, [2]);
  t.equal(obs.agent.virtio.length, 0);
  t.equal(obs.agent.rejected.length, 1);
});

t.test('a record cut by kernel output mid-line is rejected; one after a prefix is read', async (t) => {
  const lines = healthyReport(NONCE, [['0000:00:01.0', '1af4:1005', 4, 'rng']]);
  lines[1] = `[    0.9] random: crng init done${lines[1]}`;
  lines[3] = lines[3]!.slice(0, 40);
  const obs = parseConsole(lines.join('\n'), { nonce: NONCE });
  t.equal(obs.agent.pci.length, 1, 'the record after a kernel prefix is still whole');
  t.same(obs.agent.missingSeqs, [3]);
  t.match(obs.agent.rejected[0]!.reason, /malformed/);
});

t.test('duplicates are noted once, a conflicting duplicate too', async (t) => {
  const lines = healthyReport(NONCE, [['0000:00:01.0', '1af4:1005', 4, 'rng']]);
  const conflicting = agentRecord(NONCE, 2, 'virtio', { dev: 'virtio9', bdf: 'x', type: 4, driver: 'none', status: '0x0' });
  const obs = parseConsole([...lines, lines[1]!, conflicting].join('\n'), { nonce: NONCE });
  t.equal(obs.agent.pci.length, 1);
  t.equal(obs.agent.virtio[0]!.dev, 'virtio0', 'the first record with a seq stands');
  t.same(
    obs.agent.rejected.map((r) => r.reason),
    ['duplicate of record 1', 'second, different record 2'],
  );
});

t.test('an end record that miscounts is not an end', async (t) => {
  const lines = healthyReport(NONCE, [['0000:00:01.0', '1af4:1005', 4, 'rng']]);
  lines[4] = agentRecord(NONCE, 4, 'end', { records: 9, uptime: '1' });
  const obs = parseConsole(lines.join('\n'), { nonce: NONCE });
  t.equal(obs.agent.end, null);
  t.match(obs.agent.rejected.at(-1)!.reason, /end record counts 9 records but is number 5/);
});

t.test('another record version is named in the rejection', async (t) => {
  const obs = parseConsole('KVMATRIX/2 0 begin agent=2 #00000000', { nonce: NONCE });
  t.match(obs.agent.rejected[0]!.reason, /record version 2, this harness reads version 1/);
});

t.test('a panic is read from its headline to its end marker', async (t) => {
  const text = [
    ...kernelLines,
    '[    0.6] Kernel panic - not syncing: No working init found.  Try passing init= option to kernel.',
    '[    0.6] CPU: 0 PID: 1 Comm: swapper/0 Not tainted 6.1.192 #1',
    '[    0.6] Call trace:',
    '[    0.6] ---[ end Kernel panic - not syncing: No working init found. ]---',
    '[    0.7] after the panic',
  ].join('\n');
  const obs = parseConsole(text, { nonce: NONCE });
  t.equal(obs.incidents.length, 1);
  t.equal(obs.incidents[0]!.kind, 'panic');
  t.equal(obs.incidents[0]!.line, 4);
  t.match(obs.incidents[0]!.summary, /^No working init found/);
  t.equal(obs.incidents[0]!.excerpt.length, 4);
});

t.test('Oops, BUG and WARNING are told apart; a panic inside an Oops is its own incident', async (t) => {
  const text = [
    '[    1.0] ------------[ cut here ]------------',
    '[    1.0] WARNING: CPU: 0 PID: 1 at drivers/virtio/virtio.c:100 virtio_dev_probe+0x1/0x2',
    '[    1.0] ---[ end trace 0000000000000000 ]---',
    '[    2.0] Unable to handle kernel NULL pointer dereference at virtual address 0000000000000008',
    '[    2.0] Internal error: Oops: 0000000096000004 [#1] SMP',
    '[    2.0] Kernel panic - not syncing: Oops: Fatal exception',
    '[    2.0] ---[ end Kernel panic - not syncing: Oops: Fatal exception ]---',
    '[    3.0] BUG: KASAN: slab-out-of-bounds in foo',
  ].join('\n');
  const obs = parseConsole(text, { nonce: NONCE });
  t.same(
    obs.incidents.map((i) => i.kind),
    ['warning', 'oops', 'panic', 'kasan'],
  );
  t.match(obs.incidents[0]!.summary, /^drivers\/virtio\/virtio\.c:100/);
  t.match(obs.incidents[1]!.summary, /^Unable to handle kernel NULL pointer/);
  t.same(obs.incidents[1]!.excerpt.length, 2, 'the Oops line belongs to the report that started it');
});

t.test("a WARNING names WARN()'s message, the line between `cut here` and the report, and nothing else does", async (t) => {
  const text = [
    '[    0.2860] ------------[ cut here ]------------',
    '[    0.2861] legacy virtio-pci probe of 0000:00:01.0',
    '[    0.2865] WARNING: CPU: 0 PID: 1 at drivers/virtio/virtio_pci_legacy.c:214 virtio_pci_legacy_probe+0x34/0x90',
    '[    0.2900] ---[ end trace 0000000000000000 ]---',
    '[    1.0] ------------[ cut here ]------------',
    '[    1.0] WARNING: CPU: 0 PID: 1 at lib/list.c:1 f+0x1/0x2',
    '[    1.0] ---[ end trace 0000000000000000 ]---',
    '[    2.0] ------------[ cut here ]------------',
    '[    2.0] some line',
    '[    2.0] another line',
    '[    2.0] WARNING: CPU: 0 PID: 1 at lib/list.c:2 g+0x1/0x2',
  ].join('\n');
  const obs = parseConsole(text, { nonce: NONCE });
  t.same(
    obs.incidents.map((i) => i.summary),
    [
      'legacy virtio-pci probe of 0000:00:01.0 (at drivers/virtio/virtio_pci_legacy.c:214 virtio_pci_legacy_probe+0x34/0x90)',
      'lib/list.c:1 f+0x1/0x2',
      'lib/list.c:2 g+0x1/0x2',
    ],
    'WARN_ON() has no message; a line further away is not one',
  );
});

t.test("lockdep's, RCU's, KASAN's and UBSAN's reports are incidents, each ending where its report ends", async (t) => {
  const rule = '='.repeat(66);
  const text = [
    `[    1.0] ${'='.repeat(54)}`,
    '[    1.0] WARNING: possible circular locking dependency detected',
    '[    1.0] 6.1.192 #1 Not tainted',
    '[    1.0] swapper/0/1 is trying to acquire lock:',
    '[    1.0] stack backtrace:',
    '[    1.1] WARNING: CPU: 0 PID: 1 at lib/list_debug.c:59 __list_del_entry_valid+0x8c/0xf0',
    '[    1.1] ---[ end trace 0000000000000000 ]---',
    '[    1.2] =============================',
    '[    1.2] WARNING: suspicious RCU usage',
    `[    2.0] ${rule}`,
    '[    2.0] BUG: KASAN: slab-out-of-bounds in kmalloc_oob_right+0x1/0x2',
    '[    2.0] Write of size 1 at addr ffff000001234567 by task kunit_try_catch/99',
    `[    2.0] ${rule}`,
    `[    3.0] ${'='.repeat(80)}`,
    '[    3.0] UBSAN: shift-out-of-bounds in lib/test_ubsan.c:42:5',
    "[    3.0] shift exponent 32 is too large for 32-bit type 'int'",
    `[    3.0] ${'='.repeat(80)}`,
    '[    4.0] BUG: sleeping function called from invalid context at mm/slab.h:12',
    '[    4.1] not part of any report',
  ].join('\n');
  const obs = parseConsole(text, { nonce: NONCE });
  t.same(
    obs.incidents.map((i) => [i.kind, i.summary]),
    [
      ['lockdep', 'possible circular locking dependency detected'],
      ['warning', 'lib/list_debug.c:59 __list_del_entry_valid+0x8c/0xf0'],
      ['lockdep', 'suspicious RCU usage'],
      ['kasan', 'KASAN: slab-out-of-bounds in kmalloc_oob_right+0x1/0x2'],
      ['ubsan', 'shift-out-of-bounds in lib/test_ubsan.c:42:5'],
      ['bug', 'BUG: sleeping function called from invalid context at mm/slab.h:12'],
    ],
  );
  t.equal(obs.incidents[0]!.excerpt.length, 4, 'a lockdep report has no end marker: the next report ends it');
  t.equal(obs.incidents[3]!.excerpt.length, 3, 'KASAN ends at its rule of = signs');
  t.equal(obs.incidents[4]!.excerpt.length, 3, 'UBSAN too');
});

t.test('probe failures are collected with driver, device and error', async (t) => {
  const obs = parseConsole('[    0.78] virtio_rng: probe of virtio3 failed with error -2\n', { nonce: NONCE });
  t.same(obs.probeFailures, [{ line: 1, driver: 'virtio_rng', device: 'virtio3', error: -2 }]);
});

t.test('hostile bytes never throw and never reach the tail', async (t) => {
  const text = `\x00\x00\x1b[2J\x1b[31mred\x1b[0m\ud800\n${'x'.repeat(200_000)}\n\x07bell\x7f\x85`;
  const obs = parseConsole(text, { nonce: NONCE });
  t.equal(obs.lines, 3);
  for (const line of obs.tail) t.notMatch(line, /[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
  t.equal(obs.tail[0], 'red\ufffd');
  t.equal(obs.agent.begin, null);
});

t.test('sanitizeLine keeps tabs and text, drops escapes and controls', async (t) => {
  t.equal(sanitizeLine('a\tb\x1b]0;title\x07c\x1b[1;32md\r'), 'a\tbcd');
});

t.test('every assigned BAR is read, so a modern device shows its memory BAR', async (t) => {
  const line = agentRecord(NONCE, 1, 'pci', {
    bdf: '0000:01:00.0',
    id: '1af4:1044',
    class: '0x00ff00',
    bar0: 'none',
    bars: '1:mem:0x10800000-0x10800fff,4:mem:0x8000000000-0x8000003fff',
    driver: 'virtio-pci',
  });
  const obs = parseConsole(line, { nonce: NONCE });
  t.equal(obs.agent.pci[0]!.bar0, null);
  t.same(obs.agent.pci[0]!.bars, [
    { index: 1, kind: 'mem', start: 0x10800000, end: 0x10800fff },
    { index: 4, kind: 'mem', start: 0x8000000000, end: 0x8000003fff },
  ]);
});

t.test("the records' checksum is CRC-32 (IEEE) as the agent computes it", async (t) => {
  // the standard check value, and what zlib (the same polynomial) gives for text the agent signs
  t.equal(crc32('123456789'), 0xcbf43926);
  t.equal(crc32(''), 0);
  for (const text of ['0123456789abcdef 1 begin v=1', 'nonce 7 pci bdf=0000:00:01.0 id=1af4:1000 µ', 'x'.repeat(1000)]) {
    t.equal(crc32(text), crc32zlib(Buffer.from(text, 'utf8')) >>> 0, text.slice(0, 40));
  }
});
