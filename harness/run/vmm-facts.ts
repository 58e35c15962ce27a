import type { LkvmEra } from '../matrix/types.js';
import type { VmmFacts } from '../report/types.js';
import type { LkvmBinary } from '../vmm/lkvm.js';

/** A VMM entry as one of the run's boots uses it: the QEMU it starts (a nested kvmtool entry's host), its lkvm. */
export interface VmmUse {
  id: string;
  type: 'qemu' | 'kvmtool';
  qemu: string | null;
  lkvm: LkvmBinary | null;
  era: LkvmEra | null;
}

/** Each VMM entry the run boots, once, in the order of its boots: what ran its cells, and the versions they said. */
export function vmmFacts(uses: readonly VmmUse[], versions: ReadonlyMap<string, string | null>): VmmFacts[] {
  const seen = new Map<string, VmmFacts>();
  for (const use of uses) {
    if (seen.has(use.id)) continue;
    seen.set(use.id, {
      id: use.id,
      type: use.type,
      ...(use.qemu ? { qemu: { binary: use.qemu, version: versions.get(use.qemu) ?? null } } : {}),
      ...(use.lkvm ? { lkvm: { path: use.lkvm.path, sha256: use.lkvm.sha256, era: use.era } } : {}),
    });
  }
  return [...seen.values()];
}
