import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { writeFileAtomic } from '../host/atomic-file.js';

/**
 * Matrix and kernel files as validated by an earlier run. Parsing a file's
 * YAML and checking it against its schema is most of what the CLI does
 * before it spawns a cell's VMM (the first parse of a process is slow, and
 * the schema must be built first). The same text checked by the same build
 * of kvmatrix gives the same data, so the data is kept under a digest of
 * the build, the kind of file and its text: an edited file, or another
 * build, is parsed and checked again. Only what passed is kept; a file with
 * a mistake is read again each time, to report it.
 *
 * Like the bin's kept code, this only ever saves time: a file that cannot
 * be read, written or parsed back counts as not kept.
 */
export interface ValidatedMemo {
  /** Where the kept data lives (the cache's parsed/). */
  dir: string;
  /** The code that checks: changing it must change this (bundle-identity.ts). */
  build: string;
}

/** Files kept per folder: the recent edits of a few matrices across a few builds. */
const KEEP = 64;

function keptPath(memo: ValidatedMemo, kind: string, text: string): string {
  const digest = createHash('sha256').update(`${memo.build}\0${kind}\0${text}`).digest('hex');
  return join(memo.dir, `${kind}-${digest.slice(0, 32)}.json`);
}

/** The data an earlier run validated from this text, or undefined. */
export function recallValidated(memo: ValidatedMemo, kind: string, text: string): unknown {
  try {
    return JSON.parse(readFileSync(keptPath(memo, kind, text), 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Keeps what `text` validated to, unless it would not read back the same
 * (JSON has no undefined, Infinity or class instances): such data is
 * validated again in every run instead.
 */
export function rememberValidated(memo: ValidatedMemo, kind: string, text: string, data: unknown): void {
  const json = JSON.stringify(data);
  if (json === undefined || !isDeepStrictEqual(JSON.parse(json), data)) return;
  try {
    mkdirSync(memo.dir, { recursive: true });
    writeFileAtomic(keptPath(memo, kind, text), json);
    pruneKept(memo.dir);
  } catch {
    // a full or read-only cache: the next run validates again
  }
}

function pruneKept(dir: string): void {
  const kept = readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .map((name) => ({ path: join(dir, name), mtime: statSync(join(dir, name), { throwIfNoEntry: false })?.mtimeMs ?? 0 }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const old of kept.slice(KEEP)) rmSync(old.path, { force: true });
}
