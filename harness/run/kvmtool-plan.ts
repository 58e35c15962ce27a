import { InputError } from '../matrix/input-error.js';
import type { Cell, KvmtoolVmmSpec, Matrix } from '../matrix/types.js';
import type { LkvmEra } from '../matrix/types.js';
import { lkvmCellProblem } from '../vmm/kvmtool.js';
import { chooseLkvm, inspectLkvm, kvmtoolRunMode, type LkvmBinary } from '../vmm/lkvm.js';
import { resolveLkvmEra } from '../vmm/lkvm-era.js';

export type KvmtoolCell = Cell & { vmm: KvmtoolVmmSpec };

/** What the run does with one kvmtool cell. */
export type KvmtoolCellPlan =
  | { cell: KvmtoolCell; action: 'boot'; mode: 'native'; lkvm: LkvmBinary; era: LkvmEra }
  | { cell: KvmtoolCell; action: 'boot'; mode: 'nested'; lkvm: LkvmBinary; era: LkvmEra; hostKernel: string }
  | { cell: KvmtoolCell; action: 'skip' | 'error'; reason: string; hint?: string };

export interface KvmtoolHost {
  /** --lkvm, if given. */
  cliLkvm?: string;
  env: NodeJS.ProcessEnv;
  arch: string;
  kvmUsable: boolean;
}

/**
 * Decides, before anything is built or written, how each kvmtool cell will
 * run. No lkvm at all: the cells are skipped with the reason. An lkvm that
 * was given but is wrong (missing, not arm64, dynamic for a nested host, of
 * an era other than transport_flag says, or of no era it can tell) is bad
 * input: one InputError naming it and where it came from.
 */
export function planKvmtoolCells(matrix: Matrix, cells: readonly KvmtoolCell[], host: KvmtoolHost): KvmtoolCellPlan[] {
  const inspected = new Map<string, LkvmBinary>();
  return cells.map((cell): KvmtoolCellPlan => {
    const vmm = cell.vmm;
    // what no lkvm can do is said before asking for one
    const problem = lkvmCellProblem(cell, vmm.transportFlag === 'auto' ? 'virtio-transport' : vmm.transportFlag);
    if (problem) return { cell, action: 'skip', reason: problem };
    const choice = chooseLkvm(vmm, host.cliLkvm, host.env);
    if (!choice) {
      return {
        cell,
        action: 'skip',
        reason: `no lkvm given for ${vmm.id}: pass --lkvm PATH, set KVMATRIX_LKVM, or name lkvm: in the matrix's vmms.${vmm.id}`,
      };
    }
    const mode = kvmtoolRunMode(vmm.mode, host.arch, host.kvmUsable);
    if (typeof mode !== 'string') return { cell, action: 'error', reason: `vmms.${vmm.id}: ${mode.problem}` };
    const memo = `${choice.path}\0${mode}`;
    let lkvm = inspected.get(memo);
    if (!lkvm) {
      const checked = inspectLkvm(choice, mode === 'nested');
      if ('problem' in checked) {
        throw new InputError(
          `${checked.problem}`,
          choice.from === 'matrix' ? { file: matrix.file, keyPath: `vmms.${vmm.id}.lkvm` } : undefined,
        );
      }
      lkvm = checked;
      inspected.set(memo, lkvm);
    }
    const resolved = resolveLkvmEra(vmm.transportFlag, lkvm.era);
    if ('problem' in resolved) {
      // `boot --vmm kvmtool` makes an entry the matrix file does not have: no key of it to name
      const inFile = matrix.vmms.some((v) => v.id === vmm.id);
      const where = inFile ? '' : ` in a kvmtool entry of the matrix's vmms`;
      throw new InputError(`lkvm ${lkvm.path} (from ${lkvm.from}) ${resolved.problem}${where}`, {
        file: matrix.file,
        ...(inFile ? { keyPath: `vmms.${vmm.id}.transport_flag` } : {}),
      });
    }
    const { era } = resolved;
    const eraProblem = lkvmCellProblem(cell, era);
    if (eraProblem) return { cell, action: 'skip', reason: eraProblem };
    if (mode === 'native') return { cell, action: 'boot', mode, lkvm, era };
    if (!vmm.hostKernel) {
      return {
        cell,
        action: 'error',
        reason: `nested kvmtool needs a host kernel with KVM, and this matrix has no kernel named "patched"`,
        hint: `name one with host_kernel: in vmms.${vmm.id}`,
      };
    }
    return { cell, action: 'boot', mode, lkvm, era, hostKernel: vmm.hostKernel };
  });
}

/**
 * The same check alone, for a command that has more to check before it
 * runs: an lkvm that cannot work is refused first, before the slower
 * checks (a patch tried on the unpacked source) that it would otherwise wait for.
 */
export function refuseUnusableLkvm(matrix: Matrix, cells: readonly Cell[], host: KvmtoolHost): void {
  planKvmtoolCells(
    matrix,
    cells.filter((c): c is KvmtoolCell => c.vmm.type === 'kvmtool'),
    host,
  );
}
