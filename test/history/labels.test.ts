import t from 'tap';
import { inputChanges, type CellInputs } from '../../harness/history/inputs.js';
import { labelSeries, outcomeOf, type Outcome } from '../../harness/history/labels.js';

const MARKS: Record<string, Outcome> = { '.': 'good', k: 'known', X: 'bad', '~': 'flaky', E: 'infra', s: 'skip', ' ': 'absent' };

/** A test's nights from marks, oldest first; `kernels` gives each night's kernel commit (same letter, same inputs). */
function series(marks: string, kernels = 'a'.repeat(marks.length), reported = '') {
  const inputs = [...kernels].map((k): CellInputs => ({
    kernel: `git:${k}`,
    patchSet: 'none',
    vmm: 'qemu 7.2',
    matrix: 'm',
    kvmatrix: '0.1.0',
    kvmatrixCommit: 'c',
    host: 'h',
  }));
  return {
    outcomes: [...marks].map((m) => MARKS[m]!),
    inputs,
    expectedToReport: [...marks].map((_, i) => reported[i] !== '-'),
  };
}

t.test('each label from the nights that tell, newest last', async (t) => {
  t.equal(labelSeries(series('.....')).label, 'pass');
  t.equal(labelSeries(series('    .')).label, 'new', 'first reported by the newest run');
  t.equal(labelSeries(series('    X')).label, 'new', 'new, failing: the gate counts it');
  t.equal(labelSeries(series('XXXXX')).label, 'persistent');
  t.equal(labelSeries(series('kkkkk')).label, 'known');
  t.equal(labelSeries(series('EEsEE')).label, 'cannot-tell', 'no night told');
  t.equal(labelSeries(series('EEssX')).label, 'new', 'the first night that told is the newest, and bad: the gate counts it');
  t.equal(labelSeries(series('    k')).label, 'new', 'new outranks known');
  t.equal(labelSeries(series('XXk')).label, 'fixed', 'as the matrix expects again (its rule now expects the failure)');
  t.equal(labelSeries(series('kXX', 'abb')).label, 'regression', 'a known failure went as expected');
  t.equal(labelSeries(series('.... ')).label, 'missing', 'its cell ran, the test was not reported');
  t.equal(labelSeries(series('.... ', 'aaaaa', '    -')).label, 'pass', 'its cell did not run: not missing');
});

t.test('a regression names its last good and first bad night, and what changed between them', async (t) => {
  const byCommit = labelSeries(series('..XXX', 'aabbb'));
  t.match(byCommit, { label: 'regression', lastGood: 1, firstBad: 2, changes: [{ input: 'kernel', before: 'git:a', after: 'git:b' }] });
  t.same(labelSeries(series('..XXX')).changes, [], 'the same inputs both nights: nothing but the night');
  t.match(labelSeries(series('..EXX', 'aabbb')), { label: 'regression', lastGood: 1, firstBad: 3 }, 'a night that errored does not tell');
  t.match(labelSeries(series('..ssX')), { label: 'regression', lastGood: 1, firstBad: 4 }, 'nor one that skipped');
  t.match(labelSeries(series('k.kXX', 'aaabb')), { label: 'regression', lastGood: 2 }, 'a known failure went as expected');
  t.match(labelSeries(series('..XXE', 'aabbb')), { label: 'regression' }, 'the newest night errored: the label of the nights that told');
});

t.test('fixed, and unstable: flips without a change of input', async (t) => {
  t.match(labelSeries(series('XX...', 'aabbb')), { label: 'fixed', lastBad: 1, firstGood: 2, changes: [{ input: 'kernel' }] });
  t.match(labelSeries(series('.X.X.')), { label: 'unstable', failed: 2, told: 5 });
  t.match(labelSeries(series('..X..')), { label: 'unstable', failed: 1, told: 5 }, 'failed one night and passed again, nothing changed');
  t.match(labelSeries(series('..X..', 'aabcc')), { label: 'fixed' }, 'broken by one commit and fixed by the next: not unstable');
  t.match(labelSeries(series('..~..')), { label: 'unstable' }, "a night's boots disagreed");
  t.match(labelSeries(series('.X.XX', 'aaaaa')), { label: 'unstable', failed: 3, told: 5 }, 'unstable outranks regression');
  t.match(
    labelSeries(series('.X.X.', 'abcde')),
    { label: 'unstable', failed: 2 },
    'three flips or more, each with a new commit: still unstable',
  );
  t.match(labelSeries(series('.X.XX', 'abcde')), { label: 'unstable' });
  t.match(
    labelSeries(series('X..XX', 'abcde')),
    { label: 'regression', lastGood: 2, firstBad: 3 },
    'two flips, each with a new commit: a fix and a regression',
  );
});

t.test('a stored row that does not add up never reads as a pass', async (t) => {
  t.equal(outcomeOf({ verdict: 'pass', expected: 'pass', status: 'as-expected' }), 'good');
  t.equal(outcomeOf({ verdict: 'fail', expected: 'fail', status: 'as-expected' }), 'known');
  t.equal(outcomeOf({ verdict: 'pass', expected: 'fail', status: 'unexpected' }), 'bad');
  t.equal(outcomeOf({ verdict: 'error', expected: 'pass', status: 'unexpected' }), 'infra', 'an error is the machine, not the kernel');
  t.equal(outcomeOf({ verdict: 'timeout', expected: 'pass', status: 'unexpected' }), 'bad', 'a timeout is the kernel');
  t.equal(outcomeOf({ verdict: 'skip', expected: 'pass', status: 'skipped' }), 'skip');
  t.equal(outcomeOf(null), 'absent');
  for (const odd of [
    { verdict: 'pass', expected: 'fail', status: 'as-expected' },
    { verdict: 'fail', expected: 'pass', status: 'as-expected' },
    { verdict: 'ok', expected: 'pass', status: 'as-expected' },
    { verdict: 'pass', expected: 'pass', status: 'fine' },
    { verdict: 'pass', expected: 'pass', status: 'skipped' },
  ]) {
    t.equal(outcomeOf(odd), 'infra', JSON.stringify(odd));
  }
});

t.test('an input one of two runs did not record is never a change', async (t) => {
  const base: CellInputs = {
    kernel: 'git:a',
    patchSet: 'none',
    vmm: 'qemu 7.2',
    matrix: 'm',
    kvmatrix: '0.1.0',
    kvmatrixCommit: 'unrecorded',
    host: 'unrecorded',
  };
  t.same(inputChanges(base, { ...base, kvmatrixCommit: 'abc', host: 'ci-1' }), []);
  t.same(inputChanges({ ...base, kvmatrixCommit: 'abc' }, { ...base, kvmatrixCommit: 'def' }), [
    { input: 'kvmatrixCommit', before: 'abc', after: 'def' },
  ]);
});
