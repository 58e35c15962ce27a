import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { arch } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUG_REPORTING, bugReportingProblemOfRecipe } from '../kernel/config-check.js';
import type { KernelSpec, Matrix } from '../matrix/types.js';
import { findOnPath } from '../host/find-on-path.js';
import { projectRoot } from '../host/install-paths.js';
import { glibcDir } from '../guest/userspace-layer.js';
import { runsUserspace } from '../test-kinds/registry.js';
import { kernelTestInputs } from '../test-kinds/registry.js';

/** One line of harness/host/debian-packages.tsv. */
export interface DebianPackage {
  name: string;
  /** A file the package installs: present means installed. */
  file: string;
  when: PackageScope;
  /** The hosts that need it: an arm64 host compiles natively, any other cross-compiles. */
  hosts: 'any' | 'arm64' | 'not-arm64';
  why: string;
}

/** run: every run; build: a matrix that builds a kernel from source; test: npm test; optional: faster with it. */
export type PackageScope = 'run' | 'build' | 'test' | 'optional';
const SCOPES: readonly string[] = ['run', 'build', 'test', 'optional'];
const HOSTS: readonly string[] = ['any', 'arm64', 'not-arm64'];

export const packageListFile = join(projectRoot, 'harness', 'host', 'debian-packages.tsv');

export function parsePackageList(text: string, file = packageListFile): DebianPackage[] {
  return text
    .split('\n')
    .map((line, index) => ({ line, index }))
    .filter(({ line }) => line.trim() !== '' && !line.startsWith('#'))
    .map(({ line, index }) => {
      const [name, path, when, hosts, why] = line.split('\t');
      if (!name || !path || !why || !when || !SCOPES.includes(when) || !hosts || !HOSTS.includes(hosts)) {
        throw new Error(
          `${file}:${index + 1}: expected package, file, run|build|test|optional, any|arm64|not-arm64 and a reason, separated by tabs`,
        );
      }
      return { name, file: path, when: when as PackageScope, hosts: hosts as DebianPackage['hosts'], why };
    });
}

/** The packages a host of this architecture (Node's name: arm64, x64, ...) needs in these scopes. */
export function packagesForHost(packages: readonly DebianPackage[], hostArch: string, scopes: readonly PackageScope[]): DebianPackage[] {
  return packages.filter((p) => scopes.includes(p.when) && (p.hosts === 'any' || (p.hosts === 'arm64') === (hostArch === 'arm64')));
}

/** Something a matrix needs on this host, found or not, and the command that provides it. */
export interface Requirement {
  what: string;
  found: boolean;
  /** Where it was found, or what is missing. */
  detail: string;
  /** A command or step that fixes it; null when found. */
  fix: string | null;
  /** false: the matrix runs without it, more slowly. */
  required: boolean;
}

/** The host as requirement checks see it, so that they are testable without touching it. */
export interface HostProbe {
  exists(path: string): boolean;
  /** The path of an executable on PATH, or null. */
  which(command: string): string | null;
  nodeVersion: string;
  /** Node's name for the host architecture: arm64, x64, ... */
  arch: string;
  /** dpkg's foreign architectures (arm64, for apt to know arm64 packages); empty without dpkg. */
  foreignArchitectures(): string[];
  /** A small text file's contents (a config fragment), or null when it cannot be read. */
  readText(path: string): string | null;
}

export const realHostProbe: HostProbe = {
  exists: existsSync,
  which: (command) => findOnPath(command),
  nodeVersion: process.versions.node,
  arch: arch(),
  readText: (path) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return null;
    }
  },
  foreignArchitectures: () => {
    try {
      return execFileSync('dpkg', ['--print-foreign-architectures'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
        .split('\n')
        .filter(Boolean);
    } catch {
      return [];
    }
  },
};

/**
 * What running `matrix` needs here: Node.js, the Debian packages every run
 * needs on this host's architecture (and ccache, optional), the kernel
 * build tools when a kernel is built from source, and per kernel its source
 * and its compiler. Test-only packages are not the user's concern.
 */
export function matrixRequirements(matrix: Matrix, packages: readonly DebianPackage[], host: HostProbe): Requirement[] {
  const out: Requirement[] = [];
  const [major = 0, minor = 0] = host.nodeVersion.split('.').map(Number);
  const nodeOk = major > 20 || (major === 20 && minor >= 5);
  out.push({
    what: 'Node.js 20.5 or newer',
    found: nodeOk,
    detail: `Node.js ${host.nodeVersion}`,
    fix: nodeOk ? null : 'install Node.js 20 (Debian 12 ships 18)',
    required: true,
  });

  const builds = matrix.kernels.some((k) => k.source.kind === 'tarball' || k.source.kind === 'git');
  for (const pkg of packagesForHost(packages, host.arch, builds ? ['run', 'build', 'optional'] : ['run'])) {
    const found = host.exists(pkg.file);
    out.push({
      what: `${pkg.name}: ${pkg.why}`,
      found,
      detail: found ? pkg.file : `${pkg.file} is missing`,
      fix: found ? null : `apt-get install ${pkg.name}`,
      required: pkg.when !== 'optional',
    });
  }

  // kernels sharing a tarball or a compiler need it once: one line naming them all
  const perKernel = new Map<string, { kernels: string[]; requirement: Requirement }>();
  const need = (kernelId: string, requirement: Requirement) => {
    const known = perKernel.get(requirement.what);
    if (known) known.kernels.push(kernelId);
    else perKernel.set(requirement.what, { kernels: [kernelId], requirement });
  };
  for (const kernel of matrix.kernels) {
    const source = kernel.source;
    if (source.kind === 'tarball' || source.kind === 'image') {
      const found = host.exists(source.path);
      const fix =
        source.kind === 'tarball' && source.package
          ? `apt-get install ${source.package}`
          : `put it there, or change ${kernel.definitionFile}`;
      need(kernel.id, {
        what: `${source.kind} ${source.path}`,
        found,
        detail: found ? 'present' : 'missing',
        fix: found ? null : fix,
        required: true,
      });
    } else if (source.kind === 'download') {
      if (source.url.startsWith('file:')) {
        const path = fileURLToPath(source.url);
        const found = host.exists(path);
        need(kernel.id, {
          what: `download ${source.url}`,
          found,
          detail: found ? 'present' : 'missing',
          fix: found ? null : `put the file there, or change ${kernel.definitionFile}`,
          required: true,
        });
      }
    } else if (!source.remote) {
      const found = host.exists(join(source.tree, '.git')) || host.exists(join(source.tree, 'HEAD'));
      need(kernel.id, {
        what: `git tree ${source.tree}`,
        found,
        detail: found ? 'present' : 'not a git tree',
        fix: found ? null : `clone the kernel there, or change ${kernel.definitionFile}`,
        required: true,
      });
    }
    if (source.kind === 'tarball' || source.kind === 'git') {
      const gcc = `${kernel.crossCompile}gcc`;
      const path = host.which(gcc);
      need(kernel.id, {
        what: `cross compiler ${gcc}`,
        found: path !== null,
        detail: path ?? 'not on PATH',
        fix: path
          ? null
          : `apt-get install ${host.arch === 'arm64' ? 'gcc' : 'gcc-aarch64-linux-gnu'}, or set cross_compile: in the kernel definition`,
        required: true,
      });
      need(kernel.id, bugReporting(kernel, host));
    }
  }
  for (const { kernels, requirement } of perKernel.values()) {
    out.push({ ...requirement, what: `${requirement.what} (kernel ${kernels.join(', ')})` });
  }
  if (runsUserspace({ tests: [...matrix.tests, ...matrix.cellTests.flatMap((r) => r.tests)] })) out.push(...userspaceRequirements(host));
  return out;
}

/**
 * Whether a kernel built from its definition can warn: CONFIG_BUG and
 * DEBUG_BUGVERBOSE as its base and fragments leave them. The run checks
 * the final .config again (and a downloaded kernel's); an Image given as
 * is says nothing of its config.
 */
function bugReporting(kernel: KernelSpec, host: HostProbe): Requirement {
  const fragments = [
    ...kernel.config.fragments.map((f) => host.readText(f) ?? ''),
    ...kernelTestInputs(kernel).fragments.map((f) => f.text),
  ];
  const problem = bugReportingProblemOfRecipe(kernel.config.base, fragments);
  return {
    what: `WARNING and BUG reports (${BUG_REPORTING.join(', ')}) ${problem ? 'off' : 'on'} in ${kernel.definitionFile}`,
    found: problem === null,
    detail: problem ?? `${kernel.config.base} with its fragments turns them on`,
    fix: problem ? `${problem.replace(/^.*; add /, 'add ')} in ${kernel.definitionFile}` : null,
    // the matrix runs without them; its verdicts just cannot see a WARNING
    required: false,
  };
}

/** What command tests need for the guest's userspace layer: the arm64 glibc, and apt knowing Debian's arm64 busybox-static. */
function userspaceRequirements(host: HostProbe): Requirement[] {
  const libc = join(glibcDir(host.arch), 'libc.so.6');
  const hasLibc = host.exists(libc);
  const out: Requirement[] = [
    {
      what: 'the arm64 glibc for command tests',
      found: hasLibc,
      detail: hasLibc ? libc : `${libc} is missing`,
      fix: hasLibc ? null : `apt-get install ${host.arch === 'arm64' ? 'libc6' : 'libc6-arm64-cross'}`,
      required: true,
    },
  ];
  if (host.arch !== 'arm64') {
    const known = host.foreignArchitectures().includes('arm64');
    out.push({
      what: "arm64 among dpkg's architectures, for the guest's busybox-static:arm64 (command tests)",
      found: known,
      detail: known ? 'arm64' : `only ${host.arch}`,
      fix: known ? null : 'dpkg --add-architecture arm64 && apt-get update (the package is downloaded into the cache, never installed)',
      required: true,
    });
  }
  return out;
}

export function readPackageList(): DebianPackage[] {
  return parsePackageList(readFileSync(packageListFile, 'utf8'));
}
