import type { KernelSpec } from './types.js';

/**
 * The kernel as its definition has it, without what its cells' tests put
 * on it (load.ts gives it a kunitconfig and kselftest targets): for a
 * build that runs none of them, a nested kvmtool host. Null when the tests
 * put nothing on it.
 */
export function kernelWithoutTests(spec: KernelSpec): KernelSpec | null {
  const { kunitconfig, kselftestTargets, ...definition } = spec;
  return kunitconfig || kselftestTargets ? definition : null;
}
