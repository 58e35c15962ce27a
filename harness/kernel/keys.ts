import { createHash } from 'node:crypto';
import type { PatchDirection } from '../matrix/types.js';

/**
 * Cache keys. A key is a hash of everything that can change the bytes of
 * what it names, and of nothing else, so that equal inputs share an entry.
 * Bump KEY_VERSION when the build recipe itself changes.
 */
export const KEY_VERSION = 1;

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export interface PatchIdentity {
  sha256: string;
  direction: PatchDirection;
}

export interface ConfigInputs {
  source: string;
  /** The patches that may change the final .config (see patchMayChangeConfig), in order. */
  patches: PatchIdentity[];
  arch: string;
  crossCompile: string;
  base: string;
  /** sha256 of each fragment's bytes, in merge order. */
  fragments: string[];
  toolchain: string;
  /** What the tests add, hashed after the fragments: the kselftest targets whose `config` files the source holds, say. */
  [testInput: string]: unknown;
}

/** Names the final .config that these inputs produce. */
export function configInputsKey(inputs: ConfigInputs): string {
  return sha256(JSON.stringify({ v: KEY_VERSION, what: 'config', ...inputs }));
}

/**
 * Names every config input but the source: two commits of one tree with
 * the same recipe configure alike when nothing Kconfig reads differs.
 */
export function configRecipeKey(inputs: Omit<ConfigInputs, 'source'>): string {
  return sha256(JSON.stringify({ v: KEY_VERSION, what: 'config-recipe', ...inputs }));
}

export interface BuildInputs {
  source: string;
  patches: PatchIdentity[];
  arch: string;
  crossCompile: string;
  /** sha256 of the final .config. */
  config: string;
  toolchain: string;
  target: string;
}

/** Names a built kernel. */
export function buildKey(inputs: BuildInputs): string {
  return sha256(JSON.stringify({ v: KEY_VERSION, what: 'kernel', ...inputs }));
}

export interface ReusedTreeInputs {
  /** The git directory the tree is exported from. */
  gitDir: string;
  arch: string;
  crossCompile: string;
  base: string;
  fragments: string[];
}

/** Names a reused tree: one per git repository and build recipe, whatever the commit. */
export function reusedTreeKey(inputs: ReusedTreeInputs): string {
  return sha256(JSON.stringify({ v: KEY_VERSION, what: 'tree', ...inputs }));
}

/** Short form for folder names and reports. */
export function shortKey(key: string): string {
  return key.slice(0, 16);
}
