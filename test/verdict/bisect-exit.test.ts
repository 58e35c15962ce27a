import t from 'tap';
import { bisectDecision, BISECT_EXIT } from '../../harness/verdict/bisect-exit.js';
import type { KernelStage } from '../../harness/kernel/types.js';
import type { Verdict } from '../../harness/verdict/types.js';

t.test('every verdict of a booted cell has its exit code', async (t) => {
  const expected: Record<Verdict, [string, number]> = {
    pass: ['good', 0],
    fail: ['bad', 1],
    timeout: ['bad', 1],
    error: ['abort', 128],
    skip: ['abort', 128],
    flaky: ['bad', 1],
  };
  for (const [verdict, [mark, code]] of Object.entries(expected)) {
    const d = bisectDecision({ kind: 'booted', verdict: verdict as Verdict });
    t.equal(d.mark, mark, `${verdict} is ${mark}`);
    t.equal(d.code, code, `${verdict} exits ${code}`);
    t.ok(d.why.length > 0);
  }
});

t.test('a kernel that failed on its own is skipped; trouble around it aborts', async (t) => {
  const expected: Record<KernelStage, number> = { build: 125, config: 125, patch: 125, source: 128, toolchain: 128 };
  for (const [stage, code] of Object.entries(expected)) {
    t.equal(bisectDecision({ kind: 'kernel-failed', stage: stage as KernelStage, ended: 'failed' }).code, code, stage);
    for (const ended of ['timed-out', 'interrupted'] as const) {
      const d = bisectDecision({ kind: 'kernel-failed', stage: stage as KernelStage, ended });
      t.equal(d.code, BISECT_EXIT.abort, `${stage} ${ended} aborts: a slow or stopped build says nothing of the commit`);
    }
  }
});

t.test('git bisect run reads 125 as skip and 128 and up as abort', async (t) => {
  // git's own rules: 1-127 except 125 mark the commit bad
  t.equal(BISECT_EXIT.skip, 125);
  t.ok(BISECT_EXIT.abort >= 128 && BISECT_EXIT.usage >= 128, 'harness trouble and bad usage never blame a commit');
});
