import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { PatchSpec } from '../matrix/types.js';
import type { AppliedPatch } from '../report/types.js';
import { sha256 } from './keys.js';
import { reversedDiff } from './reversed-diff.js';

/** A kernel's patches as its record names them: each hashed as the diff it applies. */
export function appliedPatches(patches: readonly PatchSpec[]): AppliedPatch[] {
  return patches.map((patch) => {
    const text = readFileSync(patch.path);
    const applied = patch.direction === 'reverse' ? Buffer.from(reversedDiff(text.toString('utf8')), 'utf8') : text;
    return { file: basename(patch.path), direction: patch.direction, sha256: sha256(applied) };
  });
}
