/**
 * Commands' output on the console, as the agent frames it: rebuilt byte
 * for byte, kept apart from the kernel's own lines, and trusted only when
 * its cmdend record's count and crc agree. The agent's side is proven in a
 * real guest (test/integration/guest-userspace.test.ts).
 */
import t from 'tap';
import { crc32Bytes, unescapeFramed } from '../../harness/console/command-output.js';
import { parseConsole } from '../../harness/console/parse.js';
import { agentRecord, programsBoot } from '../support/records.js';

const NONCE = '00112233aabbccdd';

/** A console of one command whose output is `output`, framed as the agent frames it, with the end record saying `said`. */
function consoleOf(framed: string[], said: Buffer, extra: string[] = []): string {
  return programsBoot(NONCE, [{ name: 'c', said, between: [...framed, ...extra] }]).join('\n');
}

t.test("framed lines rebuild the bytes: lines, pieces, escapes; the kernel lines between them stay the kernel's", async (t) => {
  const bytes = Buffer.from('hello\nKVMATRIX/1 x\n\x1b[2J\\ \u00e9\nno newline', 'utf8');
  const framed = ['cmd1| hello', 'cmd1| KVMATRIX\\x2f1 x', 'cmd1| \\x1b[2J\\x5c \\xc3\\xa9', 'cmd1\\ no newline'];
  const seen = parseConsole(consoleOf(framed, bytes, ['[    0.700000] Kernel panic - not syncing: a real one']), { nonce: NONCE });
  t.equal(seen.commands.length, 1);
  t.equal(seen.commands[0]!.output, bytes.toString('utf8'));
  t.equal(seen.commands[0]!.outputIntact, true);
  t.same(seen.agent.rejected, []);
  t.equal(seen.incidents.length, 1, "the kernel's panic between the command's lines is the kernel's");
});

t.test('a line slipped in, a line lost, a command with no end: not intact', async (t) => {
  const bytes = Buffer.from('a\nb\n');
  const framed = ['cmd1| a', 'cmd1| b'];
  t.equal(parseConsole(consoleOf(framed, bytes), { nonce: NONCE }).commands[0]!.outputIntact, true, 'as the agent wrote it');
  t.equal(
    parseConsole(consoleOf([...framed, 'cmd1| forged'], bytes), { nonce: NONCE }).commands[0]!.outputIntact,
    false,
    'a line written to the console by someone else',
  );
  t.equal(parseConsole(consoleOf(['cmd1| a'], bytes), { nonce: NONCE }).commands[0]!.outputIntact, false, 'a line lost');
  t.equal(parseConsole(consoleOf(['cmd1| a', 'cmd1| c'], bytes), { nonce: NONCE }).commands[0]!.outputIntact, false, 'a byte changed');
  const unended = [
    agentRecord(NONCE, 0, 'begin', { agent: 1, role: 'guest', kernel: '6.1', machine: 'aarch64', uptime: '0.5' }),
    agentRecord(NONCE, 1, 'cmdbegin', { index: 1, name: 'c', program: 'sh', timeout: 5, cap: 100, uptime: '0.6' }),
    'cmd1| a',
  ].join('\n');
  const cut = parseConsole(unended, { nonce: NONCE }).commands[0]!;
  t.equal(cut.end, null, 'the console stopped before the command ended');
  t.equal(cut.outputIntact, false);
});

t.test('a cmdend of no running command, or a second one for a command, is a conflict: the records are not believed', async (t) => {
  const nobody = [
    agentRecord(NONCE, 0, 'begin', { agent: 1, role: 'guest', kernel: '6.1', machine: 'aarch64', uptime: '0.5' }),
    agentRecord(NONCE, 1, 'cmdend', {
      index: 7,
      result: 'exit',
      code: 0,
      signal: 0,
      detail: '-',
      bytes: 0,
      shown: 0,
      crc: '00000000',
      seconds: '0',
    }),
    agentRecord(NONCE, 2, 'end', { records: 3, uptime: '0.9' }),
  ].join('\n');
  t.match(parseConsole(nobody, { nonce: NONCE }).agent.conflicts, [
    /record 1 at console line 2: a cmdend for command 7, which never began/,
  ]);

  // a program that knows the nonce ends its own command early, claiming exit 0; the agent's own cmdend follows
  const said = Buffer.from('a\n');
  const forgedEnd = agentRecord(NONCE, 2, 'cmdend', {
    index: 1,
    result: 'exit',
    code: 0,
    signal: 0,
    detail: '-',
    bytes: 2,
    shown: 2,
    crc: crc32Bytes(said).toString(16).padStart(8, '0'),
    seconds: '0.1',
  });
  const second = [
    agentRecord(NONCE, 0, 'begin', { agent: 1, role: 'guest', kernel: '6.1', machine: 'aarch64', uptime: '0.5' }),
    agentRecord(NONCE, 1, 'cmdbegin', { index: 1, name: 'c', program: 'sh', timeout: 5, cap: 100, uptime: '0.6' }),
    'cmd1| a',
    forgedEnd,
  ];
  second.push(
    agentRecord(NONCE, 3, 'cmdend', {
      index: 1,
      result: 'exit',
      code: 1,
      signal: 0,
      detail: '-',
      bytes: 2,
      shown: 2,
      crc: crc32Bytes(said).toString(16).padStart(8, '0'),
      seconds: '0.2',
    }),
    agentRecord(NONCE, 4, 'end', { records: 5, uptime: '0.9' }),
  );
  const seen = parseConsole(second.join('\n'), { nonce: NONCE });
  t.match(seen.agent.conflicts, [/record 3 at console line 5: a second cmdend for command 1/]);
  t.equal(seen.agent.commands[0]!.end!.code, 0, 'the report still holds the first (the verdict believes neither)');
});

t.test(
  "framed lines are output only while their command runs: before, after, of another index, or with no commands, they are the console's",
  async (t) => {
    const bytes = Buffer.from('a\n');
    const stray = ['cmd1| Kernel panic - not syncing: before the command began', 'cmd9| virtio_rng: probe of virtio0 failed with error -2'];
    const seen = parseConsole(
      consoleOf(['cmd1| a', 'cmd2| WARNING: CPU: 0 PID: 1 at drivers/x.c:1 f+0x0/0x4'], bytes, []).replace(
        /^(KVMATRIX\/1 1 cmdbegin)/m,
        `${stray.join('\n')}\n$1`,
      ),
      { nonce: NONCE },
    );
    t.equal(seen.commands[0]!.outputIntact, true, "only cmd1's own line is its output");
    t.same(
      seen.incidents.map((i) => i.kind),
      ['panic', 'warning'],
      "a panic before the command began and a WARNING framed with another index are the kernel's",
    );
    t.same(
      seen.probeFailures.map((p) => p.device),
      ['virtio0'],
      'so is a probe failure framed with an index no command has',
    );

    const noCommands = parseConsole(
      ['cmd1| Kernel panic - not syncing: VFS: Unable to mount root fs', '[    0.5] KTAP version 1', 'cmd1| ok 1 x'].join('\n'),
      { nonce: NONCE },
    );
    t.equal(noCommands.incidents.length, 1, 'a console with no command: every framed-looking line is its own');
    t.same(noCommands.commands, []);
  },
);

t.test('\\xNN is one byte; anything else stands for itself', async (t) => {
  t.same(unescapeFramed('a\\x00b\\x5c\\xff'), Buffer.from([0x61, 0, 0x62, 0x5c, 0xff]));
  t.same(unescapeFramed('\\x'), Buffer.from('\\x'), 'a short escape is text');
});
