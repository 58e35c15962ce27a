import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';

import { InputError } from '../matrix/input-error.js';
import { pathInside } from './run-artifacts.js';
import { renderHtml } from '../report/html.js';
import { renderJunit } from '../report/junit.js';
import { renderTap } from '../report/tap.js';
import type { KcidbOptions } from '../report/kcidb.js';
import type { RunResults } from '../report/types.js';
import { writeFileAtomic } from '../host/atomic-file.js';

/** The run's reports, each written whole or not at all; results.json first, as the others derive from it. */
export function writeReports(results: RunResults, runDir: string): void {
  writeFileAtomic(join(runDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeRenderedReports(results, runDir);
}

/** The reports rendered from results.json: TAP, JUnit and the HTML grid. */
export function writeRenderedReports(results: RunResults, runDir: string): void {
  // everything read and rendered before the first write: a refusal leaves the folder as it was
  const html = renderHtml(results, readCellConsoles(results, runDir));
  const tap = renderTap(results);
  const junit = renderJunit(results);
  writeFileAtomic(join(runDir, 'report.tap'), tap);
  writeFileAtomic(join(runDir, 'junit.xml'), junit);
  writeFileAtomic(join(runDir, 'index.html'), html);
}

/** The run as a KCIDB submission, written whole or not at all. */
export async function writeKcidb(results: RunResults, file: string, options: KcidbOptions): Promise<void> {
  const { renderKcidb } = await import('../report/kcidb.js');
  writeFileAtomic(file, renderKcidb(results, options));
}

/**
 * Each booted cell's console log from the run folder. A log that is gone
 * (an archived run trimmed by hand) is left out: the page shows its tail
 * from results.json instead. A log whose path leads out of the folder (a
 * symbolic link: results.json's own paths are checked when it is read) is
 * refused: the page would show a file of this machine that is no run's.
 */
export function readCellConsoles(results: RunResults, runDir: string): Map<string, string> {
  const consoles = new Map<string, string>();
  const root = realpathSync(runDir);
  results.cells.forEach((cell, index) => {
    if (cell.console === null) return;
    let real: string;
    try {
      real = realpathSync(join(runDir, cell.console));
    } catch {
      return; // missing: the tail stands in
    }
    if (!pathInside(root, real)) {
      throw new InputError(`${cell.console} leads out of the run folder (to ${real}): refused`, {
        file: join(runDir, 'results.json'),
        keyPath: `cells[${index}].console`,
      });
    }
    try {
      consoles.set(cell.id, readFileSync(real, 'utf8'));
    } catch {
      // unreadable: the tail stands in
    }
  });
  return consoles;
}
