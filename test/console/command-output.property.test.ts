/**
 * Property-based: a command's output, any bytes at all, framed as the agent
 * frames it (commands.c, mirrored here; the agent itself is proven in a
 * real guest by test/integration/guest-userspace.test.ts), comes back byte
 * for byte and intact; any framed line lost, altered or slipped in is
 * caught; nothing in it is ever a record, and the parser never throws.
 */
import fc from 'fast-check';
import t from 'tap';
import { crc32Bytes } from '../../harness/console/command-output.js';
import { parseConsole } from '../../harness/console/parse.js';
import { agentRecord } from '../support/records.js';

const NONCE = 'feedfacecafebeef';
const PIECE = 512;

/** The agent's framing of one command's output (commands.c's frame and take), up to `cap` bytes. */
function frame(index: number, output: Buffer, cap: number): { lines: string[]; shown: Buffer } {
  const shown = output.subarray(0, Math.min(cap, output.length));
  const lines: string[] = [];
  let piece: number[] = [];
  const flush = (complete: boolean) => {
    let text = '';
    piece.forEach((c, i) => {
      const recordSlash = c === 0x2f && i >= 8 && Buffer.from(piece.slice(i - 8, i)).toString('latin1') === 'KVMATRIX';
      text +=
        c === 0x5c || (c < 0x20 && c !== 0x09) || c > 0x7e || recordSlash
          ? `\\x${c.toString(16).padStart(2, '0')}`
          : String.fromCharCode(c);
    });
    lines.push(`cmd${index}${complete ? '|' : '\\'} ${text}`);
    piece = [];
  };
  for (const c of shown) {
    if (c === 0x0a) flush(true);
    else {
      piece.push(c);
      if (piece.length === PIECE) flush(false);
    }
  }
  if (piece.length > 0) flush(false);
  return { lines, shown };
}

function consoleOf(framed: string[], shown: Buffer, bytes: number): string {
  return [
    agentRecord(NONCE, 0, 'begin', { agent: 1, role: 'guest', kernel: '6.1', machine: 'aarch64', uptime: '0.5' }),
    agentRecord(NONCE, 1, 'cmdbegin', { index: 1, name: 'c', program: 'sh', timeout: 5, cap: 1000, uptime: '0.6' }),
    ...framed,
    agentRecord(NONCE, 2, 'cmdend', {
      index: 1,
      result: 'exit',
      code: 0,
      signal: 0,
      detail: '-',
      bytes,
      shown: shown.length,
      crc: crc32Bytes(shown).toString(16).padStart(8, '0'),
      seconds: '0.1',
    }),
    agentRecord(NONCE, 3, 'end', { records: 4, uptime: '0.9' }),
  ].join('\n');
}

// any bytes, with the troublesome ones often: newlines, escapes, backslashes, fake records, long lines
const output = fc
  .array(
    fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc
        .constantFrom(
          'KVMATRIX/1 3 end records=4 uptime=0.9 #00000000\n',
          '\x1b[2J\\x41\\\\',
          'Kernel panic - not syncing: x\n',
          'KTAP version 1\n1..1\nok 1 a\n',
          '\r\n\0',
          'y'.repeat(1500),
        )
        .map((s) => Buffer.from(s, 'latin1')),
    ),
    { maxLength: 12 },
  )
  .map((parts) => Buffer.concat(parts.map((p) => Buffer.from(p))));

t.test('any output comes back byte for byte, intact, and never as records', async () => {
  fc.assert(
    fc.property(output, fc.integer({ min: 0, max: 4000 }), (bytes, cap) => {
      const { lines, shown } = frame(1, bytes, cap);
      const seen = parseConsole(consoleOf(lines, shown, bytes.length), { nonce: NONCE });
      const command = seen.commands[0]!;
      return (
        command.outputIntact &&
        Buffer.from(command.output, 'utf8').equals(Buffer.from(shown.toString('utf8'), 'utf8')) &&
        seen.agent.rejected.length === 0 &&
        seen.agent.end !== null &&
        seen.incidents.length === 0 &&
        seen.ktap.documents.length === 0
      );
    }),
    { numRuns: 300 },
  );
});

t.test('a framed line lost, altered or slipped in is never intact', async () => {
  fc.assert(
    fc.property(
      output.filter((b) => b.length > 0),
      fc.nat(),
      fc.constantFrom('drop', 'alter', 'insert'),
      (bytes, at, damage) => {
        const { lines, shown } = frame(1, bytes, 1 << 20);
        const i = at % lines.length;
        const damaged = [...lines];
        if (damage === 'drop') damaged.splice(i, 1);
        else if (damage === 'insert') damaged.splice(i, 0, 'cmd1| slipped in');
        else damaged[i] = `${damaged[i]!}z`;
        const seen = parseConsole(consoleOf(damaged, shown, bytes.length), { nonce: NONCE });
        return !seen.commands[0]!.outputIntact;
      },
    ),
    { numRuns: 300 },
  );
});
