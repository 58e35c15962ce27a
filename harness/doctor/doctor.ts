import { existsSync } from 'node:fs';
import type { KvmtoolVmmSpec, LkvmEra, Matrix } from '../matrix/types.js';
import { chooseLkvm, inspectLkvm, kvmtoolRunMode, type LkvmChoice } from '../vmm/lkvm.js';
import { describeLkvmEra, resolveLkvmEra } from '../vmm/lkvm-era.js';
import type { KvmtoolHost } from '../run/kvmtool-plan.js';
import { toolVersion } from '../host/facts.js';
import { matrixRequirements, readPackageList, realHostProbe, type Requirement } from './requirements.js';

/** What `kvmatrix doctor` found; rendered by renderDoctor. */
export interface DoctorFacts {
  arch: string;
  kvm: 'usable' | 'present but not usable' | 'absent';
  qemu: { binary: string; version: string | null }[];
  kvmtool: KvmtoolFinding[];
  /** Tools and files the matrix needs: packages, kernel sources, compilers. */
  requirements: Requirement[];
}

export interface KvmtoolFinding {
  vmm: string;
  mode: 'native' | 'nested' | { problem: string };
  lkvm: LkvmChoice | null;
  /** null when the lkvm is fit for the mode (or none was given). */
  problem: string | null;
  /** The era its cells run in (the lkvm's, checked against transport_flag), when one is given and fit. */
  era?: LkvmEra;
  hostKernel: string | null;
}

/** The same host facts and lkvm rules a run uses, gathered for reporting instead of refusing. */
export async function gatherDoctorFacts(matrix: Matrix, host: KvmtoolHost): Promise<DoctorFacts> {
  const kvm = host.kvmUsable ? 'usable' : existsSync('/dev/kvm') ? 'present but not usable' : 'absent';
  const binaries = new Set(matrix.vmms.map((v) => (v.type === 'qemu' ? v.binary : v.qemuBinary)));
  const qemu = await Promise.all([...binaries].map(async (binary) => ({ binary, version: await toolVersion(binary) })));
  const kvmtool = matrix.vmms
    .filter((v): v is KvmtoolVmmSpec => v.type === 'kvmtool')
    .map((vmm): KvmtoolFinding => {
      const mode = kvmtoolRunMode(vmm.mode, host.arch, host.kvmUsable);
      const lkvm = chooseLkvm(vmm, host.cliLkvm, host.env);
      const checked = lkvm && typeof mode === 'string' ? inspectLkvm(lkvm, mode === 'nested') : null;
      const resolved = checked && !('problem' in checked) ? resolveLkvmEra(vmm.transportFlag, checked.era) : null;
      const problem =
        checked && 'problem' in checked
          ? checked.problem
          : resolved && 'problem' in resolved
            ? `lkvm ${checked!.path} (from ${checked!.from}) ${resolved.problem}`
            : null;
      return {
        vmm: vmm.id,
        mode,
        lkvm,
        problem,
        ...(resolved && 'era' in resolved ? { era: resolved.era } : {}),
        hostKernel: mode === 'nested' ? (vmm.hostKernel ?? null) : null,
      };
    });
  return { arch: host.arch, kvm, qemu, kvmtool, requirements: matrixRequirements(matrix, readPackageList(), realHostProbe) };
}

/** The report, and whether every kind of cell in the matrix can run here. */
export function renderDoctor(facts: DoctorFacts): { text: string; ok: boolean } {
  const lines: string[] = [];
  let ok = true;
  const arm64Kvm = facts.arch === 'arm64' && facts.kvm === 'usable';
  lines.push(
    `host: ${facts.arch}, /dev/kvm ${facts.kvm}${arm64Kvm ? ' (arm64 guests run under KVM)' : ' (arm64 guests run under TCG; kvmtool runs nested)'}`,
  );
  for (const q of facts.qemu) {
    if (q.version)
      lines.push(
        `qemu: ${q.binary}: ${q.version}; QEMU cells run with ${arm64Kvm ? 'KVM acceleration (-accel kvm -cpu host)' : 'TCG, emulated (-accel tcg)'}`,
      );
    else {
      ok = false;
      lines.push(`qemu: ${q.binary}: MISSING (apt-get install qemu-system-arm)`);
    }
  }
  for (const k of facts.kvmtool) {
    const head = `kvmtool ${k.vmm}:`;
    if (typeof k.mode !== 'string') {
      ok = false;
      lines.push(`${head} cannot run here: ${k.mode.problem}`);
      continue;
    }
    const where = k.mode === 'nested' ? `nested in QEMU, host kernel ${k.hostKernel ?? 'NONE (set host_kernel:)'}` : 'native';
    if (k.mode === 'nested' && !k.hostKernel) ok = false;
    if (!k.lkvm) {
      lines.push(
        `${head} ${where}; no lkvm given, its cells will be skipped (--lkvm PATH, KVMATRIX_LKVM, or lkvm: in the matrix; kvmtool's own README says how to build one)`,
      );
    } else if (k.problem) {
      ok = false;
      lines.push(`${head} ${where}; ${k.problem}`);
    } else {
      const era = k.era ? `, ${k.era} era: ${describeLkvmEra(k.era)}` : '';
      lines.push(`${head} ${where}; lkvm ${k.lkvm.path} (from ${k.lkvm.from}), arm64${k.mode === 'nested' ? ', static' : ''}${era}`);
    }
  }
  for (const r of facts.requirements) {
    if (r.found) lines.push(`found: ${r.what}: ${r.detail}`);
    else {
      if (r.required) ok = false;
      lines.push(`${r.required ? 'MISSING' : 'missing (optional)'}: ${r.what}: ${r.detail}; fix: ${r.fix}`);
    }
  }
  lines.push(ok ? 'ok: this matrix can run here' : 'not ok: see the lines above');
  return { text: `${lines.join('\n')}\n`, ok };
}
