import fc from 'fast-check';
import { availableParallelism } from 'node:os';
import t from 'tap';
import { triesRunOptions } from '../../harness/cli/options.js';
import { combineRepeats } from '../../harness/run/repeat.js';
import { interruptedRecord } from '../../harness/run/cell-record.js';
import { bisectDecision } from '../../harness/verdict/bisect-exit.js';
import { repeatedVerdict } from '../../harness/verdict/repeated.js';
import type { CellRecord } from '../../harness/report/types.js';
import type { BootVerdict } from '../../harness/verdict/types.js';
import { qemuCell } from '../support/cells.js';
import { cell, device } from '../support/results.js';

const ID = 'patched/qemu-bridged/legacy';
const boot = (n: number, verdict: BootVerdict, extra: Partial<CellRecord> = {}) =>
  cell({
    id: ID,
    verdict,
    status: verdict === 'pass' ? 'as-expected' : 'unexpected',
    reasons: verdict === 'pass' ? [] : [`boot ${n} went ${verdict}`],
    console: `cells/${ID}/boot-${n}/console.log`,
    reproduce: `cells/${ID}/boot-${n}/reproduce.sh`,
    timings: { bootMs: 1000 * n, firstOutputMs: 80, kernelFirstLine: 0, initStarted: 0.5, agentDone: 0.8 },
    ...extra,
  });

t.test('boots that agree keep their verdict', async (t) => {
  for (const v of ['pass', 'fail', 'timeout', 'error'] as const) t.equal(repeatedVerdict([v, v, v]), v, `${v} x3`);
  t.equal(repeatedVerdict(['fail']), 'fail', 'one boot is never flaky');
});

t.test('fair boots that disagree make the cell flaky', async (t) => {
  t.equal(repeatedVerdict(['pass', 'timeout', 'pass']), 'flaky');
  t.equal(repeatedVerdict(['fail', 'pass']), 'flaky');
  t.equal(repeatedVerdict(['fail', 'timeout']), 'flaky', 'two ways of failing disagree too');
  t.equal(repeatedVerdict(['pass', 'error', 'fail']), 'flaky', 'an error boot does not hide the disagreement of the others');
});

t.test('an error boot tested nothing: no disagreement, but no pass either', async (t) => {
  t.equal(repeatedVerdict(['pass', 'error', 'pass']), 'error', 'a pass needs every boot to pass');
  t.equal(repeatedVerdict(['fail', 'error']), 'fail', 'the failure was seen; the error adds nothing against it');
  t.equal(repeatedVerdict(['timeout', 'error', 'timeout']), 'timeout');
  t.equal(repeatedVerdict(['error', 'error']), 'error');
  t.throws(() => repeatedVerdict([]));
});

t.test('property: no mix of boots holding a fail, timeout or error is ever a pass', async (t) => {
  const verdicts = fc.array(fc.constantFrom<BootVerdict>('pass', 'fail', 'error', 'timeout'), { minLength: 1, maxLength: 12 });
  fc.assert(
    fc.property(verdicts, (vs) => {
      const out = repeatedVerdict(vs);
      if (vs.some((v) => v !== 'pass')) return out !== 'pass';
      return out === 'pass';
    }),
    { numRuns: 5000 },
  );
  t.pass('held over every generated mix');
});

/**
 * What the README's table says a cell's boots come to against the matrix,
 * stated per expectation rather than through the verdict: a cell expected
 * to pass is as expected only when every boot passed; one expected to fail
 * only when some boot tested the kernel and every boot that did failed
 * (error boots tested nothing).
 */
function asExpectedByTheTable(vs: readonly BootVerdict[], expected: 'pass' | 'fail'): boolean {
  if (expected === 'pass') return vs.every((v) => v === 'pass');
  const tested = vs.filter((v) => v !== 'error');
  return tested.length > 0 && tested.every((v) => v === 'fail');
}

t.test('property: the record of repeated boots, whatever the expectation, is as expected exactly when the table says', async (t) => {
  const anyMix = fc.array(fc.constantFrom<BootVerdict>('pass', 'fail', 'error', 'timeout'), { minLength: 1, maxLength: 12 });
  // boots that agree but for some errors, which a uniform mix of four verdicts seldom makes
  const agreeing = fc
    .tuple(fc.constantFrom<BootVerdict>('pass', 'fail', 'timeout'), fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }))
    .map(([v, errors]) => errors.map((e): BootVerdict => (e ? 'error' : v)));
  const seen = { asExpected: 0, unexpected: 0 };
  fc.assert(
    fc.property(fc.oneof(anyMix, agreeing), fc.constantFrom<'pass' | 'fail'>('pass', 'fail'), (vs, expected) => {
      const combined = combineRepeats(
        vs.map((v, i) => boot(i + 1, v, { expected, status: v === expected ? 'as-expected' : 'unexpected' })),
      );
      const want = asExpectedByTheTable(vs, expected) ? 'as-expected' : 'unexpected';
      seen[want === 'as-expected' ? 'asExpected' : 'unexpected']++;
      if (combined.status !== want) return false;
      // and a cell that had any boot other than a pass is never a pass
      return vs.every((v) => v === 'pass') === (combined.verdict === 'pass');
    }),
    { numRuns: 4000 },
  );
  t.ok(seen.asExpected > 200 && seen.unexpected > 200, `both outcomes were generated (${JSON.stringify(seen)})`);
});

t.test('combineRepeats: agreeing boots are one record with every boot listed', async (t) => {
  const boots = [boot(1, 'pass'), boot(2, 'pass'), boot(3, 'pass')];
  const one = combineRepeats(boots);
  t.equal(one.verdict, 'pass');
  t.equal(one.status, 'as-expected');
  t.equal(one.console, boots[2]!.console, 'the last boot is the one shown');
  t.same(
    one.repeats!.map((r) => [r.boot, r.verdict, r.console]),
    boots.map((b, i) => [i + 1, 'pass', b.console]),
  );
  t.same(combineRepeats([boots[0]!]), boots[0], 'a single boot is returned as it is, without repeats');
});

t.test('combineRepeats: a flaky cell shows the first boot that went wrong and names every boot', async (t) => {
  const bad = device({ name: 'rng2', problems: ['no driver bound'] });
  const boots = [boot(1, 'pass'), boot(2, 'timeout', { devices: [bad] }), boot(3, 'pass')];
  const one = combineRepeats(boots);
  t.equal(one.verdict, 'flaky');
  t.equal(one.status, 'unexpected', 'flaky is never as expected');
  t.equal(one.console, boots[1]!.console, "boot 2's console is the one shown");
  t.same(one.devices, [bad], "and boot 2's devices");
  t.equal(one.timings.bootMs, 2000);
  t.equal(one.reasons[0], 'flaky: 3 boots disagree (pass, timeout, pass)');
  t.same(one.reasons.slice(1), ['boot 1: pass', 'boot 2: timeout: boot 2 went timeout', 'boot 3: pass']);
  t.same(
    one.repeats!.map((r) => r.status),
    ['as-expected', 'unexpected', 'as-expected'],
  );
  t.same(one.repeats![1]!.devices, [bad]);
});

t.test('combineRepeats: an expected failure seen on every boot is as expected; one pass among them is flaky', async (t) => {
  const expectFail = (n: number, v: BootVerdict) => boot(n, v, { expected: 'fail', status: v === 'fail' ? 'as-expected' : 'unexpected' });
  const all = combineRepeats([expectFail(1, 'fail'), expectFail(2, 'fail')]);
  t.equal(all.verdict, 'fail');
  t.equal(all.status, 'as-expected');
  const mixed = combineRepeats([expectFail(1, 'fail'), expectFail(2, 'pass')]);
  t.equal(mixed.verdict, 'flaky');
  t.equal(mixed.status, 'unexpected');
  t.equal(mixed.expected, 'fail');
});

t.test('combineRepeats: error-retries stay inside their boot', async (t) => {
  const retried = [{ verdict: 'error' as const, reasons: ['qemu crashed'], console: `cells/${ID}/boot-2/console.attempt1.log` }];
  const one = combineRepeats([boot(1, 'pass'), boot(2, 'pass', { retried }), boot(3, 'pass')]);
  t.equal(one.verdict, 'pass', 'a boot that passed on its retry is a passing boot');
  t.same(one.repeats![1]!.retried, retried);
  t.equal(one.repeats![0]!.retried, undefined);
  const errorBoot = combineRepeats([boot(1, 'pass'), boot(2, 'error', { retried }), boot(3, 'pass')]);
  t.equal(errorBoot.verdict, 'error', 'a boot still in error after its retries leaves the pass unproven');
  t.match(errorBoot.reasons[0], /not every boot could be tested \(pass, error, pass\)/);
});

t.test('combineRepeats: boots that never started a VMM are one record', async (t) => {
  const never = (n: number) =>
    boot(n, 'error', { console: null, reproduce: null, reasons: ['kernel patched not available: build failed'] });
  const one = combineRepeats([never(1), never(2), never(3)]);
  t.equal(one.repeats, undefined, 'booting again would end the same way: nothing to list');
  t.equal(one.verdict, 'error');
});

t.test('combineRepeats: an interrupted run keeps the boots that finished and marks the cell', async (t) => {
  const stopped = { ...boot(2, 'error'), interrupted: true as const };
  const notStarted = boot(3, 'error', { console: null, reproduce: null, reasons: ['not started'] });
  const one = combineRepeats([boot(1, 'pass'), stopped, notStarted]);
  t.equal(one.interrupted, true);
  t.not(one.verdict, 'pass');
  t.equal(one.repeats![0]!.verdict, 'pass', 'the boot that finished keeps its verdict');
  t.equal(one.repeats![1]!.interrupted, true);
  // run-matrix marks every cell of a stopped run as the run settles it
  const settled = interruptedRecord(one, 'SIGINT');
  t.equal(settled.verdict, 'error');
  t.equal(settled.repeats!.length, 3, 'every boot is still listed');
});

t.test('bisect: a flaky step is bad, never good', async (t) => {
  const d = bisectDecision({ kind: 'booted', verdict: 'flaky' });
  t.equal(d.mark, 'bad');
  t.equal(d.code, 1);
  t.equal(bisectDecision({ kind: 'booted', verdict: repeatedVerdict(['pass', 'pass', 'timeout']) }).code, 1, 'one hang in three tries');
  t.equal(bisectDecision({ kind: 'booted', verdict: repeatedVerdict(['pass', 'pass', 'pass']) }).code, 0);
});

t.test("bisect tries: --tries, else the cell's boot.repeat; side by side up to the cores", async (t) => {
  const c = qemuCell('bridged', 'legacy');
  t.same(triesRunOptions(undefined, c), { repeat: 1, bootJobs: 1 }, 'one try by default');
  t.same(triesRunOptions(undefined, { ...c, boot: { ...c.boot, repeat: 4 } }).repeat, 4, "the matrix's repeat for the cell");
  const three = triesRunOptions(3, { ...c, boot: { ...c.boot, repeat: 4 } });
  t.equal(three.repeat, 3, '--tries wins');
  t.equal(three.bootJobs, Math.min(3, availableParallelism()));
});
