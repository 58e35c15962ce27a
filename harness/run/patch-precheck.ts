import { tmpdir } from 'node:os';
import { ensureCacheDirs, type CacheLayout } from '../kernel/cache.js';
import { patchesThatDoNotApply } from '../kernel/build.js';
import type { KernelProgress } from '../kernel/types.js';
import { InputError } from '../matrix/input-error.js';
import type { Cell, Matrix } from '../matrix/types.js';
import { kernelTestInputs } from '../test-kinds/registry.js';

export interface PrecheckOptions {
  layout: CacheLayout;
  ccache: boolean;
  buildJobs: number;
  buildTimeoutSec: number;
  signal?: AbortSignal;
  /** What the check does, as a kernel's progress: unpacking a source tarball takes a while. */
  onProgress?: (progress: KernelProgress) => void;
}

/**
 * A patch that does not apply is a mistake in the matrix, not a verdict:
 * refused before anything is built or written, with one InputError naming
 * the kernel, the patch and the matrix. (bisect-run does not come here: to
 * it, a commit its patch does not fit is a commit to skip.) A check cut
 * short by the signal refuses nothing: the run goes on to record the stop.
 */
export async function refusePatchesThatDoNotApply(matrix: Matrix, cells: readonly Cell[], options: PrecheckOptions): Promise<void> {
  const needed = new Set(cells.flatMap((c) => [c.kernel.id, ...(c.vmm.type === 'kvmtool' && c.vmm.hostKernel ? [c.vmm.hostKernel] : [])]));
  const kernels = matrix.kernels.filter((k) => needed.has(k.id) && k.patches.length > 0);
  if (kernels.length === 0) return;
  ensureCacheDirs(options.layout);
  for (const kernel of kernels) {
    const refused = await patchesThatDoNotApply(
      kernel,
      {
        layout: options.layout,
        jobs: options.buildJobs,
        ccache: options.ccache,
        logDir: tmpdir(),
        timeoutSec: options.buildTimeoutSec,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      },
      kernelTestInputs(kernel),
    );
    if (options.signal?.aborted) return;
    if (refused) {
      throw new InputError(`${refused.message}; fix the patch or its direction, or take it out of the kernel`, {
        file: matrix.file,
        keyPath: `kernels.${kernel.id}.patches`,
      });
    }
  }
}
