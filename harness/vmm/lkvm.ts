import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { KvmtoolMode, KvmtoolVmmSpec, LkvmEra } from '../matrix/types.js';
import { lkvmBinaryProblem, readElfFacts } from '../host/elf.js';
import { lkvmEraOf } from './lkvm-era.js';

/** Where the lkvm of a kvmtool VMM entry came from, for messages. */
export type LkvmOrigin = 'matrix' | '--lkvm' | 'KVMATRIX_LKVM';

export interface LkvmChoice {
  path: string;
  from: LkvmOrigin;
}

export interface LkvmBinary extends LkvmChoice {
  sha256: string;
  /** The era its option strings show (vmm/lkvm-era.ts), or null. */
  era: LkvmEra | null;
}

/**
 * The lkvm a kvmtool entry uses: the one the matrix pins for it, else
 * --lkvm, else $KVMATRIX_LKVM; null when none is given. A matrix may pin
 * several (an old and a current kvmtool side by side); --lkvm and the
 * environment fill in only the entries that pin none.
 */
export function chooseLkvm(vmm: KvmtoolVmmSpec, cliPath: string | undefined, env: NodeJS.ProcessEnv): LkvmChoice | null {
  if (vmm.lkvm) return { path: vmm.lkvm, from: 'matrix' };
  if (cliPath) return { path: resolve(cliPath), from: '--lkvm' };
  if (env.KVMATRIX_LKVM) return { path: resolve(env.KVMATRIX_LKVM), from: 'KVMATRIX_LKVM' };
  return null;
}

/** The mode a kvmtool entry runs in on this host, or why it cannot run here. */
export function kvmtoolRunMode(mode: KvmtoolMode, hostArch: string, kvmUsable: boolean): 'native' | 'nested' | { problem: string } {
  const nativeOk = hostArch === 'arm64' && kvmUsable;
  if (mode === 'nested') return 'nested';
  if (mode === 'native' && !nativeOk) {
    return {
      problem: `mode: native needs an arm64 host with a usable /dev/kvm; this host is ${hostArch}${kvmUsable ? '' : ' without a usable /dev/kvm'} (use mode: auto or nested)`,
    };
  }
  return nativeOk ? 'native' : 'nested';
}

/**
 * Reads and checks an lkvm: present, a file, an arm64 ELF, and static when
 * it goes into a nested host. Returns its hash (part of the nested host's
 * cache key) and the era its option strings show, or exactly what is wrong.
 */
export function inspectLkvm(choice: LkvmChoice, needStatic: boolean): LkvmBinary | { problem: string } {
  const named = `lkvm ${choice.path} (from ${choice.from})`;
  let bytes: Buffer;
  try {
    if (!statSync(choice.path).isFile()) return { problem: `${named} is not a file` };
    bytes = readFileSync(choice.path);
  } catch (error) {
    return { problem: `${named} cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}` };
  }
  const problem = lkvmBinaryProblem(readElfFacts(bytes), needStatic);
  if (problem) return { problem: `${named} is ${problem}` };
  return { ...choice, sha256: createHash('sha256').update(bytes).digest('hex'), era: lkvmEraOf(bytes) };
}
