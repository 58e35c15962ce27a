import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../kernel/cache.js';
import { renderHtml } from '../report/html.js';
import { renderJunit } from '../report/junit.js';
import { renderTap } from '../report/tap.js';
import type { KcidbOptions } from '../report/kcidb.js';
import type { RunResults } from '../report/types.js';

/** The run's reports, each written whole or not at all; results.json first, as the others derive from it. */
export function writeReports(results: RunResults, runDir: string): void {
  writeFileAtomic(join(runDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeRenderedReports(results, runDir);
}

/** The reports rendered from results.json: TAP, JUnit and the HTML grid. */
export function writeRenderedReports(results: RunResults, runDir: string): void {
  writeFileAtomic(join(runDir, 'report.tap'), renderTap(results));
  writeFileAtomic(join(runDir, 'junit.xml'), renderJunit(results));
  writeFileAtomic(join(runDir, 'index.html'), renderHtml(results, readCellConsoles(results, runDir)));
}

/** The run as a KCIDB submission, written whole or not at all. */
export async function writeKcidb(results: RunResults, file: string, options: KcidbOptions): Promise<void> {
  const { renderKcidb } = await import('../report/kcidb.js');
  writeFileAtomic(file, renderKcidb(results, options));
}

/**
 * Each booted cell's console log from the run folder. A log that is gone
 * (an archived run trimmed by hand) is left out: the page shows its tail
 * from results.json instead.
 */
export function readCellConsoles(results: RunResults, runDir: string): Map<string, string> {
  const consoles = new Map<string, string>();
  for (const cell of results.cells) {
    if (cell.console === null) continue;
    try {
      consoles.set(cell.id, readFileSync(join(runDir, cell.console), 'utf8'));
    } catch {
      // missing: the tail stands in
    }
  }
  return consoles;
}
