/**
 * What a run booted, kept in its folder: each kernel's Image (with its
 * config, build log and the patches as applied), the guest initramfs and a
 * nested host's base archive. Hard-linked from the cache where the
 * filesystem allows, so a run folder costs no space until the cache entry
 * goes; copied otherwise. The reproduce scripts name them relative to
 * themselves, so a run folder boots anywhere QEMU is.
 */
import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import type { GuestImage } from '../guest/build-agent.js';
import { shortKey } from '../kernel/keys.js';
import type { AppliedPatchText } from '../kernel/applied-patches.js';
import type { BuiltKernel } from '../kernel/types.js';
import { companionNames } from '../kernel/test-inputs.js';
import type { AppliedPatch, KernelArtifacts } from '../report/types.js';

/** `path` relative to `folder` when it lies inside it (the folder itself is ""), else null. */
export function pathInside(folder: string, path: string): string | null {
  const inside = relative(folder, path);
  return inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside) ? null : inside;
}

/** A kernel's folder in the run: `kernels/<kernel id>`, where a failed build's log already goes. */
export function kernelArtifactDir(kernelId: string): string {
  return join('kernels', kernelId);
}

/**
 * Puts `from` at `to` whole: a hard link, or a copy where linking is
 * refused (another filesystem, a link count at its limit) or not asked
 * for. A file already there is kept: the run folder is written once.
 */
export function placeFile(from: string, to: string, how: 'link' | 'copy' = 'link'): void {
  if (existsSync(to)) return;
  mkdirSync(dirname(to), { recursive: true });
  if (how === 'link') {
    try {
      linkSync(from, to);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return;
      if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK' && code !== 'ENOTSUP' && code !== 'EACCES') throw error;
    }
  }
  // a copy is made aside and renamed in, so a full disk leaves no half file
  const tmp = `${to}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    copyFileSync(from, tmp);
    renameSync(tmp, to);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

/**
 * A built kernel's files in the run folder; the kernel returned boots from
 * there. A build log this run wrote (it built the kernel) is kept; a
 * cached kernel's comes from the cache.
 */
export function placeKernel(
  runDir: string,
  kernel: BuiltKernel,
  patches: readonly AppliedPatchText[],
): { kernel: BuiltKernel; artifacts: KernelArtifacts; patches: AppliedPatch[] } {
  const dir = kernelArtifactDir(kernel.kernelId);
  const at = (name: string) => join(runDir, dir, name);
  // the cache never rewrites a file, but a user's own Image (`image:`, boot --kernel FILE) is
  // rewritten in place by their next make: a link would change the run with it
  const how = kernel.source.startsWith('image:') ? 'copy' : 'link';
  placeFile(kernel.image, at(basename(kernel.image)), how);
  const artifacts: KernelArtifacts = { image: join(dir, basename(kernel.image)) };
  if (kernel.config) {
    placeFile(kernel.config, at('config'));
    artifacts.config = join(dir, 'config');
  }
  if (kernel.buildLog && existsSync(kernel.buildLog)) placeFile(kernel.buildLog, at('build.log'));
  if (existsSync(at('build.log'))) artifacts.buildLog = join(dir, 'build.log');
  // what its tests built after it (its selftests) as the guests unpack it, and how it was built
  const placed: Record<string, string> = {};
  const companions = kernel.companions?.map((companion) => {
    const names = companionNames(companion.stage);
    placeFile(companion.layer, at(names.layerFile));
    placeFile(companion.buildLog, at(names.logFile));
    placed[names.built] = join(dir, names.layerFile);
    placed[names.logField] = join(dir, names.logFile);
    return { ...companion, layer: at(names.layerFile), buildLog: at(names.logFile) };
  });
  return {
    kernel: {
      ...kernel,
      image: at(basename(kernel.image)),
      config: artifacts.config ? at('config') : null,
      ...(companions ? { companions } : {}),
    },
    artifacts: { ...artifacts, ...placed },
    patches: patches.map(({ text: _text, ...patch }, i) => ({ ...patch, path: writePatch(runDir, join(dir, 'patches'), i, patches[i]!) })),
  };
}

/** The diff as it was applied (a reversed patch turned around), numbered in order of application. */
function writePatch(runDir: string, dir: string, index: number, patch: AppliedPatchText): string {
  const path = join(dir, `${String(index + 1).padStart(2, '0')}-${patch.file}`);
  mkdirSync(join(runDir, dir), { recursive: true });
  if (!existsSync(join(runDir, path))) writeFileSync(join(runDir, path), patch.text);
  return path;
}

/** The guest initramfs in `guest/<key>/` (the userspace layer in `guest/<its key>/`), and the guest image that boots from there. */
export function placeGuest(runDir: string, guest: GuestImage): GuestImage {
  const to = join(runDir, 'guest', shortKey(guest.key), basename(guest.initramfs));
  placeFile(guest.initramfs, to);
  if (!guest.layer) return { ...guest, initramfs: to };
  const layer = join(runDir, 'guest', basename(dirname(guest.layer)), basename(guest.layer));
  placeFile(guest.layer, layer);
  return { ...guest, initramfs: to, layer };
}

/** A nested kvmtool host's base archive in `nested/<its cache folder>/`. */
export function placeNestedBase(runDir: string, base: string): string {
  const to = join(runDir, 'nested', basename(dirname(base)), basename(base));
  placeFile(base, to);
  return to;
}

/** The failed build's log, when the run folder holds it. */
export function failedKernelArtifacts(runDir: string, logPath: string | undefined): KernelArtifacts | undefined {
  const inside = logPath ? pathInside(runDir, logPath) : null;
  return inside === null || !existsSync(logPath!) ? undefined : { buildLog: inside };
}

/**
 * A folder's files placed under `to` as placeFile places them (a merged
 * run shares its shards' Images instead of copying gigabytes); symbolic
 * links are recreated as they are. Files already there are kept.
 */
export function placeTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory()) placeTree(source, target);
    else if (entry.isSymbolicLink()) {
      if (!lstatExists(target)) symlinkSync(readlinkSync(source), target);
    } else if (entry.isFile()) placeFile(source, target);
  }
}

function lstatExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
