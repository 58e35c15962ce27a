import { median } from './median.js';

/** What one soak run came to. */
export interface SoakRun {
  ms: number;
  exit: number;
  cells: number;
  unexpected: { id: string; verdict: string; reason: string }[];
  /** The run's slowest booted cell: how close it came to its boot timeout. */
  slowest: { id: string; bootMs: number; timeoutSec: number } | null;
}

/**
 * The soak's closing table: each cell that went against the matrix in any
 * run, with the runs it did so in and its verdicts there, then the run
 * times (median and longest).
 */
export function renderSoakTable(runs: readonly SoakRun[]): string {
  const byCell = new Map<string, { run: number; verdict: string }[]>();
  runs.forEach((r, i) => {
    for (const u of r.unexpected) byCell.set(u.id, [...(byCell.get(u.id) ?? []), { run: i + 1, verdict: u.verdict }]);
  });
  const total = [...byCell.values()].reduce((sum, list) => sum + list.length, 0);
  const lines = [`unexpected cells: ${total} in ${runs.length} runs`];
  if (byCell.size > 0) {
    const width = Math.max(4, ...[...byCell.keys()].map((id) => id.length));
    lines.push(`${'cell'.padEnd(width)}  runs  where (run: verdict)`);
    for (const [id, list] of byCell) {
      lines.push(`${id.padEnd(width)}  ${String(list.length).padStart(4)}  ${list.map((l) => `${l.run}: ${l.verdict}`).join(', ')}`);
    }
  }
  const times = runs.map((r) => r.ms);
  const slow = runs.map((r, i) => ({ run: i + 1, cell: r.slowest })).filter((x) => x.cell !== null);
  const worst = slow.sort((a, b) => b.cell!.bootMs - a.cell!.bootMs)[0];
  if (worst) {
    const c = worst.cell!;
    lines.push(`slowest boot: ${(c.bootMs / 1000).toFixed(2)} s, ${c.id} in run ${worst.run} (its timeout ${c.timeoutSec} s)`);
  }
  lines.push(
    `run time: median ${(median(times) / 1000).toFixed(2)} s, max ${(Math.max(...times) / 1000).toFixed(2)} s, min ${(Math.min(...times) / 1000).toFixed(2)} s (n=${runs.length})`,
  );
  return lines.join('\n');
}
