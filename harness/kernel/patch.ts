import { basename, dirname } from 'node:path';
import { runCommand, succeeded, type CommandResult } from '../host/command.js';
import type { PatchSpec } from '../matrix/types.js';

export class PatchError extends Error {
  override readonly name = 'PatchError';
}

/**
 * Applies patches in order with `git apply`, each checked first so that a
 * patch that does not apply leaves the tree as it was. git apply replaces
 * a file rather than writing through it, which keeps a hard-linked tree's
 * shared source intact.
 */
export async function applyPatches(
  tree: string,
  patches: readonly PatchSpec[],
  kernelId: string,
  logPath: string,
  signal?: AbortSignal,
): Promise<void> {
  for (const patch of patches) {
    for (const check of [true, false]) {
      const result = await gitApply(tree, patch, check, logPath, signal);
      if (!succeeded(result)) {
        const why = result.spawnError ?? (result.tail.find((l) => l.startsWith('error:')) ?? result.tail.join(' ')).trim();
        const how = patch.direction === 'reverse' ? 'in reverse' : 'forward';
        throw new PatchError(`patch ${basename(patch.path)} does not apply ${how} to kernel ${kernelId}: ${why}`);
      }
    }
  }
}

/**
 * Whether a kernel's one patch applies to `tree`, checked by `git apply
 * --check`, which writes nothing, so the tree may be a shared, read-only
 * one (an extracted source). Null for several patches: git checks each
 * against the tree as it is, not after the ones before it, so they need a
 * copy to be applied to in turn (applyPatches). False when it does not
 * apply: applyPatches on a copy then says why.
 */
export async function patchesApplyInPlace(
  tree: string,
  patches: readonly PatchSpec[],
  logPath: string,
  signal?: AbortSignal,
): Promise<boolean | null> {
  const [patch] = patches;
  if (patches.length !== 1 || !patch) return null;
  return succeeded(await gitApply(tree, patch, true, logPath, signal));
}

/** `git apply [--check] [-R] -p1 <patch>` in `tree`. */
function gitApply(tree: string, patch: PatchSpec, check: boolean, logPath: string, signal?: AbortSignal): Promise<CommandResult> {
  const argv = ['git', 'apply', ...(check ? ['--check'] : []), ...(patch.direction === 'reverse' ? ['-R'] : []), '-p1', patch.path];
  // stop git from finding an enclosing repository and patching relative to it
  const env = { GIT_CEILING_DIRECTORIES: dirname(tree) };
  return runCommand(argv, { cwd: tree, env, logPath, tailLines: 8, ...(signal ? { signal } : {}) });
}
