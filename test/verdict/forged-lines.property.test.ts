/**
 * Property-based: lines a kernel (or code it runs) could print, inserted
 * anywhere in a genuine boot's console, never make that boot look better.
 * KTAP-looking lines at any depth, `cmdN| ` framed lines, records of other
 * boots; the agent's KTAP record is recomputed over what the kernel's log
 * held when the agent read it (the console's lines before that record) and
 * signed again with the boot's nonce, as the agent would have written it.
 * For every leaf of the genuine verdict that is not `pass`, the same path
 * is never `pass`; where the genuine cell is not `pass`, neither is the
 * forged one.
 *
 * The consoles: kunit-command-6.1 (probe, KUnit with a case that warns,
 * two commands printing TAP, one with a failing and a skipped subtest) and
 * kunit-6.1-pass (probe and 107 KUnit cases, two skipped).
 */
import fc from 'fast-check';
import t from 'tap';
import { parseConsole } from '../../harness/console/parse.js';
import { crc32 } from '../../harness/console/crc32.js';
import type { Cell, CommandTestSpec } from '../../harness/matrix/types.js';
import { judge } from '../../harness/verdict/decide.js';
import { leavesOf } from '../../harness/verdict/tree.js';
import type { CellVerdict } from '../../harness/verdict/types.js';
import type { LaunchOutcome } from '../../harness/vmm/types.js';
import { kunitCell, qemuCell } from '../support/cells.js';
import { consoleFixture, type ConsoleFixture } from '../support/fixtures.js';
import { decideBooted } from '../support/decide.js';

const RUNS = 400;
const exited: LaunchOutcome = {
  kind: 'exited',
  code: 0,
  signal: null,
  durationMs: 1200,
  firstOutputMs: 40,
  consoleBytes: 30000,
  consoleTruncated: false,
  stderrTail: [],
};

const command = (name: string): CommandTestSpec => ({ kind: 'command', name, argv: ['sh'], files: [], timeoutSec: 60, expectExit: 0 });
function probeKunit(devices: ('rng' | 'net' | 'blk')[], transport: 'legacy' | 'modern', filter: string | null, commands: string[]): Cell {
  const k = kunitCell(filter);
  return { ...qemuCell('flat', transport, devices), kernel: k.kernel, tests: [{ kind: 'probe' }, ...k.tests, ...commands.map(command)] };
}

interface Case {
  fixture: ConsoleFixture;
  cell: Cell;
}
const CASES: Case[] = [
  { fixture: consoleFixture('kunit-command-6.1'), cell: probeKunit(['rng', 'blk'], 'modern', '[ceh]*', ['tap-mixed', 'tap-pass']) },
  { fixture: consoleFixture('kunit-6.1-pass'), cell: probeKunit(['rng', 'net', 'blk'], 'legacy', null, []) },
];

const decide = (c: Case, text: string): CellVerdict => {
  const obs = parseConsole(text, { nonce: c.fixture.nonce });
  return judge(decideBooted(c.cell, exited, obs), c.cell.expect, []);
};

const KTAP_RECORD = /^(KVMATRIX\/1 (\d+) ktap) results=\d+ crc=[0-9a-f]{8} lost=([01]) #[0-9a-f]{8}$/;

/** The console with the agent's KTAP record as the agent would write it over what the kernel's log then held. */
function resign(lines: string[], nonce: string): string {
  // the consoles end their lines with CRLF, as the serial port gives them
  const at = lines.findIndex((l) => KTAP_RECORD.test(l.replace(/\r$/, '')));
  if (at < 0) throw new Error("the console has no KTAP record of the agent's");
  const [, head, , lost] = KTAP_RECORD.exec(lines[at]!.replace(/\r$/, ''))!;
  const held = parseConsole(lines.slice(0, at).join('\n'), { nonce }).ktapDigest;
  const body = `${head} results=${held.results} crc=${held.crc.toString(16).padStart(8, '0')} lost=${lost}`;
  const out = [...lines];
  out[at] = `${body} #${crc32(`${nonce} ${body}`).toString(16).padStart(8, '0')}${lines[at]!.endsWith('\r') ? '\r' : ''}`;
  return out.join('\n');
}

for (const c of CASES) {
  const lines = c.fixture.text.split('\n');
  const genuine = decide(c, c.fixture.text);
  const notPassing = leavesOf(genuine.tests).filter((l) => l.verdict !== 'pass');
  const names = [...new Set(leavesOf(genuine.tests).flatMap((l) => (l.path as string).split('.')))];
  const records = lines.filter((l) => l.startsWith('KVMATRIX/1 '));

  t.test(`${c.fixture.name}: the genuine console as captured`, async (t) => {
    t.equal(resign(lines, c.fixture.nonce), c.fixture.text, "re-signing the untouched console gives the agent's own record");
    t.ok(leavesOf(genuine.tests).length > 10, `${leavesOf(genuine.tests).length} leaves`);
    t.ok(
      notPassing.length >= 2,
      `${notPassing.length} leaves that did not pass: ${notPassing.map((l) => `${l.path} ${l.verdict}`).join(', ')}`,
    );
    t.equal(genuine.verdict, c.fixture.name === 'kunit-6.1-pass' ? 'pass' : 'fail');
  });

  const name = fc.oneof(fc.constantFrom(...names), fc.stringMatching(/^[a-z_]{1,12}$/));
  const stamp = fc.oneof(
    fc.constant(''),
    fc.float({ min: 0, max: 9, noNaN: true }).map((s) => `[${s.toFixed(6).padStart(12)}] `),
  );
  const indent = fc.constantFrom(0, 2, 4, 8, 12).map((n) => ' '.repeat(n));
  const ktapLine = fc.oneof(
    fc
      .tuple(fc.constantFrom('ok', 'not ok'), fc.integer({ min: 0, max: 40 }), name, fc.constantFrom('', ' # SKIP forged'))
      .map(([r, n, x, d]) => `${r} ${n} ${x}${d}`),
    fc.integer({ min: 0, max: 40 }).map((n) => `1..${n}`),
    fc.constantFrom('KTAP version 1', 'TAP version 13', 'TAP version 14'),
    name.map((x) => `# Subtest: ${x}`),
    name.map((x) => `# ${x}: pass:1 fail:0 skip:0 total:1`),
  );
  const kernelLine = fc.tuple(stamp, indent, ktapLine).map(([s, i, l]) => `${s}${i}${l}`);
  const framedLine = fc
    .tuple(fc.integer({ min: 1, max: 3 }), fc.constantFrom('|', '\\'), fc.oneof(ktapLine, fc.constantFrom(...records)))
    .map(([n, f, l]) => `cmd${n}${f} ${l}`);
  // another boot's records: the same bodies, signed with its own nonce
  const otherBoot = fc.tuple(fc.constantFrom(...records), fc.stringMatching(/^[0-9a-f]{16}$/)).map(([r, nonce]) => {
    const body = r.slice(0, r.lastIndexOf(' #'));
    return `${body} #${crc32(`${nonce} ${body}`).toString(16).padStart(8, '0')}`;
  });
  const inserted = fc.oneof(
    { weight: 5, arbitrary: kernelLine },
    { weight: 2, arbitrary: framedLine },
    { weight: 1, arbitrary: otherBoot },
  );

  t.test(`${c.fixture.name}: inserted lines never make a leaf or the cell better`, async (t) => {
    let changed = 0;
    let kunitRead = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(lines.length), inserted), { minLength: 1, maxLength: 6 }), (edits) => {
        const out = [...lines];
        for (const [at, text] of [...edits].sort((a, b) => b[0] - a[0])) out.splice(at, 0, text);
        const forged = decide(c, resign(out, c.fixture.nonce));
        if (forged.verdict !== genuine.verdict) changed++;
        if (forged.tests.some((n) => n.name === 'kunit')) kunitRead++;
        if (genuine.verdict !== 'pass' && forged.verdict === 'pass')
          throw new Error(`the cell passed: ${edits.map(([, l]) => l).join(' | ')}`);
        const byPath = new Map(leavesOf(forged.tests).map((l) => [l.path, l]));
        for (const leaf of notPassing) {
          if (byPath.get(leaf.path)?.verdict === 'pass')
            throw new Error(`${leaf.path} went from ${leaf.verdict} to pass with: ${edits.map(([, l]) => JSON.stringify(l)).join(' | ')}`);
        }
      }),
      { numRuns: RUNS },
    );
    t.pass(`${RUNS} forged consoles; ${changed} changed the cell's verdict, none for the better`);
    t.ok(kunitRead > RUNS / 4, `the KUnit tree was read (vouched for) in ${kunitRead} of them, its leaves compared`);
  });
}
