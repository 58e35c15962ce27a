import t from 'tap';
import { interruptedRecord } from '../../harness/run/cell-record.js';
import { renderSummary, summarize } from '../../harness/report/summary.js';
import { cell, mixedRun } from '../support/results.js';

t.test('a cell the run was stopped in is an error, unexpected, marked, with its own reasons kept after', async (t) => {
  const record = interruptedRecord(cell({ id: 'patched/qemu-flat/legacy', reasons: ['the VMM exited with signal SIGKILL'] }), 'SIGINT');
  t.equal(record.verdict, 'error');
  t.equal(record.status, 'unexpected');
  t.equal(record.interrupted, true);
  t.same(record.reasons, ['interrupted: the run was stopped by SIGINT before this cell finished', 'the VMM exited with signal SIGKILL']);
  const expectedFail = interruptedRecord(cell({ id: 'unpatched/qemu-bridged/legacy', verdict: 'fail', expected: 'fail' }), 'SIGTERM');
  t.equal(expectedFail.status, 'unexpected', 'never as expected, whatever was expected');
});

t.test('the summary counts the interrupted cells', async (t) => {
  const results = mixedRun();
  results.cells[1] = interruptedRecord(results.cells[1]!, 'SIGTERM');
  results.summary = summarize(results.cells);
  results.interrupted = 'SIGTERM';
  t.match(
    renderSummary(results, '/r'),
    /^interrupted by SIGTERM: 1 cell did not finish \(error, marked interrupted\); the rest are as they ended$/m,
  );
  delete results.interrupted;
  t.notMatch(renderSummary(results, '/r'), /interrupted by/);
});
