import { companionNames } from '../kernel/test-inputs.js';
import { isBuildStage, type KernelOutcome, type KernelProgress, type KernelStage } from '../kernel/types.js';
import type { Cell } from '../matrix/types.js';
import type { CellRecord } from '../report/types.js';
import type { RunEvents } from '../run/run-options.js';
import { bootText, type BootIndex } from '../run/repeat.js';
import { cellMark, retriesText, secondsText } from '../report/summary.js';

/**
 * Plain, line-per-event progress: one line when a kernel stage starts or
 * ends and when a cell starts or ends. No control characters, so that CI
 * logs stay readable.
 */
export function plainEvents(write: (line: string) => void, heartbeatMs = 60_000, now: () => number = Date.now): RunEvents {
  const lastBeat = new Map<string, number>();
  return {
    step(what: string) {
      write(what);
    },
    kernel(progress: KernelProgress) {
      if (progress.step !== undefined) {
        write(`kernel ${progress.kernelId}: ${progress.step}`);
        lastBeat.set(progress.kernelId, now());
      } else if (progress.line === undefined && progress.stage !== 'done' && progress.stage !== 'cached') {
        write(`kernel ${progress.kernelId}: ${stageText(progress.stage)}`);
        lastBeat.set(progress.kernelId, now());
      } else if (progress.line !== undefined && progress.stage === 'source') {
        // an unpack or a download says how far it has come, six times as often as a build
        if (now() - (lastBeat.get(progress.kernelId) ?? 0) >= heartbeatMs / 6) {
          write(`kernel ${progress.kernelId}: ${progress.line.trim().slice(0, 120)}`);
          lastBeat.set(progress.kernelId, now());
        }
      } else if (progress.line !== undefined && now() - (lastBeat.get(progress.kernelId) ?? 0) >= heartbeatMs) {
        // a long build is not silent in a CI log: one line a minute, the latest make line
        write(`kernel ${progress.kernelId}: still building: ${progress.line.trim().slice(0, 120)}`);
        lastBeat.set(progress.kernelId, now());
      }
    },
    kernelDone(outcome: KernelOutcome) {
      if (outcome.ok) {
        const how = outcome.cached ? 'from the cache' : `built in ${secondsText(outcome.durationMs)}`;
        const companions = (outcome.companions ?? []).map(
          (c) => `; ${c.tests.length} ${companionNames(c.stage).built}, ${c.cached ? 'from the cache' : 'built'}`,
        );
        write(`kernel ${outcome.kernelId}: ready, ${how} (${outcome.image})${companions.join('')}`);
        for (const warning of outcome.warnings ?? []) write(`kernel ${outcome.kernelId}: warning: ${warning}`);
      } else {
        write(`kernel ${outcome.kernelId}: FAILED at ${outcome.stage}: ${outcome.message}`);
        for (const line of outcome.logTail.slice(0, 15)) write(`  ${line}`);
        if (outcome.logPath) write(`  log: ${outcome.logPath}`);
      }
    },
    cellStarted(cell: Cell, boot?: BootIndex) {
      write(`cell ${cell.id}: booting${boot ? ` (${bootText(boot)})` : ''}`);
    },
    cellRetried(record: CellRecord, attempt: number) {
      write(`cell ${record.id}: error, booting it again (retry ${attempt}): ${record.reasons[0] ?? 'no reason given'}`);
    },
    cellDone(record: CellRecord) {
      const time = record.timings.bootMs === null ? '' : ` in ${secondsText(record.timings.bootMs)}`;
      const boots = record.repeats?.length ? `, ${record.repeats.length} boots: ${record.repeats.map((r) => r.verdict).join(' ')}` : '';
      write(`cell ${record.id}: ${cellMark(record)}${boots ? '' : time}${retriesText(record.retried)}${boots}`);
    },
  };
}

function stageText(stage: KernelStage): string {
  if (!isBuildStage(stage)) return `building the ${companionNames(stage).built}`;
  switch (stage) {
    case 'source':
      return 'preparing the source tree';
    case 'patch':
      return 'applying patches';
    case 'config':
      return 'configuring';
    case 'build':
    case 'toolchain':
      return 'building (make Image)';
  }
}
