import { existsSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { writeFileAtomic } from '../host/atomic-file.js';
import { renderHistoryHtml } from './history-html.js';
import type { HistoryView } from './label-window.js';

/** `history --html DIR`: the page, written whole, linking the runs whose own page is still where it was added from. */
export function writeHistoryPage(view: HistoryView, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const links = new Map<string, string>();
  for (const run of view.runs) {
    const page = join(run.folder, 'index.html');
    if (existsSync(page)) links.set(run.runId, relative(dir, page));
  }
  const file = join(dir, 'index.html');
  writeFileAtomic(file, renderHistoryHtml(view, links));
  return file;
}
