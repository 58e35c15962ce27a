import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';

import { gitOut } from './git-source.js';
import { pathsPatchTouches } from './patch-paths.js';
import { writeFileAtomic } from '../host/atomic-file.js';

/**
 * Whether a change to this file of a kernel tree (a path relative to its
 * top) can change what the config stage (`make <base>`, merge_config.sh,
 * `make olddefconfig`) produces. Kconfig reads Kconfig* files, the kconfig
 * program and its helper scripts under scripts/, the Makefiles (the
 * version in the .config's header, the arch's defconfig name), the
 * defconfigs and config fragments (a selftest target's `config` among
 * them, merged for kselftests), and the scripts its `$(shell,...)`
 * probes run. Its compiler probes compile snippets without the tree's
 * headers on arm64, and the compiler itself is in the recipe, so a source
 * or header file cannot change the result.
 */
export function configMayRead(path: string): boolean {
  const name = basename(path);
  return (
    /^(Kconfig|Makefile|Kbuild)/.test(name) ||
    path.startsWith('scripts/') ||
    /(^|\/)configs\//.test(path) ||
    /^arch\/[^/]+\/tools\//.test(path) ||
    name.endsWith('.config') ||
    (name === 'config' && path.startsWith('tools/testing/selftests/')) ||
    name.endsWith('.sh')
  );
}

/**
 * Whether applying this patch can change the final .config: it touches a
 * file the config stage reads, or which files it touches cannot be told.
 * A kernel's other patches are left out of its config key, so that a
 * kernel and the same kernel with a fix to a header share one config
 * stage.
 */
export function patchMayChangeConfig(patchText: string): boolean {
  const paths = pathsPatchTouches(patchText);
  return paths === null || paths.some(configMayRead);
}

/** The last configuration the config stage produced for a reused tree. */
export interface ConfiguredMark {
  /** The commit or tree object the tree held. */
  treeish: string;
  /** configRecipeKey: every config input but the source. */
  recipe: string;
  /** The cache's final .config for those inputs. */
  config: string;
}

/**
 * Remembers the last configuration of a reused tree, one per recipe: one
 * tree serves every matrix of its repository, and a matrix with another
 * recipe (a kunitconfig, kselftest targets) must not make the next step of
 * another forget its own.
 */
export function markConfigured(markFile: string, mark: ConfiguredMark): void {
  mkdirSync(dirname(markFile), { recursive: true });
  const marks = readMarks(markFile);
  marks[mark.recipe] = { treeish: mark.treeish, config: mark.config };
  writeFileAtomic(markFile, `${JSON.stringify({ marks })}\n`);
}

/** recipe -> its mark; a file of the one-mark form written before is read as that one. */
function readMarks(markFile: string): Record<string, Partial<Omit<ConfiguredMark, 'recipe'>>> {
  try {
    const parsed = JSON.parse(readFileSync(markFile, 'utf8')) as { marks?: unknown } & Partial<ConfiguredMark>;
    if (parsed.marks && typeof parsed.marks === 'object') return parsed.marks as Record<string, Partial<ConfiguredMark>>;
    if (typeof parsed.recipe === 'string') return { [parsed.recipe]: { treeish: parsed.treeish, config: parsed.config } };
  } catch {
    // no mark, or not one to trust: the stage runs
  }
  return {};
}

/**
 * The mark of the last commit configured in this reused tree with the
 * same recipe, when it is valid for `treeish` too: no file the config
 * stage reads differs between the two. Null otherwise, or when the mark
 * or its config is gone or unreadable (the stage then runs).
 */
export async function configOfEarlierCommit(
  markFile: string,
  gitDir: string,
  treeish: string,
  recipe: string,
  signal?: AbortSignal,
): Promise<ConfiguredMark | null> {
  const mark = readMarks(markFile)[recipe];
  if (!mark || typeof mark.treeish !== 'string' || typeof mark.config !== 'string') return null;
  if (!existsSync(mark.config)) return null;
  const earlier = { treeish: mark.treeish, recipe, config: mark.config };
  if (mark.treeish === treeish) return earlier;
  const changed = await gitOut(gitDir, ['diff-tree', '-r', '--no-renames', '--name-only', '-z', mark.treeish, treeish], { signal }).catch(
    () => null,
  );
  if (changed === null) return null;
  return changed.split('\0').some((path) => path !== '' && configMayRead(path)) ? null : earlier;
}
