import type { KernelSpec } from '../matrix/types.js';

export interface MakeOptions {
  buildDir: string;
  jobs: number;
  ccache: boolean;
}

/**
 * `make` argv for the kernel's out-of-tree build. Build user and host are
 * fixed so that two builds of the same tree differ only where the kernel
 * embeds a time, which lets ccache share everything else.
 */
export function makeArgv(spec: Pick<KernelSpec, 'arch' | 'crossCompile'>, options: MakeOptions, targets: string[]): string[] {
  return [
    'make',
    `ARCH=${spec.arch}`,
    `CROSS_COMPILE=${spec.crossCompile}`,
    `O=${options.buildDir}`,
    // the host programs too (fixdep, conf, dtc, modpost: some 40 compiles a build): the kernel with a
    // patch then takes them from the one without it, as it does every object the patch leaves alone
    ...(options.ccache ? [`CC=ccache ${spec.crossCompile}gcc`, 'HOSTCC=ccache gcc'] : []),
    'KBUILD_BUILD_USER=kvmatrix',
    'KBUILD_BUILD_HOST=kvmatrix',
    `-j${options.jobs}`,
    ...targets,
  ];
}

/**
 * ccache settings for a build in `work`. Every build has its own staging
 * path: rewritten relative to it (and not hashed), hits are shared between
 * builds. Depend mode: on a miss, ccache's default preprocessor mode runs
 * the preprocessor once more for the hash, which made a cold kernel build
 * 47% slower here (mm/ and kernel/sched/: 63.6 s against 43.2 s bare);
 * depend mode takes the hash from the compiler's own -MMD output instead
 * (47.4 s), and its hits are as good.
 */
export function ccacheEnv(work: string): Record<string, string> {
  return { CCACHE_BASEDIR: work, CCACHE_NOHASHDIR: 'true', CCACHE_DEPEND: 'true' };
}
