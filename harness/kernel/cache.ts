import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * The content-addressed cache. Every entry is built in a private staging
 * folder and published by one rename, so a reader sees a complete entry or
 * none; a build killed half-way leaves only staging debris that nothing reads.
 *
 *   sources/<key>/        extracted source trees
 *   configs/<key>.config  final .config for a set of configuration inputs
 *   kernels/<key>/        Image, config, build.log, meta.json
 *   kselftests/<key>/     selftests built from a kernel's source: layer.cpio.gz, tests.json, build.log
 *   downloads/<sha256>/   a downloaded kernel: Image, config when it came with one, meta.json
 *   agent/<key>/          the compiled guest agent and its initramfs
 *   nested/<key>/         a nested kvmtool host's shared initramfs part
 *   kunit-lists/<key>.json  the KUnit cases a kernel lists for a filter (kunit.action=list)
 *   git/<key>/            bare mirrors of git trees given by URL
 *   trees/<key>/          a git source's reused tree and build folder (see reused-tree.ts),
 *                         and the commit last configured there (see config-reuse.ts)
 *   fingerprints/         remembered sha256 of large source files, and tool versions
 *   locks/                one lock per key being produced
 *   staging/              work in progress; safe to delete when no run is active
 *   code/                 V8's compiled code of the bundled CLI, per command (written by the bin, dist/cli/main.cjs)
 *   parsed/               matrix and kernel files as the bundled CLI validated them (validated-memo.ts)
 */
export interface CacheLayout {
  root: string;
  sources: string;
  configs: string;
  kernels: string;
  kselftests: string;
  downloads: string;
  agent: string;
  /** The guest's userspace layer (busybox, glibc), for tests that run programs. */
  userspace: string;
  nested: string;
  kunitLists: string;
  git: string;
  trees: string;
  fingerprints: string;
  locks: string;
  staging: string;
}

/** --cache, then KVMATRIX_CACHE, then $XDG_CACHE_HOME/kvmatrix, then ~/.cache/kvmatrix. */
export function resolveCacheRoot(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return resolve(explicit);
  if (env.KVMATRIX_CACHE) return resolve(env.KVMATRIX_CACHE);
  const xdg = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(xdg, 'kvmatrix');
}

export function cacheLayout(root: string): CacheLayout {
  return {
    root,
    sources: join(root, 'sources'),
    configs: join(root, 'configs'),
    kernels: join(root, 'kernels'),
    kselftests: join(root, 'kselftests'),
    downloads: join(root, 'downloads'),
    agent: join(root, 'agent'),
    userspace: join(root, 'userspace'),
    nested: join(root, 'nested'),
    kunitLists: join(root, 'kunit-lists'),
    git: join(root, 'git'),
    trees: join(root, 'trees'),
    fingerprints: join(root, 'fingerprints'),
    locks: join(root, 'locks'),
    staging: join(root, 'staging'),
  };
}

export function ensureCacheDirs(layout: CacheLayout): void {
  for (const dir of Object.values(layout)) mkdirSync(dir, { recursive: true });
}

/** A fresh private folder under staging/ for producing `what`. */
export function stagingDir(layout: CacheLayout, what: string): string {
  const dir = join(layout.staging, `${what}-${process.pid}-${randomBytes(4).toString('hex')}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Moves a finished staging folder into place. If another run published the
 * same key first, its entry stays and ours is discarded: both are complete
 * and equal by construction.
 */
export function publishDir(staged: string, target: string): void {
  try {
    renameSync(staged, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
    rmSync(staged, { recursive: true, force: true });
  }
}
