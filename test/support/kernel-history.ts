import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../harness/host/install-paths.js';

export const LINUX_TARBALL = '/usr/src/linux-source-6.1.tar.xz';

/** The commits of the synthetic history, oldest first. */
export interface KernelHistory {
  tree: string;
  /** Debian's 6.1 as shipped: carries the Murray fix, the cell passes. */
  base: string;
  /** A documentation change: nothing compiled differs. */
  doc: string;
  /** init/main.c stops compiling. */
  broken: string;
  /** It compiles again. */
  fixed: string;
  /** The Murray fix reverted: the first bad commit. */
  revert: string;
  /** Another documentation change, on top. */
  tail: string;
}

const identity = {
  GIT_AUTHOR_NAME: 'kvmatrix test',
  GIT_AUTHOR_EMAIL: 'test@kvmatrix.invalid',
  GIT_COMMITTER_NAME: 'kvmatrix test',
  GIT_COMMITTER_EMAIL: 'test@kvmatrix.invalid',
  GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z',
  GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z',
};

function git(tree: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: tree, env: { ...process.env, ...identity }, encoding: 'utf8' }).trim();
}

function commit(tree: string, subject: string): string {
  git(tree, 'add', '--all', '--force', '.');
  git(tree, 'commit', '--quiet', '-m', subject);
  return git(tree, 'rev-parse', 'HEAD');
}

/**
 * A kernel git tree of six commits made from Debian's linux-source-6.1:
 * one reverts the Murray fix, one breaks the build and the next mends it,
 * the others touch only documentation. About 40 s: the tarball is
 * unpacked and its 78,000 files committed.
 */
export function syntheticKernelHistory(dir: string): KernelHistory {
  const tree = join(dir, 'linux');
  mkdirSync(tree, { recursive: true });
  execFileSync('tar', ['-xf', LINUX_TARBALL, '-C', tree, '--strip-components=1', '--no-same-owner']);
  git(tree, 'init', '--quiet', '--initial-branch=main');
  // loose objects uncompressed: the commit of the whole tree takes half the time
  git(tree, 'config', 'core.looseCompression', '0');
  // no background gc competing with the builds for the two cores
  git(tree, 'config', 'gc.auto', '0');
  const base = commit(tree, 'Linux 6.1 as Debian ships it');

  const doc = join(tree, 'Documentation/arm64/booting.rst');
  appendFileSync(doc, '\nA note on I/O port windows.\n');
  const docCommit = commit(tree, 'Documentation: arm64: a note on I/O port windows');

  const main = join(tree, 'init/main.c');
  const mainText = readFileSync(main, 'utf8');
  writeFileSync(main, `${mainText}\n#error "kvmatrix synthetic history: this commit does not build"\n`);
  const broken = commit(tree, 'init: a change that does not build');
  writeFileSync(main, mainText);
  const fixed = commit(tree, 'init: build again');

  execFileSync('git', ['apply', '-R', join(projectRoot, 'patches/murray-ioport-map.patch')], { cwd: tree });
  const revert = commit(tree, 'Revert "asm-generic/io: Fix ioport_map() for !CONFIG_GENERIC_IOMAP && CONFIG_INDIRECT_PIO"');

  appendFileSync(doc, '\nAnother note.\n');
  const tail = commit(tree, 'Documentation: arm64: another note');
  return { tree, base, doc: docCommit, broken, fixed, revert, tail };
}

export function haveLinuxTarball(): boolean {
  return existsSync(LINUX_TARBALL);
}
