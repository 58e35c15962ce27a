/**
 * Commands' output on the console, as the agent frames it: rebuilt byte
 * for byte, kept apart from the kernel's own lines, and trusted only when
 * its cmdend record's count and crc agree. The agent's side is proven in a
 * real guest (test/integration/guest-userspace.test.ts).
 */
import t from 'tap';
import { crc32Bytes, unescapeFramed } from '../../harness/console/command-output.js';
import { parseConsole } from '../../harness/console/parse.js';
import { agentRecord } from '../support/records.js';

const NONCE = '00112233aabbccdd';

/** A console of one command whose output is `output`, framed as the agent frames it, with the end record saying `said`. */
function consoleOf(framed: string[], said: Buffer, extra: string[] = []): string {
  return [
    agentRecord(NONCE, 0, 'begin', { agent: 1, role: 'guest', kernel: '6.1', machine: 'aarch64', uptime: '0.5' }),
    agentRecord(NONCE, 1, 'cmdbegin', { index: 1, name: 'c', program: 'sh', timeout: 5, cap: 100, uptime: '0.6' }),
    ...framed,
    ...extra,
    agentRecord(NONCE, 2, 'cmdend', { index: 1, result: 'exit', code: 0, signal: 0, detail: '-', bytes: said.length, shown: said.length, crc: crc32Bytes(said).toString(16).padStart(8, '0'), seconds: '0.1' }),
    agentRecord(NONCE, 3, 'end', { records: 4, uptime: '0.9' }),
  ].join('\n');
}

t.test('framed lines rebuild the bytes: lines, pieces, escapes; the kernel lines between them stay the kernel\'s', async (t) => {
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
  t.equal(parseConsole(consoleOf([...framed, 'cmd1| forged'], bytes), { nonce: NONCE }).commands[0]!.outputIntact, false, 'a line written to the console by someone else');
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

t.test('a cmdend of no running command, or a second one, is a rejected record', async (t) => {
  const lines = [
    agentRecord(NONCE, 0, 'cmdend', { index: 7, result: 'exit', code: 0, signal: 0, detail: '-', bytes: 0, shown: 0, crc: '00000000', seconds: '0' }),
  ].join('\n');
  t.match(parseConsole(lines, { nonce: NONCE }).agent.rejected, [{ reason: /cmdend record of no running command/ }]);
});

t.test('\\xNN is one byte; anything else stands for itself', async (t) => {
  t.same(unescapeFramed('a\\x00b\\x5c\\xff'), Buffer.from([0x61, 0, 0x62, 0x5c, 0xff]));
  t.same(unescapeFramed('\\x'), Buffer.from('\\x'), 'a short escape is text');
});
