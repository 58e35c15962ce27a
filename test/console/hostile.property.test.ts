/**
 * Property-based: the console parser and the verdict rules over hostile
 * consoles, generated around a real passing console (pass-flat-legacy, the
 * agent's 12 records). The parser never throws; a console whose records are
 * missing or damaged never yields pass.
 */
import { StringDecoder } from 'node:string_decoder';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import t from 'tap';
import { ConsoleParser, parseConsole } from '../../harness/console/parse.js';
import type { LaunchOutcome } from '../../harness/vmm/types.js';
import { qemuCell } from '../support/cells.js';
import { consoleFixture } from '../support/fixtures.js';
import { decideBooted } from '../support/decide.js';

const fixture = consoleFixture('pass-flat-legacy');
const lines = fixture.text.split('\n');
const recordIndexes = lines.flatMap((line, i) => (line.startsWith('KVMATRIX/1 ') ? [i] : []));
const cell = qemuCell('flat', 'legacy');
const exited: LaunchOutcome = {
  kind: 'exited',
  code: 0,
  signal: null,
  durationMs: 1200,
  firstOutputMs: 40,
  consoleBytes: fixture.text.length,
  consoleTruncated: false,
  stderrTail: [],
};
const verdictOf = (text: string) => decideBooted(cell, exited, parseConsole(text, { nonce: fixture.nonce })).verdict;
const RUNS = 300;

t.test('the fixture itself passes, so that every property below starts from a pass', async (t) => {
  t.equal(recordIndexes.length, 12);
  t.equal(verdictOf(fixture.text), 'pass');
});

// hostile fragments the issue names, and some of their kin
const hostileLine = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom(
    '\x00\x00\x00',
    '\x1b[2J\x1b[H',
    '\ufffd\ufffe\uffff',
    'x'.repeat(200_000),
    '\r\r\r',
    'KVMATRIX/1 0 begin agent=1 role=guest #00000000',
    'KVMATRIX/2 0 begin agent=2 #deadbeef',
    'KVMATRIX/1 11 end records=12 #ffffffff',
    'KVMATRIX/1',
    'KVMATRIX/1 99999999999999999999 pci bdf= #',
    'Kernel panic - not syncing: \x00',
    '---[ end Kernel panic',
    'WARNING: CPU: 0 PID: 1 at',
  ),
  fc.constantFrom(...lines.filter((l) => l.startsWith('KVMATRIX/1 '))),
);

t.test('the parser never throws, whatever lines are inserted, duplicated or replaced', async (t) => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(lines.length), hostileLine), { maxLength: 8 }), fc.boolean(), (edits, replace) => {
      const out = [...lines];
      for (const [at, text] of edits) out.splice(at, replace ? 1 : 0, text);
      const obs = parseConsole(out.join('\n'), { nonce: fixture.nonce });
      decideBooted(cell, exited, obs);
    }),
    { numRuns: RUNS },
  );
  t.pass(`${RUNS} hostile consoles parsed and decided without an exception`);
});

t.test('raw bytes: invalid UTF-8 and NULs anywhere never throw', async (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 4096 }), fc.nat(fixture.text.length), (bytes, at) => {
      const text = fixture.text.slice(0, at) + Buffer.from(bytes).toString('utf8') + fixture.text.slice(at);
      decideBooted(cell, exited, parseConsole(text, { nonce: fixture.nonce }));
    }),
    { numRuns: RUNS },
  );
  t.pass(`${RUNS} byte soups parsed without an exception`);
});

/** One way of losing or damaging one agent record. */
const damage = fc.oneof(
  fc.record({ kind: fc.constant('drop' as const), record: fc.nat(11) }),
  fc.record({ kind: fc.constant('truncate' as const), record: fc.nat(11), keep: fc.nat(200) }),
  // a printable character swapped for another: sanitising cannot undo it
  fc.record({
    kind: fc.constant('flip' as const),
    record: fc.nat(11),
    at: fc.nat(300),
    to: fc.constantFrom(...'0123456789abcdefxyz=:-,#/ '),
  }),
  // a kernel message lands in the middle of a record, cutting it in two
  fc.record({ kind: fc.constant('interleave' as const), record: fc.nat(11), at: fc.nat(300) }),
  // the console stops early: the tail of the records never arrived
  fc.record({ kind: fc.constant('cut' as const), record: fc.nat(11) }),
);

interface Damage {
  kind: 'drop' | 'truncate' | 'flip' | 'interleave' | 'cut';
  record: number;
  keep?: number;
  at?: number;
  to?: string;
}

/** The console with one record damaged, or null when the edit would change nothing of the record. */
function damaged(edit: Damage): string | null {
  const out = [...lines];
  const index = recordIndexes[edit.record]!;
  // the serial console ends lines with \r\n: damage goes into the record, not its line end
  const line = out[index]!.replace(/\r$/, '');
  switch (edit.kind) {
    case 'drop':
      out.splice(index, 1);
      break;
    case 'truncate':
      if (edit.keep! >= line.length) return null;
      out[index] = line.slice(0, edit.keep!);
      break;
    case 'flip': {
      const at = edit.at! % line.length;
      if (line[at] === edit.to) return null;
      out[index] = line.slice(0, at) + edit.to! + line.slice(at + 1);
      break;
    }
    case 'interleave': {
      const at = 1 + (edit.at! % (line.length - 1));
      out.splice(index, 1, line.slice(0, at), '[    1.234567] random: crng init done', line.slice(at));
      break;
    }
    case 'cut':
      out.splice(index);
      break;
  }
  return out.join('\n');
}

t.test('a console with a missing or damaged record is never a pass', async (t) => {
  fc.assert(
    fc.property(damage, (edit) => {
      const text = damaged(edit);
      return text === null || verdictOf(text) !== 'pass';
    }),
    { numRuns: RUNS },
  );
  t.pass(`${RUNS} damaged consoles, none decided pass`);
});

t.test('read in pieces as it arrives, a console gives what it gives read whole', async (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(lines.length), hostileLine), { maxLength: 6 }),
      fc.uint8Array({ maxLength: 512 }),
      fc.nat(fixture.text.length),
      fc.array(fc.nat(), { maxLength: 12 }),
      (edits, bytes, at, cuts) => {
        const out = [...lines];
        for (const [where, text] of edits) out.splice(where, 0, text);
        const joined = out.join('\n');
        // raw bytes in the middle: invalid UTF-8 and sequences cut by a piece's end
        const raw = Buffer.concat([Buffer.from(joined.slice(0, at)), Buffer.from(bytes), Buffer.from(joined.slice(at))]);
        const offsets = [...new Set(cuts.map((c) => c % (raw.length + 1)))].sort((a, b) => a - b);
        const decoder = new StringDecoder('utf8');
        const parser = new ConsoleParser({ nonce: fixture.nonce });
        let from = 0;
        for (const to of [...offsets, raw.length]) {
          parser.feed(decoder.write(raw.subarray(from, to)));
          from = to;
        }
        parser.feed(decoder.end());
        return isDeepStrictEqual(parser.finish(), parseConsole(raw.toString('utf8'), { nonce: fixture.nonce }));
      },
    ),
    // each run parses a whole console twice: half the runs of the others keep the suite's time
    { numRuns: RUNS / 2 },
  );
  t.pass(`${RUNS / 2} consoles cut at random bytes read as they read whole`);
});
