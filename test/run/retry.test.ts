import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { renderTap } from '../../harness/report/tap.js';
import { bootWithRetries, mayRetry, setAttemptAside } from '../../harness/run/retry.js';
import { parseTap } from '../support/tap.js';
import { cell, mixedRun } from '../support/results.js';
import { tempTree } from '../support/temp-tree.js';

t.test('only an error of a booted, uninterrupted cell is retried', async (t) => {
  t.equal(mayRetry(cell({ id: 'a/q/legacy', verdict: 'error', status: 'unexpected' })), true, 'the VMM crashed: the host, not the kernel');
  t.equal(mayRetry(cell({ id: 'a/q/legacy', verdict: 'fail', status: 'unexpected' })), false, "a kernel's failure stands");
  t.equal(mayRetry(cell({ id: 'a/q/legacy', verdict: 'timeout', status: 'unexpected' })), false, "a hang is the kernel's too");
  t.equal(mayRetry(cell({ id: 'a/q/legacy', verdict: 'pass' })), false);
  t.equal(
    mayRetry(cell({ id: 'a/q/legacy', verdict: 'error', status: 'unexpected', console: null })),
    false,
    'never booted: its kernel did not build',
  );
  t.equal(
    mayRetry({ ...cell({ id: 'a/q/legacy', verdict: 'error', status: 'unexpected' }), interrupted: true }),
    false,
    'the run was stopped',
  );
});

t.test("an attempt's consoles are set aside for the next boot", async (t) => {
  const dir = tempTree({ 'cells/a/k/legacy/console.log': 'first boot\n', 'cells/a/k/legacy/guest-console.log': 'guest\n' });
  const record = {
    ...cell({
      id: 'a/k/legacy',
      verdict: 'error',
      status: 'unexpected',
      reasons: ['lkvm crashed'],
      console: 'cells/a/k/legacy/console.log',
    }),
    kvmtool: {
      mode: 'nested' as const,
      lkvm: { path: '/l', from: '--lkvm' as const },
      lkvmArgs: [],
      guestConsole: 'cells/a/k/legacy/guest-console.log',
    },
  };
  const attempt = setAttemptAside(dir, record, 1);
  t.same(attempt, { verdict: 'error', reasons: ['lkvm crashed'], console: 'cells/a/k/legacy/console.attempt1.log' });
  t.equal(readFileSync(join(dir, attempt.console!), 'utf8'), 'first boot\n');
  t.notOk(existsSync(join(dir, 'cells/a/k/legacy/console.log')), 'the next boot writes a fresh console.log');
  t.ok(existsSync(join(dir, 'cells/a/k/legacy/guest-console.attempt1.log')));
});

t.test('TAP shows the earlier attempts of a cell that passed on a retry', async (t) => {
  const results = mixedRun();
  results.cells[0]!.retried = [
    {
      verdict: 'error',
      reasons: ['the VMM exited with code 1 before the agent reported everything'],
      console: 'cells/x/console.attempt1.log',
    },
  ];
  const { asserts } = await parseTap(renderTap(results));
  t.equal(asserts[0]!.ok, true);
  t.match(asserts[0]!.diag, { retried: [{ verdict: 'error', console: 'cells/x/console.attempt1.log' }] });
});

t.test('bootWithRetries: boots again after an error up to the limit, never after a fail, never once stopped', async (t) => {
  const dir = tempTree({});
  const error = cell({ id: 'a/q/legacy', verdict: 'error', status: 'unexpected', reasons: ['VMM crashed'] });
  const pass = cell({ id: 'a/q/legacy' });
  const fail = cell({ id: 'a/q/legacy', verdict: 'fail', status: 'unexpected' });
  const sequence = (...records: (typeof pass)[]) => {
    let calls = 0;
    return { boot: async () => records[Math.min(calls++, records.length - 1)]!, calls: () => calls };
  };
  const options = { runDir: dir, stoppedBy: () => null };

  const flaky = sequence(error, pass);
  const retried: number[] = [];
  const got = await bootWithRetries(flaky.boot, { ...options, retries: 1, events: { cellRetried: (_r, n) => retried.push(n) } });
  t.equal(got.verdict, 'pass');
  t.same(
    got.retried?.map((a) => a.reasons),
    [['VMM crashed']],
  );
  t.same(retried, [1], 'the retry is announced');

  const broken = sequence(error);
  const last = await bootWithRetries(broken.boot, { ...options, retries: 2 });
  t.equal(broken.calls(), 3, 'the first boot and two retries');
  t.equal(last.verdict, 'error');
  t.equal(last.retried?.length, 2);

  const failing = sequence(fail, pass);
  t.equal((await bootWithRetries(failing.boot, { ...options, retries: 3 })).verdict, 'fail');
  t.equal(failing.calls(), 1, "a kernel's failure is not booted again");

  const none = sequence(error, pass);
  t.equal((await bootWithRetries(none.boot, { ...options, retries: 0 })).verdict, 'error');

  const stopped = sequence(error, pass);
  t.equal((await bootWithRetries(stopped.boot, { ...options, retries: 1, stoppedBy: () => 'SIGINT' })).verdict, 'error');
  t.equal(stopped.calls(), 1, 'a stopped run retries nothing');
});
