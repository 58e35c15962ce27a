import { XMLParser, XMLValidator } from 'fast-xml-parser';
import t from 'tap';
import { compareDevices, compareRuns, isNewFailure } from '../../harness/report/compare.js';
import { renderComparisonJunit, renderComparisonTap, renderComparisonText } from '../../harness/report/compare-report.js';
import { summarize } from '../../harness/report/summary.js';
import type { RunResults } from '../../harness/report/types.js';
import { parseTap, tapSyntaxErrors } from '../support/tap.js';
import { cell, device, mixedRun } from '../support/results.js';

/** mixedRun, then a later run where one cell regressed, one was fixed, one came and one went. */
function pair(): { before: RunResults; after: RunResults } {
  const before = mixedRun();
  const after = mixedRun();
  after.runId = '20261126-070000-efgh';
  // regressed: passed as expected, now rng1 sits at 0x4000 and fails
  after.cells[0] = cell({
    id: 'patched/qemu-flat/legacy',
    verdict: 'fail',
    status: 'unexpected',
    reasons: ['rng1 0000:00:01.0 (legacy, io BAR0 0x4000): no driver bound'],
    devices: [
      device({
        bar0: { index: 0, kind: 'io', start: 0x4000, end: 0x401f },
        virtioDriver: null,
        status: 0x80,
        statusNames: ['FAILED'],
        problems: ['no driver bound'],
      }),
    ],
  });
  // fixed: the error cell now passes
  after.cells[3] = cell({ id: 'patched/qemu-flat/modern' });
  // removed, and an added cell that is fine
  after.cells.splice(4, 1);
  after.cells.push(cell({ id: 'patched/qemu-wide/modern' }));
  after.summary = summarize(after.cells);
  return { before, after };
}

t.test('each cell is classed by what its expectation says of both runs', async (t) => {
  const { before, after } = pair();
  const cmp = compareRuns(before, after);
  const kind = (id: string) => cmp.cells.find((c) => c.id === id)?.kind;
  t.equal(kind('patched/qemu-flat/legacy'), 'regression');
  t.equal(kind('patched/qemu-flat/modern'), 'fixed');
  t.equal(kind('unpatched/qemu-flat/modern'), 'persistent');
  t.equal(kind('unpatched/qemu-bridged/legacy'), 'unchanged', 'an expected failure that still fails is unchanged');
  t.equal(kind('patched/qemu-bridged/modern'), 'missing');
  t.equal(kind('patched/qemu-wide/modern'), 'new');
  t.equal(kind('patched/kvmtool/legacy'), 'unchanged');
  t.same(
    cmp.cells.filter(isNewFailure).map((c) => c.id),
    ['patched/qemu-flat/legacy'],
  );
  t.equal(cmp.counts.regression, 1);
  t.equal(cmp.cells.at(-1)!.id, 'patched/qemu-bridged/modern', 'removed cells come last');
  t.notOk(cmp.matrixDiffers);

  const regressed = cmp.cells[0]!;
  t.same(
    regressed.devices.map((d) => d.field),
    ['bar0', 'driver', 'status', 'problems'],
  );
  t.same(regressed.devices[0], { device: 'rng1', field: 'bar0', before: 'io 0x1000', after: 'io 0x4000' });
});

t.test('a new cell that is not as expected is a new failure; one that went from unexpected to skipped is only changed', async (t) => {
  const before = mixedRun();
  const after = mixedRun();
  after.cells.push(cell({ id: 'patched/qemu-new/legacy', verdict: 'timeout', status: 'unexpected' }));
  after.cells[2] = { ...after.cells[2]!, verdict: 'skip', status: 'skipped' };
  const cmp = compareRuns(before, after);
  t.same(
    cmp.cells.filter(isNewFailure).map((c) => c.id),
    ['patched/qemu-new/legacy'],
  );
  t.equal(cmp.cells.find((c) => c.id === after.cells[2]!.id)!.kind, 'changed');
});

t.test('devices: one that vanished, one that appeared, and fields compared one by one', async (t) => {
  const changes = compareDevices(
    [device({ name: 'rng1' }), device({ name: 'blk1', kind: 'blk' })],
    [device({ name: 'rng1', bdf: '0000:00:02.0' }), device({ name: 'net1', kind: 'net' })],
  );
  t.same(
    changes.filter((c) => c.device === 'rng1').map((c) => c.field),
    ['bdf'],
  );
  t.ok(changes.some((c) => c.device === 'blk1' && c.field === 'presence' && c.after === 'absent'));
  t.ok(changes.some((c) => c.device === 'net1' && c.field === 'presence' && c.before === 'absent'));
});

t.test('text: new failures first with reasons and device changes, then the rest, then the counts', async (t) => {
  const { before, after } = pair();
  const text = renderComparisonText(compareRuns(before, after));
  t.match(text, /^compare 20261125-070000-abcd \(murray\) -> 20261126-070000-efgh \(murray\)\n/);
  t.match(
    text,
    /started failing \(1\):\n  patched\/qemu-flat\/legacy: pass -> FAIL \(expected pass\)\n    rng1 0000:00:01.0 \(legacy, io BAR0 0x4000\): no driver bound\n    rng1 bar0: io 0x1000 -> io 0x4000\n/,
  );
  t.match(text, /fixed \(1\):\n  patched\/qemu-flat\/modern: ERROR \(expected pass\) -> pass\n/);
  t.match(text, /still not as expected \(2\):/);
  t.match(text, /removed \(1\):\n  patched\/qemu-bridged\/modern/);
  t.match(text, /added \(1\):\n  patched\/qemu-wide\/modern: absent -> pass/);
  t.match(
    text,
    /\n8 cells: 1 regression \(started failing\), 1 fixed, 2 persistent \(still not as expected\), 0 changed, 2 unchanged, 1 new, 1 missing\n$/,
  );
});

t.test('TAP: not ok only for the new failure; known failures are TODO, removed cells SKIP', async (t) => {
  const { before, after } = pair();
  const cmp = compareRuns(before, after);
  const { final, asserts } = await parseTap(renderComparisonTap(cmp));
  t.same(tapSyntaxErrors(final), []);
  t.equal(final.count, cmp.cells.length);
  t.equal(final.failures.filter((f) => !f.todo).length, 1, 'one failure that counts: the regression');
  t.equal(final.todo, 2);
  t.equal(final.skip, 1);
  t.equal(final.ok, false);
  t.match(asserts[0]!.name, 'patched/qemu-flat/legacy: pass -> FAIL (expected pass)');
  t.same((asserts[0]!.diag as { devices: string[] }).devices[0], 'rng1 bar0: io 0x1000 -> io 0x4000');

  const calm = compareRuns(before, before);
  const quiet = await parseTap(renderComparisonTap(calm));
  t.equal(quiet.final.ok, true, 'a run compared with itself is ok, known failures and all');
});

t.test('JUnit: well-formed, a failure for the new failure, skips for known and removed', async (t) => {
  const { before, after } = pair();
  const xml = renderComparisonJunit(compareRuns(before, after));
  t.equal(XMLValidator.validate(xml), true);
  const suite = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml).testsuites.testsuite;
  t.equal(Number(suite.failures), 1);
  t.equal(Number(suite.skipped), 3);
  const cases = suite.testcase as { classname: string; name: string; failure?: { message: string } }[];
  const failed = cases.filter((c) => c.failure);
  t.same(
    failed.map((c) => `${c.classname} ${c.name}`),
    ['compare.patched qemu-flat/legacy'],
  );
  t.match(failed[0]!.failure!.message, 'started failing: pass -> FAIL (expected pass)');
});
