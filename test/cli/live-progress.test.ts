import { PassThrough } from 'node:stream';
import t from 'tap';
import { emptyLiveState, liveProgress, renderLiveBlock } from '../../harness/cli/live-progress.js';
import { wantsLiveProgress } from '../../harness/cli/progress-mode.js';
import type { Cell } from '../../harness/matrix/types.js';
import { cell } from '../support/results.js';

t.test('the block: kernels with stage, clock and make line; counts; cells booting with their clocks', async (t) => {
  const state = emptyLiveState(12);
  state.kernels.set('unpatched', { stage: 'build', since: 0, lastLine: '  CC      drivers/virtio/virtio_pci_legacy.o' });
  state.running.set('patched/qemu-flat/legacy', 55_000);
  state.done.pass = 3;
  state.done.fail = 1;
  t.equal(
    renderLiveBlock(state, 83_000, 200),
    [
      'kernel unpatched: make Image 1:23  CC      drivers/virtio/virtio_pci_legacy.o',
      'cells: 4/12 done (pass 3, fail 1), 1 booting',
      '  patched/qemu-flat/legacy 0:28',
    ].join('\n'),
  );
});

t.test('the block never wraps and carries no control character from make', async (t) => {
  const state = emptyLiveState(1);
  state.kernels.set('k', { stage: 'build', since: 0, lastLine: `\x1b[31m${'x'.repeat(300)}\r` });
  const block = renderLiveBlock(state, 0, 40);
  for (const line of block.split('\n')) {
    t.ok(line.length <= 39, `${line.length} columns`);
    t.notMatch(line, /[\x00-\x1f\x7f]/, 'no control character');
  }
});

t.test('live only on a terminal outside CI', async (t) => {
  t.equal(wantsLiveProgress({ isTTY: true }, {}), true);
  t.equal(wantsLiveProgress({ isTTY: true }, { CI: 'true' }), false);
  t.equal(wantsLiveProgress({ isTTY: true }, { CI: '1' }), false);
  t.equal(wantsLiveProgress({ isTTY: true }, { CI: 'false' }), true);
  t.equal(wantsLiveProgress({ isTTY: false }, {}), false);
  t.equal(wantsLiveProgress({}, {}), false);
  t.equal(wantsLiveProgress({ isTTY: true, rows: 0 }, {}), false, 'a terminal without rows');
  t.equal(wantsLiveProgress({ isTTY: true, rows: 40 }, {}), true);
});

t.test('on a terminal: event lines scroll above the block, the block is redrawn, stop clears it', async (t) => {
  const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 100, rows: 30 }) as unknown as NodeJS.WriteStream;
  let out = '';
  (stream as unknown as PassThrough).on('data', (chunk: Buffer) => (out += chunk.toString()));
  let clock = 0;
  const live = liveProgress(stream, 2, () => clock);
  const one = cell({ id: 'patched/qemu-flat/legacy' });
  live.events.kernel!({ kernelId: 'patched', stage: 'build' });
  clock = 5000;
  live.events.kernel!({ kernelId: 'patched', stage: 'build', line: '  CC      init/main.o' });
  live.events.kernelDone!({ ok: true, kernelId: 'patched', cached: false, durationMs: 5000, image: '/c/Image' } as never);
  live.events.cellStarted!({ id: one.id } as Cell);
  clock = 7000;
  live.events.cellDone!(one);
  live.stop();
  t.match(out, 'kernel patched: building (make Image)\n');
  t.match(out, 'kernel patched: make Image 0:05  CC      init/main.o', 'the block shows the make line');
  t.match(out, 'kernel patched: ready, built in 5.0 s (/c/Image)\n');
  t.match(out, '  patched/qemu-flat/legacy 0:00', 'the booting cell with its clock');
  t.match(out, `cell ${one.id}: pass in 1.2 s\n`);
  t.match(out, 'cells: 1/2 done (pass 1), 0 booting');
  t.equal(out.split('cell patched/qemu-flat/legacy: pass').length, 2, 'each event line once');
  t.match(out, /\x1b\[/, 'a terminal gets cursor control');
});

t.test('a repeated cell shows a line per running boot, and none once it is done', async (t) => {
  const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 100, rows: 30 }) as unknown as NodeJS.WriteStream;
  let out = '';
  (stream as unknown as PassThrough).on('data', (chunk: Buffer) => (out += chunk.toString()));
  const live = liveProgress(stream, 1, () => 0);
  const id = 'patched/qemu-flat/legacy';
  live.events.cellStarted!({ id } as Cell, { index: 1, of: 2 });
  live.events.cellStarted!({ id } as Cell, { index: 2, of: 2 });
  t.match(out, `  ${id} (boot 1 of 2) 0:00\n  ${id} (boot 2 of 2) 0:00`);
  t.match(out, '2 booting', 'two boots counted');
  out = '';
  live.events.cellBootDone!({ id } as Cell, { index: 1, of: 2 });
  t.match(out, `cells: 0/1 done, 1 booting\n  ${id} (boot 2 of 2) 0:00`, 'a finished boot leaves the block');
  // run-matrix reports each boot's end before the cell's
  live.events.cellBootDone!({ id } as Cell, { index: 2, of: 2 });
  out = '';
  live.events.cellDone!(cell({ id }));
  live.stop();
  t.match(out, 'cells: 1/1 done (pass 1), 0 booting', 'both boot lines gone with the cell');
});
