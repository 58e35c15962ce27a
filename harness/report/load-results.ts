import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { formatKeyPath, InputError } from '../matrix/input-error.js';
import { withCoveredFailures } from './covered-failures.js';
import { runResultsSchema } from './results-schema.js';
import type { RunResults } from './types.js';

export interface LoadedRun {
  results: RunResults;
  /** The run folder: paths inside results.json are relative to it. */
  runDir: string;
  file: string;
}

/**
 * A run read back from its folder (or its results.json). A file that is
 * not a kvmatrix results file is one InputError naming the file and the
 * key where it went wrong.
 */
export function loadRun(path: string): LoadedRun {
  let file = path;
  try {
    if (statSync(path).isDirectory()) file = join(path, 'results.json');
  } catch {
    throw new InputError('no such run folder or results file', { file: path });
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? 'no results.json here: is this a kvmatrix run folder?' : `cannot read: ${String(error)}`, {
      file,
    });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new InputError(`not JSON: ${(error as Error).message}`, { file });
  }
  const parsed = runResultsSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const keyPath = formatKeyPath(issue.path as PropertyKey[]);
    throw new InputError(issue.message, { file, ...(keyPath ? { keyPath } : {}) });
  }
  return { results: withCoveredFailures(parsed.data), runDir: dirname(file), file };
}
