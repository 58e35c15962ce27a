import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

/**
 * The commit a git checkout's HEAD names, read from its git folder (no
 * process: a run pays nothing for it), or null when `root` is no checkout
 * or its HEAD cannot be read. Uncommitted changes are not told.
 */
export function checkoutCommit(root: string): string | null {
  try {
    const gitDir = gitFolder(root);
    if (!gitDir) return null;
    const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim();
    if (/^[0-9a-f]{40}$/.test(head)) return head;
    const ref = /^ref: (refs\/\S+)$/.exec(head)?.[1];
    if (!ref) return null;
    // a worktree keeps its refs in the common git folder
    const common = existsSync(join(gitDir, 'commondir')) ? join(gitDir, readFileSync(join(gitDir, 'commondir'), 'utf8').trim()) : gitDir;
    for (const dir of [gitDir, common]) {
      const loose = join(dir, ref);
      if (existsSync(loose)) return /^[0-9a-f]{40}/.exec(readFileSync(loose, 'utf8'))?.[0] ?? null;
    }
    const packed = join(common, 'packed-refs');
    if (!existsSync(packed)) return null;
    const line = readFileSync(packed, 'utf8')
      .split('\n')
      .find((l) => l.endsWith(` ${ref}`));
    return line ? (/^[0-9a-f]{40}/.exec(line)?.[0] ?? null) : null;
  } catch {
    return null;
  }
}

/** `.git` as a folder, or the folder a `.git` file (a worktree's) points to. */
function gitFolder(root: string): string | null {
  const dotGit = join(root, '.git');
  if (!existsSync(dotGit)) return null;
  if (statSync(dotGit).isDirectory()) return dotGit;
  const pointed = /^gitdir: (.+)$/m.exec(readFileSync(dotGit, 'utf8'))?.[1]?.trim();
  if (!pointed) return null;
  return isAbsolute(pointed) ? pointed : join(root, pointed);
}
