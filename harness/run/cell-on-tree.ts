import type { Cell, KernelSpec, Matrix } from '../matrix/types.js';

export interface TreeKernel {
  /** Absolute path of the top of a local git tree. */
  tree: string;
  ref: string;
  uncommitted: 'include' | 'ignore';
  /** Apply the cell kernel's patches to the tree too. */
  withPatches: boolean;
}

/**
 * The cell with its kernel built from a git tree instead: the same config,
 * arch and toolchain, no patches unless asked. The cell keeps its id; a
 * nested kvmtool host that was the same kernel keeps the matrix's
 * definition under an id of its own, so that the tree is only the guest.
 * Expected to pass: a bisect step asks pass or fail, not what the matrix
 * expects.
 */
export function cellOnTree(matrix: Matrix, cell: Cell, on: TreeKernel): { matrix: Matrix; cell: Cell } {
  const kernel: KernelSpec = {
    ...cell.kernel,
    description: `${on.tree} at ${on.ref}${on.withPatches ? ' with the kernel’s patches' : ''}`,
    source: { kind: 'git', tree: on.tree, remote: false, ref: on.ref, uncommitted: on.uncommitted },
    patches: on.withPatches ? cell.kernel.patches : [],
  };
  const kernels = matrix.kernels.filter((k) => k.id !== kernel.id);
  let vmm = cell.vmm;
  if (vmm.type === 'kvmtool' && vmm.hostKernel === kernel.id) {
    let hostId = `${kernel.id}-host`;
    while (matrix.kernels.some((k) => k.id === hostId)) hostId += '-';
    kernels.push({ ...cell.kernel, id: hostId });
    vmm = { ...vmm, hostKernel: hostId };
  }
  kernels.push(kernel);
  return {
    matrix: { ...matrix, kernels, vmms: matrix.vmms.map((v) => (v.id === vmm.id ? vmm : v)) },
    cell: { ...cell, kernel, vmm, expect: { verdict: 'pass', why: 'a bisect step: the commit is good when the cell passes' } },
  };
}
