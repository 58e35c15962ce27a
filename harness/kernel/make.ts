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
    ...(options.ccache ? [`CC=ccache ${spec.crossCompile}gcc`] : []),
    'KBUILD_BUILD_USER=kvmatrix',
    'KBUILD_BUILD_HOST=kvmatrix',
    `-j${options.jobs}`,
    ...targets,
  ];
}
