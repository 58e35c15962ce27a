import t from 'tap';
import { renderSoakTable } from '../../bench/soak-table.js';

t.test('the soak table counts each unexpected cell by run, and the run times', async (t) => {
  const quiet = { exit: 0, cells: 12, unexpected: [], slowest: { id: 'patched/qemu-flat/legacy', bootMs: 1200, timeoutSec: 60 } };
  const text = renderSoakTable([
    { ...quiet, ms: 7000 },
    {
      ms: 9000,
      exit: 1,
      cells: 12,
      unexpected: [{ id: 'patched/qemu-flat/legacy', verdict: 'timeout', reason: 'hung' }],
      slowest: { id: 'patched/qemu-flat/legacy', bootMs: 60_000, timeoutSec: 60 },
    },
    { ...quiet, ms: 8000 },
    {
      ms: 12000,
      exit: 1,
      cells: 12,
      unexpected: [
        { id: 'patched/qemu-flat/legacy', verdict: 'error', reason: 'x' },
        { id: 'unpatched/kvmtool/modern', verdict: 'fail', reason: 'y' },
      ],
      slowest: null,
    },
  ]);
  t.equal(
    text,
    [
      'unexpected cells: 3 in 4 runs',
      'cell                      runs  where (run: verdict)',
      'patched/qemu-flat/legacy     2  2: timeout, 4: error',
      'unpatched/kvmtool/modern     1  4: fail',
      'slowest boot: 60.00 s, patched/qemu-flat/legacy in run 2 (its timeout 60 s)',
      'run time: median 8.50 s, max 12.00 s, min 7.00 s (n=4)',
    ].join('\n'),
  );
  t.equal(
    renderSoakTable([{ ...quiet, ms: 1000, slowest: null }]),
    'unexpected cells: 0 in 1 runs\nrun time: median 1.00 s, max 1.00 s, min 1.00 s (n=1)',
  );
});
