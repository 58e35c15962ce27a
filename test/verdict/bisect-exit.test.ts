import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { bisectDecision, BISECT_EXIT } from '../../harness/verdict/bisect-exit.js';
import type { KernelStage } from '../../harness/kernel/types.js';
import type { Verdict } from '../../harness/verdict/types.js';
import { tempTree } from '../support/temp-tree.js';

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
  const expected: Record<KernelStage, number> = { build: 125, config: 125, patch: 125, kselftest: 125, source: 128, toolchain: 128 };
  for (const [stage, code] of Object.entries(expected)) {
    t.equal(bisectDecision({ kind: 'kernel-failed', stage: stage as KernelStage, ended: 'failed' }).code, code, stage);
    for (const ended of ['timed-out', 'interrupted'] as const) {
      const d = bisectDecision({ kind: 'kernel-failed', stage: stage as KernelStage, ended });
      t.equal(d.code, BISECT_EXIT.abort, `${stage} ${ended} aborts: a slow or stopped build says nothing of the commit`);
    }
  }
});

/** What git itself makes of a `git bisect run` step that exits `code`: the mark it logs, or that it stopped. */
function gitReads(code: number): string {
  const dir = tempTree({}, 'kvmatrix-bisect-codes-');
  const git = (...args: string[]) =>
    spawnSync('git', ['-C', dir, ...args], {
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'k',
        GIT_AUTHOR_EMAIL: 'k@example.org',
        GIT_COMMITTER_NAME: 'k',
        GIT_COMMITTER_EMAIL: 'k@example.org',
      },
    });
  git('init', '-q');
  for (let i = 0; i < 4; i++) {
    writeFileSync(join(dir, 'f'), `${i}\n`);
    git('add', 'f');
    git('commit', '-qm', `c${i}`);
  }
  git('bisect', 'start', 'HEAD', 'HEAD~3');
  const run = git('bisect', 'run', 'sh', '-c', `exit ${code}`);
  const marks = [...git('bisect', 'log').stdout.matchAll(/^# (good|bad|skip): /gm)].map((m) => m[1]!);
  // the first two marks are the ones `bisect start` was given
  const step = marks.slice(2);
  if (run.status !== 0 && step.length === 0) return 'stopped';
  return step[0] ?? 'nothing';
}

t.test('git bisect run reads each exit code as the mark it stands for', async (t) => {
  t.equal(gitReads(BISECT_EXIT.good), 'good');
  t.equal(gitReads(BISECT_EXIT.bad), 'bad');
  t.equal(gitReads(BISECT_EXIT.skip), 'skip');
  t.equal(gitReads(BISECT_EXIT.abort), 'stopped', 'harness trouble stops the bisect, no commit blamed');
  t.equal(gitReads(BISECT_EXIT.usage), 'stopped', 'bad usage stops the bisect, no commit blamed');
});
