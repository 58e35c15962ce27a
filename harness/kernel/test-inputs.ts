/**
 * What a kernel's tests ask of its build, as plain data: the test kinds
 * (test-kinds/) fill it in and the build knows no kind. Fragments are
 * merged after the definition's and are part of the config's cache key;
 * a companion is built after the kernel from the same tree (a kind's
 * userspace programs) and fails the kernel at its own stage.
 */
import type { KernelSpec } from '../matrix/types.js';
import type { CacheLayout } from './cache.js';
import type { PatchIdentity } from './keys.js';
import type { TreeAndBuild } from './reused-tree.js';

/** Config lines a kind merges, written as a file of the build folder. */
export interface TestFragment {
  /** Where the lines were written (a file, or the matrix that lists them): names them in the cache key's errors. */
  file: string;
  text: string;
  /** The file name it is merged from, in the build folder. */
  buildFile: string;
  /** The same lines as the config check reports them: at their own line numbers in `file`. */
  check: { file: string; text: string }[];
  /** How the config check names them when it asks for them: `the …`. */
  askedBy: string;
  /** Where the user adds a missing dependency, beside `fragment`. */
  fixIn: string;
}

/** Fragments the source itself holds, read after the base config: a tree that lacks what is asked throws a StageError. */
export interface TreeFragments {
  askedBy: string;
  read(tree: string): { file: string; text: string }[];
}

/** The tree a companion is built in: the kernel's source with the kernel's patches, and what names them. */
export interface KernelTree {
  spec: KernelSpec;
  /** The source's identity, as the kernel's cache key has it. */
  id: string;
  patches: PatchIdentity[];
  toolchain: string;
  inTree<T>(logPath: string, work: (paths: TreeAndBuild) => Promise<T>): Promise<T>;
}

export interface CompanionContext {
  layout: CacheLayout;
  jobs: number;
  /** Its own build log, in the kernel's folder of the run. */
  logPath: string;
  timeoutSec: number;
  signal?: AbortSignal;
  /** Called when it is not in the cache and its build starts. */
  onBuild?: () => void;
  onLine?: (line: string) => void;
}

/** Work after the kernel; `stage` names it in progress and failures, and (see companionNames) in results. */
export interface CompanionWork {
  stage: string;
  obtain(tree: KernelTree, ctx: CompanionContext): Promise<KernelCompanion>;
}

/** What a companion built: a layer the kernel's guests unpack, the tests it holds, from the cache or built. */
export interface KernelCompanion {
  stage: string;
  key: string;
  /** A gzip'd cpio. */
  layer: string;
  buildLog: string;
  cached: boolean;
  /** Its tests, as the kind that built it reads them back. */
  tests: readonly unknown[];
}

export interface KernelTestInputs {
  fragments: TestFragment[];
  treeFragments: TreeFragments[];
  /** More inputs of the config's cache key, hashed after the fragments (the targets whose configs the source holds). */
  keyInputs: Record<string, unknown>;
  companions: CompanionWork[];
}

export const NO_TEST_INPUTS: KernelTestInputs = { fragments: [], treeFragments: [], keyInputs: {}, companions: [] };

/**
 * A companion's names, all from its stage (`kselftest`): what it builds
 * (`kselftests`), its files in the cache and the run folder, and its
 * fields in results.json.
 */
export function companionNames(stage: string): { built: string; layerFile: string; logFile: string; logField: string } {
  return { built: `${stage}s`, layerFile: `${stage}s.cpio.gz`, logFile: `${stage}-build.log`, logField: `${stage}BuildLog` };
}
