import type { HostFacts, VmmFacts } from '../report/types.js';

/** What a cell's night was made of, input by input: what a regression names when it changed. */
export interface CellInputs {
  kernel: string;
  patchSet: string;
  vmm: string;
  matrix: string;
  kvmatrix: string;
  kvmatrixCommit: string;
  host: string;
}

export const INPUT_NAMES: Record<keyof CellInputs, string> = {
  kernel: 'kernel source',
  patchSet: 'patch set',
  vmm: 'VMM',
  matrix: 'matrix',
  kvmatrix: 'kvmatrix',
  kvmatrixCommit: "kvmatrix's commit",
  host: 'host',
};

export interface InputChange {
  input: keyof CellInputs;
  before: string;
  after: string;
}

/** What the store has of a run, for a cell's inputs. */
export interface RunFacts {
  matrixDigest: string | null;
  kvmatrixVersion: string;
  kvmatrixCommit: string | null;
  host: HostFacts;
  mergedHosts: HostFacts[] | null;
  kernels: Map<string, { source: string | null; commit: string | null; patchsetHash: string | null }>;
}

const UNRECORDED = 'unrecorded';

/**
 * A cell's inputs in a run. An input the run did not record reads
 * `unrecorded`, which is never taken for a change of its own: two runs that
 * both lack it say nothing of it.
 */
export function cellInputs(run: RunFacts, cell: { kernel: string; vmm: string }): CellInputs {
  const kernel = run.kernels.get(cell.kernel);
  const source = kernel?.source ?? UNRECORDED;
  return {
    kernel: kernel?.commit && !source.includes(kernel.commit) ? `${source} (${kernel.commit})` : source,
    patchSet: kernel?.patchsetHash === '' ? 'none' : (kernel?.patchsetHash ?? UNRECORDED),
    vmm: vmmOf(run, cell.vmm),
    matrix: run.matrixDigest ?? UNRECORDED,
    kvmatrix: run.kvmatrixVersion,
    kvmatrixCommit: run.kvmatrixCommit ?? UNRECORDED,
    host: hostOf(run),
  };
}

function vmmOf(run: RunFacts, id: string): string {
  const facts: VmmFacts | undefined = [run.host, ...(run.mergedHosts ?? [])].flatMap((h) => h.vmms ?? []).find((v) => v.id === id);
  if (facts?.lkvm) return `lkvm sha256:${facts.lkvm.sha256.slice(0, 16)}${facts.lkvm.era ? ` (${facts.lkvm.era})` : ''}`;
  if (facts?.qemu) return `${facts.qemu.binary} ${facts.qemu.version ?? 'version unknown'}`;
  return UNRECORDED;
}

function hostOf(run: RunFacts): string {
  const names = [...new Set((run.mergedHosts ?? [run.host]).map((h) => h.name ?? UNRECORDED))];
  // a host whose name went unrecorded leaves the whole input unrecorded: never a change of its own
  return names.includes(UNRECORDED) ? UNRECORDED : names.join(', ');
}

/** The inputs that differ between two nights of a cell, in the order a reader checks them. */
export function inputChanges(before: CellInputs, after: CellInputs): InputChange[] {
  return (Object.keys(INPUT_NAMES) as (keyof CellInputs)[])
    .filter((input) => before[input] !== after[input] && before[input] !== UNRECORDED && after[input] !== UNRECORDED)
    .map((input) => ({ input, before: before[input], after: after[input] }));
}
