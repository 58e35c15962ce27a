import t from 'tap';
import { plainEvents } from '../../harness/cli/event-lines.js';

t.test('plain progress: a line per stage, a heartbeat a minute, no control characters', async (t) => {
  const lines: string[] = [];
  let clock = 0;
  const events = plainEvents((l) => lines.push(l), 60_000, () => clock);
  events.kernel!({ kernelId: 'k', stage: 'build' });
  clock = 30_000;
  events.kernel!({ kernelId: 'k', stage: 'build', line: '  CC      init/main.o' });
  clock = 61_000;
  events.kernel!({ kernelId: 'k', stage: 'build', line: '  CC      kernel/fork.o' });
  events.kernel!({ kernelId: 'k', stage: 'build', line: '  CC      kernel/exit.o' });
  events.kernelDone!({ ok: false, kernelId: 'k', stage: 'build', message: 'the kernel build failed: make exited with code 2', logTail: ['error: x'], ended: 'failed', durationMs: 1, logPath: '/l/build.log' });
  t.same(lines, [
    'kernel k: building (make Image)',
    'kernel k: still building: CC      kernel/fork.o',
    'kernel k: FAILED at build: the kernel build failed: make exited with code 2',
    '  error: x',
    '  log: /l/build.log',
  ]);
  for (const line of lines) t.notMatch(line, /[\x00-\x1f\x7f]/);
});
