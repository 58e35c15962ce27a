import type { KernelCompanion } from './test-inputs.js';
import type { PatchDirection } from '../matrix/types.js';

/** A kernel ready to boot. */
export interface BuiltKernel {
  kernelId: string;
  /** Cache key: hash of source, patches, final .config and toolchain. */
  key: string;
  /** What the source was: `tarball:sha256:…`, `git:<commit>[+uncommitted:<tree>]`, `image:sha256:…`. */
  source: string;
  /** The commit a git source resolved to. */
  commit?: KernelCommit;
  image: string;
  config: string | null;
  buildLog: string | null;
  /** True when it came from the cache and no make ran in this run. */
  cached: boolean;
  /** Milliseconds this run spent obtaining it (deciding, or building). */
  durationMs: number;
  /** The compiler and linker it was built with, as their --version says (absent for an Image given as is). */
  toolchain?: string;
  /** What its tests built from the same source and patches after it (test-inputs.ts). */
  companions?: KernelCompanion[];
  /** What its .config keeps from being seen: a kernel whose WARN_ON() prints nothing. */
  warnings?: string[];
}

export interface KernelCommit {
  id: string;
  subject: string;
  /** Uncommitted changes of the tree were built too. */
  uncommitted: boolean;
  /** The https URL it was fetched from, when the tree is one. */
  repository?: string;
}

/** The build's own stages, then a companion's (test-inputs.ts), named by the kind that builds it. */
export type KernelStage = KernelBuildStage | CompanionStage;
export const KERNEL_BUILD_STAGES = ['source', 'toolchain', 'patch', 'config', 'build'] as const;
export type KernelBuildStage = (typeof KERNEL_BUILD_STAGES)[number];
export type CompanionStage = string;

/** Whether a stage is the build's own, not a companion's. */
export function isBuildStage(stage: KernelStage): stage is KernelBuildStage {
  return (KERNEL_BUILD_STAGES as readonly string[]).includes(stage);
}

export interface KernelFailure {
  kernelId: string;
  /** What the source was, as a built kernel's `source` names it, when it got that far. */
  source?: string;
  /** The commit a git source resolved to, when it got that far. */
  commit?: KernelCommit;
  stage: KernelStage;
  message: string;
  hint?: string;
  logPath?: string;
  /** What to show of the log: the compiler's first errors, then its last lines; at most 15. */
  logTail: string[];
  /** How the stage's last command ended: a failure of the kernel's own, or out of time, or stopped. */
  ended: 'failed' | 'timed-out' | 'interrupted';
  durationMs: number;
}

export type KernelOutcome = ({ ok: true } & BuiltKernel) | ({ ok: false } & KernelFailure);

/** Progress from a build, for the terminal. */
export interface KernelProgress {
  kernelId: string;
  stage: KernelStage | 'cached' | 'done';
  /** A step within the stage that starts now (unpacking the source): said at once. */
  step?: string;
  /** How the stage goes (make's latest line, how much is unpacked): said now and then. */
  line?: string;
}

export interface AppliedPatch {
  /** The patch file's name. */
  file: string;
  direction: PatchDirection;
  /** sha256 of the diff as applied: a reverse-applied patch's diff turned around. */
  sha256: string;
  /** That diff, kept in the run folder (relative to it). */
  path?: string;
}
