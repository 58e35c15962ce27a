import { Option } from '@commander-js/extra-typings';
import { DEFAULT_STORE, parseStoreTarget } from '../history/store-target.js';
import { DEFAULT_WINDOW, type WindowQuery } from '../history/window.js';
import { positiveInt } from './options.js';

/** The options every history command shares: which store, which matrix, how many runs. */
export function storeOption() {
  return new Option('--store <file|url>', 'the history: a SQLite file, or a postgres://USER@HOST:PORT/DATABASE a team shares')
    .default(parseStoreTarget(DEFAULT_STORE), DEFAULT_STORE)
    .argParser(parseStoreTarget);
}

export function nameOption() {
  return new Option(
    '--name <matrix>',
    "the matrix whose runs to look at (default: the newest run's; give it on a history several pipelines share)",
  );
}

export function lastOption() {
  return new Option('--last <n>', `how many of its newest runs (default ${DEFAULT_WINDOW})`).argParser(positiveInt).default(DEFAULT_WINDOW);
}

/** The window --name and --last ask for. */
export function windowQuery(opts: { name?: string; last: number }): WindowQuery {
  return { last: opts.last, ...(opts.name !== undefined ? { matrix: opts.name } : {}) };
}
