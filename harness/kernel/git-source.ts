import { copyFileSync, existsSync, mkdirSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { GitKernelSource } from '../matrix/types.js';
import { publishDir, stagingDir, type CacheLayout } from './cache.js';
import { sha256, shortKey } from './keys.js';
import { withLock } from './lock.js';

/** A git source pinned to one commit (and, when asked, the uncommitted state of a local tree). */
export interface ResolvedGitSource {
  /** The git directory objects are read from: the local tree's, or a mirror in the cache. */
  gitDir: string;
  commit: string;
  subject: string;
  /**
   * Tree id of the working tree's content (tracked changes and untracked,
   * not ignored, files) when `uncommitted: include` found it dirty.
   */
  uncommittedTree: string | null;
  /** Part of the cache key: `git:<commit>`, plus `+uncommitted:<tree>` when dirty. */
  id: string;
}

/** A git problem the user can fix (no such tree, no such ref): the kernel's source stage fails with it. */
export class GitSourceError extends Error {
  override readonly name = 'GitSourceError';
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

const fullCommitId = /^[0-9a-f]{40}$/;

/**
 * Pins a git source: resolves its ref to a commit (fetching into a cache
 * mirror for a URL) and, with `uncommitted: include`, records the local
 * tree's working state as a tree object. The user's index, HEAD and files
 * are never written; the working state's new blobs go into the tree's
 * object store, as `git stash` would put them.
 */
/** Where others can fetch a git source's commits from, as KCIDB names a repository: an https URL only. */
export function publicRepositoryUrl(source: GitKernelSource): string | undefined {
  return source.remote && /^https:\/\/[^\0]+$/.test(source.tree) ? source.tree : undefined;
}

export async function resolveGitSource(layout: CacheLayout, source: GitKernelSource, signal?: AbortSignal): Promise<ResolvedGitSource> {
  const gitDir = source.remote ? await mirrorOf(layout, source, signal) : await localGitDir(source.tree, signal);
  const ref = source.remote && !fullCommitId.test(source.ref) ? 'FETCH_HEAD' : source.ref;
  const commit = await gitOut(gitDir, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { signal }).catch(() => '');
  if (!fullCommitId.test(commit)) {
    throw new GitSourceError(`ref "${source.ref}" is not a commit in ${source.tree}`, `git -C ${source.tree} log -1 ${source.ref}`);
  }
  const subject = await gitOut(gitDir, ['log', '-1', '--format=%s', commit], { signal });
  let uncommittedTree: string | null = null;
  if (source.uncommitted === 'include') {
    const working = await workingTreeId(source.tree, gitDir, layout, signal);
    const committed = await gitOut(gitDir, ['rev-parse', `${commit}^{tree}`], { signal });
    if (working !== committed) uncommittedTree = working;
  }
  return {
    gitDir,
    commit,
    subject,
    uncommittedTree,
    id: `git:${commit}${uncommittedTree ? `+uncommitted:${uncommittedTree}` : ''}`,
  };
}

async function localGitDir(tree: string, signal?: AbortSignal): Promise<string> {
  if (!existsSync(tree)) throw new GitSourceError(`git tree ${tree} does not exist`);
  const [top, gitDir] = await gitOut(tree, ['rev-parse', '--show-toplevel', '--absolute-git-dir'], { signal, cwd: tree })
    .then((out) => out.split('\n'))
    .catch(() => []);
  if (!top || !gitDir) {
    throw new GitSourceError(`${tree} is not a git repository`, 'give the top of a kernel git tree, or a URL git can clone');
  }
  // a folder inside some other repository must not be taken for that repository
  if (realpathSync(top) !== realpathSync(tree)) {
    throw new GitSourceError(`${tree} is not the top of a git tree (it lies inside ${top})`);
  }
  return gitDir;
}

/**
 * A bare mirror of a remote tree under the cache, cloned once and fetched
 * for each ref that is not a full commit id already present.
 */
async function mirrorOf(layout: CacheLayout, source: GitKernelSource, signal?: AbortSignal): Promise<string> {
  const mirror = join(layout.git, shortKey(sha256(source.tree)));
  return withLock(layout, `git-${shortKey(sha256(source.tree))}`, async () => {
    if (!existsSync(join(mirror, 'HEAD'))) {
      const staged = stagingDir(layout, 'git-mirror');
      await gitOut(null, ['clone', '--bare', '--quiet', '--', source.tree, join(staged, 'repo')], { signal }).catch((error: Error) => {
        rmSync(staged, { recursive: true, force: true });
        throw new GitSourceError(`cannot clone ${source.tree}: ${error.message}`);
      });
      publishDir(join(staged, 'repo'), mirror);
      rmSync(staged, { recursive: true, force: true });
    }
    if (fullCommitId.test(source.ref)) {
      const known = await gitOut(mirror, ['cat-file', '-e', `${source.ref}^{commit}`], { signal }).then(
        () => true,
        () => false,
      );
      if (known) return mirror;
    }
    await gitOut(mirror, ['fetch', '--quiet', '--force', '--', source.tree, source.ref], { signal }).catch((error: Error) => {
      throw new GitSourceError(`cannot fetch ${source.ref} from ${source.tree}: ${error.message}`);
    });
    return mirror;
  });
}

/**
 * The tree id of a local tree's working state: its index copied to a
 * private file, every change and untracked file added there, written as a
 * tree. Equal content gives an equal id, so it keys the cache.
 */
async function workingTreeId(tree: string, gitDir: string, layout: CacheLayout, signal?: AbortSignal): Promise<string> {
  const scratch = stagingDir(layout, 'git-index');
  const index = join(scratch, 'index');
  try {
    const own = join(gitDir, 'index');
    // the copy keeps the index's stat data, so unchanged files are not read again
    if (existsSync(own)) copyFileSync(own, index);
    else mkdirSync(scratch, { recursive: true });
    const env = { GIT_INDEX_FILE: index };
    await gitOut(tree, ['add', '--all', '--', '.'], { signal, env, cwd: tree });
    return await gitOut(tree, ['write-tree'], { signal, env, cwd: tree });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export interface GitCall {
  signal?: AbortSignal | undefined;
  env?: Record<string, string>;
  cwd?: string;
}

/** A git command that failed; the message is its last line of stderr. */
export class GitCommandError extends Error {
  override readonly name = 'GitCommandError';
}

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

const unsetGitLocation = { GIT_DIR: undefined, GIT_WORK_TREE: undefined, GIT_INDEX_FILE: undefined, GIT_COMMON_DIR: undefined };

/** Runs git on `gitDir` (a git directory, or a work tree with `cwd`); never throws for git's own exit code. */
export async function gitRun(gitDir: string | null, args: string[], call: GitCall = {}): Promise<GitResult> {
  const argv = call.cwd || gitDir === null ? args : [`--git-dir=${gitDir}`, ...args];
  const result = await execa('git', argv, {
    ...(call.cwd ? { cwd: call.cwd } : {}),
    // a GIT_DIR or GIT_INDEX_FILE set around kvmatrix (a git hook, a script) must not redirect these calls
    env: { ...unsetGitLocation, GIT_TERMINAL_PROMPT: '0', ...call.env },
    ...(call.signal ? { cancelSignal: call.signal } : {}),
    stdin: 'ignore',
    reject: false,
  });
  if (result.exitCode === undefined) throw new GitCommandError(result.shortMessage);
  return { code: result.exitCode, stdout: String(result.stdout).trim(), stderr: String(result.stderr).trim() };
}

/** Like gitRun, returning stdout; a non-zero exit throws with git's last line of stderr. */
export async function gitOut(gitDir: string | null, args: string[], call: GitCall = {}): Promise<string> {
  const result = await gitRun(gitDir, args, call);
  if (result.code !== 0) throw new GitCommandError(result.stderr.split('\n').pop() || `git ${args[0]} exited with ${result.code}`);
  return result.stdout;
}
