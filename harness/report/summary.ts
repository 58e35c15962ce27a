import { noVerdicts, type DeviceOutcome, type Verdict } from '../verdict/types.js';
import { hex } from '../verdict/virtio-ids.js';
import type { CellRecord, RunResults, RunSummary } from './types.js';

export function summarize(cells: readonly CellRecord[]): RunSummary {
  const byVerdict = noVerdicts();
  for (const cell of cells) byVerdict[cell.verdict]++;
  return {
    total: cells.length,
    asExpected: cells.filter((c) => c.status === 'as-expected').length,
    unexpected: cells.filter((c) => c.status === 'unexpected').length,
    skipped: cells.filter((c) => c.status === 'skipped').length,
    byVerdict,
  };
}

/**
 * Exit status of a run: 0 every cell as expected, 1 some cell not, 3 when
 * no cell could be booted at all (every cell skipped or stopped before its
 * VMM started: nothing was tested, which must not read as green).
 */
export function runExitCode(results: Pick<RunResults, 'cells'>): 0 | 1 | 3 {
  const booted = results.cells.some((c) => c.console !== null);
  if (!booted) return 3;
  return results.cells.some((c) => c.status === 'unexpected') ? 1 : 0;
}

/** One word per cell for the terminal grid; upper case when unexpected. */
export function cellMark(cell: Pick<CellRecord, 'verdict' | 'status' | 'expected'>): string {
  if (cell.status === 'skipped') return 'skip';
  // a fail as expected: the cell's own expectation, or the tests that failed were all expected to
  if (cell.status === 'as-expected') return cell.verdict === 'fail' ? 'fail (expected)' : cell.verdict;
  return `${cell.verdict.toUpperCase()} (expected ${cell.expected})`;
}

/**
 * The terminal summary: kernels as rows, VMM/transport as columns, then the
 * counts and the reasons of every cell that did not go as expected.
 */
export function renderSummary(results: RunResults, runDir: string): string {
  const kernels = [...new Set(results.cells.map((c) => c.kernel))];
  const columns = [...new Set(results.cells.map((c) => `${c.vmm}/${c.transport}`))];
  const rows = [['kernel', ...columns]];
  for (const kernel of kernels) {
    rows.push([
      kernel,
      ...columns.map((col) => {
        const cell = results.cells.find((c) => c.kernel === kernel && `${c.vmm}/${c.transport}` === col);
        return cell ? cellMark(cell) : '-';
      }),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) =>
    r
      .map((text, i) => text.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));

  const s = results.summary;
  const v = s.byVerdict;
  lines.push('', `${s.total} cells: ${s.asExpected} as expected, ${s.unexpected} not, ${s.skipped} skipped ` + `(${verdictCountsText(v)})`);
  for (const cell of results.cells.filter((c) => c.status === 'unexpected')) {
    lines.push(`not as expected: ${cell.id}: ${cell.verdict}, expected ${cell.expected}`);
    // a flaky cell's reasons are a line per boot: show them all
    for (const reason of cell.reasons.slice(0, Math.max(8, (cell.repeats?.length ?? 0) + 1))) lines.push(`  ${reason}`);
    if (cell.hint) lines.push(`  hint: ${cell.hint}`);
  }
  const barCells = results.cells.filter(
    (c) => c.devices.some((d) => d.bars.length > 0) && (c.vmmType === 'kvmtool' || c.devices.some((d) => d.problems.length > 0)),
  );
  if (barCells.length > 0)
    lines.push('device BARs (kvmtool cells and cells with failed devices; legacy devices decode through BAR0, an I/O BAR):');
  for (const cell of barCells) lines.push(`  ${cell.id}: ${cell.devices.map(deviceBar).join(', ')}`);
  if (results.interrupted) {
    const cut = results.cells.filter((c) => c.interrupted).length;
    lines.push(
      `interrupted by ${results.interrupted}: ${cut} cell${cut === 1 ? '' : 's'} did not finish (error, marked interrupted); the rest are as they ended`,
    );
  }
  for (const kernel of results.kernels.filter((k) => !k.ok)) {
    lines.push(`kernel ${kernel.id} not built (${kernel.stage}): ${kernel.message}`);
  }
  lines.push(`results: ${runDir}`);
  return `${lines.join('\n')}\n`;
}

/** "rng1 io 0x6200" from BAR0, or the first assigned BAR when BAR0 is empty (modern devices). */
function deviceBar(device: CellRecord['devices'][number]): string {
  const text = deviceBarText(device);
  if (!text) return `${device.name} no BAR`;
  return `${device.name} ${text}${device.problems.length > 0 ? ' (failed)' : ''}`;
}

/** "io 0x6200" for BAR0, "BAR4 mem 0x8000000" when BAR0 is empty (modern devices); null without BARs. */
export function deviceBarText(device: Pick<DeviceOutcome, 'bar0' | 'bars'>): string | null {
  const bar = device.bar0 ?? device.bars[0];
  return bar ? `${bar.index === 0 ? '' : `BAR${bar.index} `}${bar.kind} ${hex(bar.start)}` : null;
}

/** "pass 7, fail 1, error 0, timeout 0, skip 4", and flaky only when there is one (runs without repeats never have any). */
export function verdictCountsText(v: Record<Verdict, number>): string {
  return `pass ${v.pass}, fail ${v.fail}, error ${v.error}, timeout ${v.timeout}, skip ${v.skip}${v.flaky ? `, flaky ${v.flaky}` : ''}`;
}

/** ", after 2 retries" for a boot retried after errors; empty when it was not. */
export function retriesText(retried: readonly unknown[] | undefined): string {
  const n = retried?.length ?? 0;
  return n > 0 ? `, after ${n} retr${n === 1 ? 'y' : 'ies'}` : '';
}

/** "12.3 s" from milliseconds, as every report prints durations. */
export function secondsText(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
