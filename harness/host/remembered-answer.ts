import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

import { findOnPath } from './find-on-path.js';
import { writeFileAtomic } from './atomic-file.js';

/**
 * The identity of the files behind some commands: each one's real path,
 * size, mtime and inode. An upgrade replaces a file and changes it. Null
 * when a command is not found (no process is started to look).
 */
export function commandFilesIdentity(commands: string[]): string | null {
  const parts: string[] = [];
  for (const command of commands) {
    const file = locate(command);
    if (file === null) return null;
    const real = realpathSync(file);
    const st = statSync(real);
    parts.push(`${real}\0${st.size}\0${st.mtimeMs}\0${st.ino}`);
  }
  return parts.join('\0');
}

/**
 * What `ask` answers (a tool's version), remembered in `dir` under `kind`
 * and the identity of the tool's files, so that a command that finds
 * everything in the cache starts no process to ask it again. A null
 * answer (the tool does not run) is not remembered.
 */
export async function rememberedAnswer(
  dir: string,
  kind: string,
  identity: string,
  ask: () => Promise<string | null>,
): Promise<string | null> {
  const memo = join(dir, `${kind}-${createHash('sha256').update(identity).digest('hex').slice(0, 32)}`);
  if (existsSync(memo)) {
    const answer = readFileSync(memo, 'utf8').trim();
    if (answer.length > 0) return answer;
  }
  const answer = await ask();
  if (answer !== null) writeFileAtomic(memo, `${answer}\n`);
  return answer;
}

/** A command as the shell would find it: a path when it names a folder, else on PATH. */
function locate(command: string): string | null {
  if (!command.includes('/')) return findOnPath(command);
  try {
    return statSync(command).isFile() ? command : null;
  } catch {
    return null;
  }
}
