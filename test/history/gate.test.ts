import { XMLParser, XMLValidator } from 'fast-xml-parser';
import t from 'tap';
import { decideGate } from '../../harness/history/gate.js';
import { renderGateJunit, renderGateTap } from '../../harness/history/gate-report.js';
import { historyView } from '../../harness/history/history-view.js';
import { renderHistoryText } from '../../harness/history/history-text.js';
import { recordRuns } from '../../harness/history/record-runs.js';
import type { StoreTarget } from '../../harness/history/store-target.js';
import type { RunResults } from '../../harness/report/types.js';
import { runFolder } from '../support/history-stores.js';
import { nightRun } from '../support/night-runs.js';
import { parseTap, tapSyntaxErrors } from '../support/tap.js';
import { tempTree } from '../support/temp-tree.js';

const NOW = new Date('2026-12-07T00:00:00Z');
const BROKE = 'kunit.suite01.case02';

/** Nights of a 3-cell matrix: case02 of cell 1 breaks on night 2; cell 2 fails from the first night on. */
function night(n: number, edit: (r: RunResults) => void = () => {}): RunResults {
  const r = nightRun({
    night: n,
    cells: 3,
    suites: 2,
    cases: 3,
    fails: (c, p) => (c === 1 && p === BROKE && n >= 2) || (c === 2 && p.endsWith('case00')),
  });
  edit(r);
  return r;
}

async function historyOf(nights: RunResults[]): Promise<StoreTarget> {
  const target: StoreTarget = { engine: 'sqlite', file: `${tempTree({})}/h.sqlite` };
  await recordRuns(
    target,
    nights.map((n) => runFolder(n)),
    NOW,
  );
  return target;
}

t.test('the gate: red on the night a regression came, green on the next, cannot tell when a cell errored', async (t) => {
  const nights = [0, 1, 2, 3].map((n) => night(n));
  const cell = nights[2]!.cells[1]!.id;

  const broke = await historyView(await historyOf(nights.slice(0, 3)), { last: 30 });
  const red = decideGate(broke);
  t.equal(red.kind, 'regression');
  t.same(
    red.kind === 'regression' ? red.added.map((e) => `${e.cell} ${e.test ?? ''}`).sort() : [],
    [`${cell} `, `${cell} ${BROKE}`],
    'the case that broke, and its cell',
  );
  t.match(
    renderHistoryText(broke!),
    new RegExp(
      `^regression  \\|\\.\\.X\\| ${BROKE.replace(/\./g, '\\.')} on ${cell.replace(/\//g, '\\/')}: last good ${nights[1]!.runId}, first bad ${nights[2]!.runId}`,
      'm',
    ),
  );
  t.match(renderHistoryText(broke!), /what changed: nothing but the night/);

  const { final, asserts } = await parseTap(renderGateTap(broke!, red));
  t.same(tapSyntaxErrors(final), []);
  t.same(
    final.failures.map((f) => f.name),
    [cell],
    'TAP fails the cell with the new regression alone',
  );
  t.ok(
    asserts.some((a) => a.todo && a.name === nights[2]!.cells[2]!.id),
    'the cell failing from the first night is a TODO',
  );
  const junit = renderGateJunit(broke!, red);
  t.equal(XMLValidator.validate(junit), true);
  const suite = new XMLParser({ ignoreAttributes: false }).parse(junit).testsuites.testsuite;
  t.equal(suite['@_failures'], '1');
  t.equal(suite['@_skipped'], '1');

  const after = await historyView(await historyOf(nights), { last: 30 });
  t.same(decideGate(after), { kind: 'pass', runId: nights[3]!.runId }, 'the night after: no regression added');

  const errored = night(3, (r) => {
    r.cells[0] = { ...r.cells[0]!, verdict: 'error', status: 'unexpected', reasons: ['could not start the VMM'], tests: [] };
  });
  const machine = decideGate(await historyView(await historyOf([...nights.slice(0, 3), errored]), { last: 30 }));
  t.same(machine, { kind: 'cannot-tell', runId: errored.runId, why: [`${errored.cells[0]!.id}: its boot was an error`] });

  const first = await historyView(await historyOf([night(0)]), { last: 30 });
  t.match(decideGate(first), { kind: 'regression' }, 'a first night with failures: new failing tests are regressions');
  t.same(decideGate(null), { kind: 'cannot-tell', runId: null, why: ['the history has no run of this matrix'] });
});

t.test('a window of the newest runs, whatever order they were added in', async (t) => {
  const nights = [0, 1, 2, 3].map((n) => night(n));
  const target: StoreTarget = { engine: 'sqlite', file: `${tempTree({})}/h.sqlite` };
  for (const n of [3, 0, 2, 1]) await recordRuns(target, [runFolder(nights[n]!)], NOW);
  const view = await historyView(target, { last: 2 });
  t.same(
    view!.runs.map((r) => r.runId),
    [nights[2]!.runId, nights[3]!.runId],
  );
  const regression = view!.entries.find((e) => e.label === 'regression' && e.test === BROKE);
  t.equal(regression, undefined, 'two nights, both bad: the break is before the window');
  t.ok(view!.entries.some((e) => e.label === 'persistent' && e.test === BROKE));
});

t.test(
  'the gate cannot tell when no cell was tested or a test stopped being reported, and fails a first bad night after nights that told nothing',
  async (t) => {
    const nights = [0, 1, 2].map((n) => night(n));
    const allSkipped = night(3, (r) => {
      r.cells = r.cells.map((c) => ({ ...c, verdict: 'skip', status: 'skipped', reasons: ['no lkvm given'], tests: [] }));
    });
    t.match(decideGate(await historyView(await historyOf([...nights, allSkipped]), { last: 30 })), {
      kind: 'cannot-tell',
      why: ['no cell of the newest run was tested (each was skipped or errored)'],
    });

    const dropped = night(3, (r) => {
      r.cells[0]!.tests![0]!.children[0]!.children.pop();
    });
    const gone = decideGate(await historyView(await historyOf([...nights, dropped]), { last: 30 }));
    t.match(gone, { kind: 'cannot-tell', why: [`kunit.suite00.case02 on ${dropped.cells[0]!.id}: no longer reported`] });
    const later = night(4, (r) => {
      r.cells[0]!.tests![0]!.children[0]!.children.pop();
    });
    t.match(
      decideGate(await historyView(await historyOf([...nights, dropped, later]), { last: 30 })),
      { kind: 'pass' },
      'the night after, the absence is known',
    );

    const hung = night(3, (r) => {
      r.cells[1] = { ...r.cells[1]!, verdict: 'timeout', status: 'unexpected', reasons: ['the guest did not reach the agent'], tests: [] };
    });
    const timedOut = await historyView(await historyOf([...nights, hung]), { last: 30 });
    t.notOk(
      timedOut!.entries.some((e) => e.label === 'missing'),
      "a boot that hung before its tests ran does not make them missing: the cell's failure is the finding",
    );
    t.match(decideGate(timedOut), { kind: 'pass' }, 'and the cell failing carried from before (it broke on night 2) adds nothing');

    // a cell whose boots errored for two nights, then failed: its first bad night is this one
    const errored = (n: number) =>
      night(n, (r) => {
        r.cells[0] = { ...r.cells[0]!, verdict: 'error', status: 'unexpected', reasons: ['could not start the VMM'], tests: [] };
      });
    const failing = night(2, (r) => {
      r.cells[0] = { ...r.cells[0]!, verdict: 'fail', status: 'unexpected', reasons: ['a case failed'] };
    });
    const first = decideGate(await historyView(await historyOf([errored(0), errored(1), failing]), { last: 30 }));
    t.match(first, { kind: 'regression' });
    t.ok(
      first.kind === 'regression' && first.added.some((e) => e.cell === failing.cells[0]!.id && e.test === undefined && e.label === 'new'),
    );

    const narrowed = night(3, (r) => {
      r.selection = { cells: [], filters: [], test: 'kunit.suite01.*' };
      for (const c of r.cells) c.tests![0]!.children.splice(0, 1);
    });
    const view = await historyView(await historyOf([...nights, narrowed]), { last: 30 });
    t.notOk(
      view!.entries.some((e) => e.label === 'missing'),
      'a run with --test is not expected to report the tests it did not name',
    );
  },
);

t.test('a history of several matrices: the newest run’s by default, saying so; a name it has no run of is an error', async (t) => {
  const target: StoreTarget = { engine: 'sqlite', file: `${tempTree({})}/h.sqlite` };
  await recordRuns(target, [runFolder(night(0)), runFolder(nightRun({ night: 1, cells: 1, suites: 1, cases: 1, matrix: 'other' }))], NOW);
  const newest = await historyView(target, { last: 30 });
  t.equal(newest!.matrix, 'other');
  t.match(renderHistoryText(newest!), '(the history also holds runs of nightly: --name picks one)');
  t.equal((await historyView(target, { last: 30, matrix: 'nightly' }))!.runs.length, 1);
  await t.rejects(historyView(target, { last: 30, matrix: 'nigthly' }), /no run of matrix nigthly \(it holds runs of nightly, other\)/);
});

t.test(
  'review cases: a suite that failed on its own and passes again is fixed; a test gone after an errored night is still caught; a cell failing every night does not lose its tests; first told passing after errors is new',
  async (t) => {
    // a commit a night, so that break and fix each come with a change of input
    const plain = (n: number) => nightRun({ night: n, cells: 3, suites: 2, cases: 3, commit: (k) => `c${k}` });
    const suiteFailed = plain(1);
    const suite = suiteFailed.cells[0]!.tests![0]!.children[0]!;
    suite.verdict = 'fail';
    suite.status = 'unexpected';
    suite.reasons = ['the suite crashed after its cases'];
    const after = await historyView(await historyOf([plain(0), suiteFailed, plain(2)]), { last: 30 });
    t.match(
      after!.entries.find((e) => e.test === 'kunit.suite00' && e.cell === suiteFailed.cells[0]!.id),
      { label: 'fixed', outcomes: ['good', 'bad', 'good'] },
      'the nights its cases spoke for it read as passes',
    );
    t.equal(decideGate(after).kind, 'pass', 'and the night it is fixed is green, not "no longer reported"');

    const erroredCell = (n: number) =>
      night(n, (r) => {
        r.cells[0] = { ...r.cells[0]!, verdict: 'error', status: 'unexpected', reasons: ['could not start the VMM'], tests: [] };
      });
    const dropped = night(3, (r) => {
      r.cells[0]!.tests![0]!.children[0]!.children.pop();
    });
    const gone = decideGate(await historyView(await historyOf([night(0), night(1), erroredCell(2), dropped]), { last: 30 }));
    t.match(
      gone,
      { kind: 'cannot-tell', why: [`kunit.suite00.case02 on ${dropped.cells[0]!.id}: no longer reported`] },
      'the night before errored: still the first night it went missing',
    );

    const partial = (n: number, keep: number) =>
      night(n, (r) => {
        const c = r.cells[2]!;
        c.tests![0]!.children = c.tests![0]!.children.slice(0, keep);
        r.cells[2] = { ...c, verdict: 'timeout', status: 'unexpected', reasons: ['hung'] };
      });
    const hanging = await historyView(await historyOf([partial(0, 2), partial(1, 2), partial(2, 1)]), { last: 30 });
    t.notOk(
      hanging!.entries.some((e) => e.label === 'missing'),
      'a cell failing every night, hanging earlier tonight: its unreached tests are its failure, not missing',
    );

    const errorFirst = await historyView(await historyOf([erroredCell(0), erroredCell(1), night(2)]), { last: 30 });
    t.match(
      errorFirst!.entries.find((e) => e.test === 'kunit.suite00.case01' && e.cell === night(2).cells[0]!.id),
      { label: 'new' },
      'first told on the newest night, passing: new',
    );
  },
);
