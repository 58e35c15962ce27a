import { createLogUpdate } from 'log-update';
import { sanitizeLine } from '../console/sanitize.js';
import type { KernelOutcome, KernelProgress } from '../kernel/types.js';
import type { Cell } from '../matrix/types.js';
import type { CellRecord } from '../report/types.js';
import type { RunEvents } from '../run/run-options.js';
import { bootText, type BootIndex } from '../run/repeat.js';
import { noVerdicts, type Verdict } from '../verdict/types.js';
import { plainEvents } from './event-lines.js';

/** What the live block shows: kernels being made, cells booting, verdicts so far. */
export interface LiveState {
  totalCells: number;
  kernels: Map<string, { stage: KernelProgress['stage']; since: number; lastLine?: string }>;
  running: Map<string, number>;
  done: Record<Verdict, number>;
}

export function emptyLiveState(totalCells: number): LiveState {
  return { totalCells, kernels: new Map(), running: new Map(), done: noVerdicts() };
}

/**
 * The block redrawn in place below the event lines: one line per kernel
 * being made (stage, elapsed, make's last line), one line of cell counts,
 * one per cell booting. Every line cut to the terminal's width, so a
 * redraw never wraps and leaves debris.
 */
export function renderLiveBlock(state: LiveState, now: number, columns: number): string {
  const lines: string[] = [];
  for (const [id, k] of state.kernels) {
    const stage = k.stage === 'build' ? 'make Image' : k.stage;
    lines.push(`kernel ${id}: ${stage} ${clock(now - k.since)}${k.lastLine ? `  ${k.lastLine.trim()}` : ''}`);
  }
  // `kvmatrix build` boots nothing: no cell line
  if (state.totalCells === 0) return lines.map((line) => cut(line, columns)).join('\n');
  const finished = Object.values(state.done).reduce((a, b) => a + b, 0);
  const counts = (Object.entries(state.done) as [Verdict, number][]).filter(([, n]) => n > 0).map(([v, n]) => `${v} ${n}`);
  lines.push(`cells: ${finished}/${state.totalCells} done${counts.length ? ` (${counts.join(', ')})` : ''}, ${state.running.size} booting`);
  for (const [id, since] of state.running) lines.push(`  ${id} ${clock(now - since)}`);
  return lines.map((line) => cut(line, columns)).join('\n');
}

function clock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function cut(line: string, columns: number): string {
  // escape sequences and control characters from make's output would move the cursor
  const clean = sanitizeLine(line);
  return clean.length > columns - 1 ? `${clean.slice(0, Math.max(0, columns - 2))}…` : clean;
}

function runningKey(cellId: string, boot?: BootIndex): string {
  return boot ? `${cellId} (${bootText(boot)})` : cellId;
}

export interface LiveProgress {
  events: RunEvents;
  /** Clears the block; what was persisted stays. Call before printing the summary. */
  stop(): void;
}

/**
 * Progress for a terminal: the plain event lines (kernel ready, cell
 * verdict) scroll as usual, and the live block sits under them, redrawn at
 * most ten times a second and once a second for the clocks.
 */
export function liveProgress(stream: NodeJS.WriteStream, totalCells: number, now: () => number = Date.now): LiveProgress {
  const update = createLogUpdate(stream);
  const state = emptyLiveState(totalCells);
  let lastDraw = 0;
  const draw = (force = false) => {
    if (!force && now() - lastDraw < 100) return;
    lastDraw = now();
    update(renderLiveBlock(state, now(), stream.columns ?? 80));
  };
  const timer = setInterval(() => draw(true), 1000);
  timer.unref();
  const lines = plainEvents((line) => {
    update.clear();
    stream.write(`${line}\n`);
    draw(true);
  }, Number.POSITIVE_INFINITY);

  const events: RunEvents = {
    step(what) {
      lines.step!(what);
    },
    kernel(progress) {
      if (progress.stage === 'done' || progress.stage === 'cached') {
        state.kernels.delete(progress.kernelId);
      } else {
        const known = state.kernels.get(progress.kernelId);
        if (!known || known.stage !== progress.stage) state.kernels.set(progress.kernelId, { stage: progress.stage, since: now() });
        const said = progress.line ?? progress.step;
        if (said !== undefined) state.kernels.get(progress.kernelId)!.lastLine = said;
      }
      if (progress.line === undefined) lines.kernel!(progress);
      else draw();
    },
    kernelDone(outcome: KernelOutcome) {
      state.kernels.delete(outcome.kernelId);
      lines.kernelDone!(outcome);
    },
    cellStarted(cell: Cell, boot?: BootIndex) {
      // a repeated cell's boots run side by side: a line each while it runs
      state.running.set(runningKey(cell.id, boot), now());
      draw(true);
    },
    cellBootDone(cell: Cell, boot: BootIndex) {
      state.running.delete(runningKey(cell.id, boot));
      draw(true);
    },
    cellRetried(record: CellRecord, attempt: number) {
      state.running.set(record.id, now());
      lines.cellRetried!(record, attempt);
    },
    cellDone(record: CellRecord) {
      // a repeated cell's boots each left the block as they ended (cellBootDone)
      state.running.delete(record.id);
      state.done[record.verdict]++;
      lines.cellDone!(record);
    },
  };
  return {
    events,
    stop() {
      clearInterval(timer);
      update.clear();
    },
  };
}
