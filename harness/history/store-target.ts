import { InputError } from '../matrix/input-error.js';

/** Where a history lives: one SQLite file, or a PostgreSQL database a team's pipelines share. */
export type StoreTarget = { engine: 'sqlite'; file: string } | { engine: 'postgres'; url: string };

/** The store a history command uses without `--store`: beside the runs it records. */
export const DEFAULT_STORE = 'results/history.sqlite';

/** `--store FILE|postgres://…`: a URL with the postgres scheme is a server, anything else a file. */
export function parseStoreTarget(value: string): StoreTarget {
  if (/^postgres(ql)?:\/\//i.test(value)) {
    try {
      new URL(value);
    } catch {
      throw new InputError(`not a PostgreSQL URL (postgres://USER@HOST:PORT/DATABASE): ${redactedUrl(value)}`, { file: '--store' });
    }
    return { engine: 'postgres', url: value };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    throw new InputError(`a history is a file or a postgres:// URL, not ${value.slice(0, value.indexOf(':'))}://`, { file: '--store' });
  }
  if (value === '') throw new InputError('an empty path', { file: '--store' });
  return { engine: 'sqlite', file: value };
}

/** How a store is named in messages: a URL without its password. */
export function describeStore(target: StoreTarget): string {
  return target.engine === 'sqlite' ? target.file : redactedUrl(target.url);
}

function redactedUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return value.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
  }
}
