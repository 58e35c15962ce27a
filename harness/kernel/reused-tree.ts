import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CacheLayout } from './cache.js';
import { gitOut, type ResolvedGitSource } from './git-source.js';
import { withLock } from './lock.js';

/** A source tree and its build folder. */
export interface TreeAndBuild {
  tree: string;
  buildDir: string;
}

export interface ReusedTreeOptions {
  /**
   * Whether the tree and build folder are still consistent after `work`
   * threw this error (a build that failed on its own is; one stopped
   * half-way is not, and the next use starts again from nothing).
   */
  consistentAfter: (error: unknown) => boolean;
  /**
   * Whether `work` may change the tree's files (patches applied). When it
   * does not, the tree is marked pristine and the next move skips looking
   * for changes to undo (about 0.5 s for a kernel tree).
   */
  writesTree: boolean;
  signal?: AbortSignal;
}

/**
 * Runs `work` in the reused tree named `key`: one export of a git tree and
 * one build folder per build recipe, kept in the cache and moved from
 * commit to commit by git itself, so that only the files that differ are
 * rewritten and make rebuilds only what they reach. A whole kernel build
 * here takes 3.5 minutes even when every compile is a ccache hit; a bisect
 * step that changes a few files takes seconds of make.
 *
 * The tree is held under a lock while `work` runs. A `busy` mark is left
 * while it may be inconsistent (git moving it, make running); a tree found
 * with the mark, or that git cannot move, is thrown away and exported
 * whole. A `pristine` mark says the last work changed no file of the tree.
 */
export async function withReusedTree<T>(
  layout: CacheLayout,
  key: string,
  source: ResolvedGitSource,
  work: (paths: TreeAndBuild) => Promise<T>,
  options: ReusedTreeOptions,
): Promise<T> {
  const signal = options.signal;
  const root = join(layout.trees, key);
  return withLock(layout, `tree-${key}`, async () => {
    const paths = { tree: join(root, 'src'), buildDir: join(root, 'build') };
    const busy = join(root, 'busy');
    const at = join(root, 'at');
    const pristine = join(root, 'pristine');
    const target = source.uncommittedTree ?? source.commit;
    const git = (args: string[]) =>
      gitOut(source.gitDir, [`--work-tree=${paths.tree}`, ...args], { signal, env: { GIT_INDEX_FILE: join(root, 'index') } });

    const previous = existsSync(busy) || !existsSync(at) ? null : readFileSync(at, 'utf8').trim();
    mkdirSync(root, { recursive: true });
    writeFileSync(busy, '');
    const moved =
      previous !== null &&
      (await moveTree(git, previous, target, existsSync(pristine)).then(
        () => true,
        () => false,
      ));
    if (!moved) {
      rmSync(paths.tree, { recursive: true, force: true });
      rmSync(paths.buildDir, { recursive: true, force: true });
      rmSync(join(root, 'index'), { force: true });
      mkdirSync(paths.tree, { recursive: true });
      await git(['read-tree', '-u', '--reset', target]);
    }
    if (options.writesTree) {
      rmSync(pristine, { force: true });
      // stat data in the index lets the next move see which files patches touched
      await git(['update-index', '-q', '--refresh']).catch(() => undefined);
    } else writeFileSync(pristine, '');
    writeFileSync(at, `${target}\n`);
    mkdirSync(paths.buildDir, { recursive: true });

    try {
      const value = await work(paths);
      rmSync(busy, { force: true });
      return value;
    } catch (error) {
      if (options.consistentAfter(error)) rmSync(busy, { force: true });
      throw error;
    }
  });
}

/**
 * Moves the tree from `from` to `to`: unless it is pristine, files the
 * last build's patches changed are restored and files they added removed;
 * then a two-tree read-tree rewrites only the files that differ between
 * the two.
 */
async function moveTree(git: (args: string[]) => Promise<string>, from: string, to: string, pristine: boolean): Promise<void> {
  if (!pristine) {
    const touched = (await git(['diff-files', '--name-only', '-z'])).split('\0').filter(Boolean);
    if (touched.length > 0) await git(['checkout-index', '-f', '--', ...touched]);
    await git(['clean', '-ffdxq']);
  }
  await git(['read-tree', '-m', '-u', from, to]);
}
