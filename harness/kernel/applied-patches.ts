import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { PatchSpec } from '../matrix/types.js';
import type { AppliedPatch } from './types.js';
import { sha256 } from './keys.js';
import { reversedDiff } from './reversed-diff.js';

/** A patch as it was applied: the diff itself, a reverse-applied one turned around. */
export interface AppliedPatchText extends AppliedPatch {
  text: Buffer;
}

/** A kernel's patches with the diffs they apply, in order. */
export function appliedPatchTexts(patches: readonly PatchSpec[]): AppliedPatchText[] {
  return patches.map((patch) => {
    const raw = readFileSync(patch.path);
    const text = patch.direction === 'reverse' ? Buffer.from(reversedDiff(raw.toString('utf8')), 'utf8') : raw;
    return { file: basename(patch.path), direction: patch.direction, sha256: sha256(text), text };
  });
}

/** A kernel's patches as its record names them: each hashed as the diff it applies. */
export function appliedPatches(patches: readonly PatchSpec[]): AppliedPatch[] {
  return appliedPatchTexts(patches).map(({ text: _text, ...patch }) => patch);
}
