import { accessSync, constants } from 'node:fs';
import { arch } from 'node:os';
import { runCommand, succeeded } from './command.js';
import { commandFilesIdentity, rememberedAnswer } from './remembered-answer.js';

/**
 * arm64 guests run under KVM only on an arm64 host with a usable /dev/kvm;
 * elsewhere (an x86-64 /dev/kvm cannot run them) QEMU emulates with TCG.
 */
export function hostAccel(hostArch: string = arch(), kvmUsable: boolean = canUseKvm()): 'tcg' | 'kvm' {
  return hostArch === 'arm64' && kvmUsable ? 'kvm' : 'tcg';
}

export function canUseKvm(): boolean {
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** First line of `<binary> --version`, or null when it does not run. */
export async function toolVersion(binary: string): Promise<string | null> {
  const result = await runCommand([binary, '--version'], { tailLines: 50 });
  return succeeded(result) ? (result.tail.find((l) => l.trim()) ?? '').trim() : null;
}

/**
 * toolVersion, remembered in the cache folder `dir` under the binary's
 * identity (see rememberedAnswer): a warm run starts no process to ask
 * QEMU its version. Null at once, with no process, for a binary that is
 * not there.
 */
export async function rememberedToolVersion(binary: string, dir: string): Promise<string | null> {
  const identity = commandFilesIdentity([binary]);
  return identity === null ? null : rememberedAnswer(dir, 'version', identity, () => toolVersion(binary));
}
