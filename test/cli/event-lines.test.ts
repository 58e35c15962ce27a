import t from 'tap';
import { plainEvents } from '../../harness/cli/event-lines.js';
import { unpackProgress } from '../../harness/kernel/unpack-progress.js';

/** Plain events written to a list, a heartbeat a minute, on a clock the test moves. */
function plainLines(clock: { now: number }) {
  const lines: string[] = [];
  return {
    lines,
    events: plainEvents(
      (l) => lines.push(l),
      60_000,
      () => clock.now,
    ),
  };
}

t.test('plain progress: a line per stage, a heartbeat a minute, no control characters', async (t) => {
  const clock = { now: 0 };
  const { lines, events } = plainLines(clock);
  events.kernel!({ kernelId: 'k', stage: 'build' });
  clock.now = 30_000;
  events.kernel!({ kernelId: 'k', stage: 'build', line: '  CC      init/main.o' });
  clock.now = 61_000;
  events.kernel!({ kernelId: 'k', stage: 'build', line: '  CC      kernel/fork.o' });
  events.kernel!({ kernelId: 'k', stage: 'build', line: '  CC      kernel/exit.o' });
  events.kernelDone!({
    ok: false,
    kernelId: 'k',
    stage: 'build',
    message: 'the kernel build failed: make exited with code 2',
    logTail: ['error: x'],
    ended: 'failed',
    durationMs: 1,
    logPath: '/l/build.log',
  });
  t.same(lines, [
    'kernel k: building (make Image)',
    'kernel k: still building: CC      kernel/fork.o',
    'kernel k: FAILED at build: the kernel build failed: make exited with code 2',
    '  error: x',
    '  log: /l/build.log',
  ]);
  for (const line of lines) t.notMatch(line, /[\x00-\x1f\x7f]/);
});

t.test('unpacking the source: said when it starts, then how far it has come every ten seconds, not every minute', async (t) => {
  const clock = { now: 0 };
  const { lines, events } = plainLines(clock);
  const total = 1_361_950_720;
  events.step!('guest: building the agent and its initramfs (once, into the cache)');
  events.kernel!(unpackProgress('unpatched', '/usr/src/linux-source-6.1.tar.xz', { bytes: 0, total }));
  for (const [at, bytes] of [
    [5_000, 300 << 20],
    [10_500, 600 << 20],
    [15_000, 900 << 20],
    [21_000, 1200 << 20],
  ] as const) {
    clock.now = at;
    events.kernel!(unpackProgress('unpatched', '/usr/src/linux-source-6.1.tar.xz', { bytes, total }));
  }
  t.same(lines, [
    'guest: building the agent and its initramfs (once, into the cache)',
    'kernel unpatched: unpacking the source, linux-source-6.1.tar.xz (1,299 MiB); once, into the cache',
    'kernel unpatched: unpacking: 46% (600 of 1,299 MiB)',
    'kernel unpatched: unpacking: 92% (1,200 of 1,299 MiB)',
  ]);
  t.same(
    unpackProgress('k', '/src/linux.tar.gz', { bytes: 50 << 20, total: null }),
    { kernelId: 'k', stage: 'source', line: 'unpacking: (50 MiB)' },
    'no total: the size so far',
  );
});
