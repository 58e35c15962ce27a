/** A kernel ready to boot. */
export interface BuiltKernel {
  kernelId: string;
  /** Cache key: hash of source, patches, final .config and toolchain. */
  key: string;
  image: string;
  config: string | null;
  buildLog: string | null;
  /** True when it came from the cache and no make ran in this run. */
  cached: boolean;
  /** Milliseconds this run spent obtaining it (deciding, or building). */
  durationMs: number;
}

export type KernelStage = 'source' | 'toolchain' | 'patch' | 'config' | 'build';

export interface KernelFailure {
  kernelId: string;
  stage: KernelStage;
  message: string;
  hint?: string;
  logPath?: string;
  logTail: string[];
  durationMs: number;
}

export type KernelOutcome = ({ ok: true } & BuiltKernel) | ({ ok: false } & KernelFailure);

/** Progress from a build, for the terminal. */
export interface KernelProgress {
  kernelId: string;
  stage: KernelStage | 'cached' | 'done';
  line?: string;
}
