/**
 * Builds the arm64 host rig's layers, each a cpio archive cached under a key
 * of its inputs and rebuilt only when they change:
 *   rootfs    arm64 Debian bookworm by mmdebstrap (qemu-user through
 *             binfmt_misc runs its maintainer scripts), with Debian's arm64
 *             kernel, whose Image and config are kept beside it;
 *   node      npm's official arm64 Node.js 20;
 *   kvmatrix  this checkout's dist/ (the bundled CLI users run, dist/cli/main.cjs,
 *             and the compiled modules the in-rig bench imports, with their
 *             production node_modules) and the files the CLI reads (package
 *             list, agent sources, matrices).
 * The kernel unpacks concatenated cpio archives in order, so the layers and
 * a small per-boot job layer (boot-rig.ts) make one initramfs.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { describeFailure, runCommand, succeeded } from '../../../harness/host/command.js';
import { projectRoot } from '../../../harness/host/install-paths.js';
import { readPackageList } from '../../../harness/doctor/requirements.js';
import { publishDir } from '../../../harness/kernel/cache.js';
import { sha256, shortKey } from '../../../harness/kernel/keys.js';
import { mmdebstrapArgv, RIG_NODE_PACKAGE, RIG_PATHS, rigDebianPackages } from './rig-spec.js';

export interface Rig {
  /** Debian's arm64 kernel Image, and its config. */
  kernel: string;
  kernelConfig: string;
  /** The cpio layers, in the order the kernel unpacks them. */
  layers: string[];
}

export interface RigBuildOptions {
  /** Where the rig's layers are cached (a folder of the kvmatrix cache). */
  cacheDir: string;
  /** Progress, one line at a time. */
  say: (line: string) => void;
}

export class RigBuildError extends Error {
  override readonly name = 'RigBuildError';
}

/** The rig's layers, built where missing. Needs root (mmdebstrap, binfmt_misc). */
export async function buildRig(options: RigBuildOptions): Promise<Rig> {
  mkdirSync(options.cacheDir, { recursive: true });
  const rootfs = await rootfsLayer(options);
  const node = await nodeLayer(options);
  const kvmatrix = await kvmatrixLayer(options);
  return { kernel: join(rootfs, 'Image'), kernelConfig: join(rootfs, 'config'), layers: [join(rootfs, 'layer.cpio'), node, kvmatrix] };
}

/** The apt source files this host uses: the rig is built from the same registry. */
function hostAptSources(): string[] {
  const files = ['/etc/apt/sources.list'].filter((f) => existsSync(f) && readFileSync(f, 'utf8').trim() !== '');
  const dir = '/etc/apt/sources.list.d';
  if (existsSync(dir)) {
    files.push(
      ...readdirSync(dir)
        .filter((f) => f.endsWith('.list') || f.endsWith('.sources'))
        .sort()
        .map((f) => join(dir, f)),
    );
  }
  if (files.length === 0)
    throw new RigBuildError('this host has no apt sources (/etc/apt/sources.list, /etc/apt/sources.list.d): the rig is built from them');
  return files;
}

async function rootfsLayer(options: RigBuildOptions): Promise<string> {
  const packages = rigDebianPackages(readPackageList());
  const sources = hostAptSources();
  const key = shortKey(
    sha256(JSON.stringify({ v: 1, argv: mmdebstrapArgv(packages, '<target>', []), sources: sources.map((f) => readFileSync(f, 'utf8')) })),
  );
  return buildLayer(options, `rootfs-${key}`, async (root, staged) => {
    await ensureHostTools(options);
    await ensureBinfmt();
    rmSync(root, { recursive: true, force: true });
    options.say(
      `arm64 host rig: building an arm64 Debian ${packages.join(', ')} root filesystem with mmdebstrap (several minutes: its maintainer scripts run under qemu-user)`,
    );
    const log = join(staged, 'mmdebstrap.log');
    const built = await runCommand(mmdebstrapArgv(packages, root, sources), {
      logPath: log,
      timeoutSec: 3600,
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
      onLine: (line) => {
        if (line.startsWith('I: ')) options.say(`arm64 host rig: mmdebstrap ${line.slice(3)}`);
      },
    });
    if (!succeeded(built))
      throw new RigBuildError(`mmdebstrap failed (${describeFailure(built)}); its log: ${log}\n${built.tail.join('\n')}`);
    const boot = join(root, 'boot');
    const version = readdirSync(boot)
      .find((f) => f.startsWith('vmlinuz-'))
      ?.slice('vmlinuz-'.length);
    if (!version) throw new RigBuildError(`the rig's root filesystem has no /boot/vmlinuz-*: linux-image-arm64 did not install (${log})`);
    copyFileSync(join(boot, `vmlinuz-${version}`), join(staged, 'Image'));
    copyFileSync(join(boot, `config-${version}`), join(staged, 'config'));
    // the kernel is booted from outside; inside it would only take memory
    for (const file of readdirSync(boot)) rmSync(join(boot, file), { force: true });
    options.say('arm64 host rig: packing the root filesystem');
  });
}

async function nodeLayer(options: RigBuildOptions): Promise<string> {
  const entry = await buildLayer(options, `node-${shortKey(sha256(RIG_NODE_PACKAGE))}`, async (root, staged) => {
    options.say(`arm64 host rig: fetching ${RIG_NODE_PACKAGE} from the npm registry`);
    const packed = await execa('npm', ['pack', RIG_NODE_PACKAGE, '--pack-destination', staged, '--silent'], { reject: false, cwd: staged });
    const tgz = String(packed.stdout).trim().split('\n').pop() ?? '';
    if (packed.exitCode !== 0 || !tgz || !existsSync(join(staged, tgz))) {
      throw new RigBuildError(`npm pack ${RIG_NODE_PACKAGE} failed: ${String(packed.stderr).slice(-2000)}`);
    }
    mkdirSync(join(root, 'usr', 'local', 'bin'), { recursive: true });
    const unpacked = await execa('tar', ['-xzf', join(staged, tgz), '-C', staged, 'package/bin/node'], { reject: false });
    if (unpacked.exitCode !== 0) throw new RigBuildError(`${tgz} has no package/bin/node: ${String(unpacked.stderr)}`);
    copyFileSync(join(staged, 'package', 'bin', 'node'), join(root, 'usr', 'local', 'bin', 'node'));
    await execa('chmod', ['0755', join(root, 'usr', 'local', 'bin', 'node')]);
    rmSync(join(staged, 'package'), { recursive: true, force: true });
  });
  return join(entry, 'layer.cpio');
}

/** This checkout as a user runs it: dist/ (the bundled CLI), and the files kvmatrix reads at run time. */
async function kvmatrixLayer(options: RigBuildOptions): Promise<string> {
  const dist = join(projectRoot, 'dist');
  if (!existsSync(join(dist, 'cli', 'main.cjs'))) throw new RigBuildError(`${dist} is not built: run npm run build`);
  const tracked = (
    await execa('git', ['ls-files', '-z', '--', 'package.json', 'package-lock.json', 'harness', 'matrices', 'kernels', 'patches'], {
      cwd: projectRoot,
    })
  ).stdout
    .split('\0')
    .filter((f) => f && !f.endsWith('.ts') && existsSync(join(projectRoot, f)));
  const files = [...tracked, ...walk(dist).map((f) => join('dist', f))].sort();
  const modules = await productionModules(options);
  const key = shortKey(sha256(JSON.stringify({ v: 1, modules, files: files.map((f) => [f, sha256(readFileSync(join(projectRoot, f)))]) })));
  const entry = await buildLayer(options, `kvmatrix-${key}`, async (root) => {
    options.say('arm64 host rig: packing kvmatrix (dist/, and the production node_modules its in-process bench imports)');
    const target = join(root, RIG_PATHS.kvmatrix);
    for (const file of files) {
      mkdirSync(dirname(join(target, file)), { recursive: true });
      copyFileSync(join(projectRoot, file), join(target, file));
    }
    await execa('cp', ['-a', join(modules, 'node_modules'), join(target, 'node_modules')]);
  });
  return join(entry, 'layer.cpio');
}

/**
 * One layer: `fill` makes its root folder (and may leave files of its own
 * beside it in staging), which is packed as layer.cpio, and the staging
 * folder is published under `name`, once. A built layer is taken as it is.
 */
async function buildLayer(options: RigBuildOptions, name: string, fill: (root: string, staged: string) => Promise<void>): Promise<string> {
  const entry = join(options.cacheDir, name);
  if (existsSync(join(entry, 'layer.cpio'))) return entry;
  const staged = join(options.cacheDir, `staging-${name}-${process.pid}`);
  rmSync(staged, { recursive: true, force: true });
  mkdirSync(staged, { recursive: true });
  const root = join(staged, 'root');
  mkdirSync(root);
  await fill(root, staged);
  await packDirectory(root, join(staged, 'layer.cpio'));
  rmSync(root, { recursive: true, force: true });
  publishDir(staged, entry);
  return entry;
}

/** `npm ci --omit=dev` of this lock file, once per lock file: what `npm install` gives a user. */
async function productionModules(options: RigBuildOptions): Promise<string> {
  const lock = readFileSync(join(projectRoot, 'package-lock.json'));
  const entry = join(options.cacheDir, `modules-${shortKey(sha256(lock))}`);
  if (existsSync(join(entry, 'node_modules'))) return entry;
  const staged = join(options.cacheDir, `staging-modules-${process.pid}`);
  rmSync(staged, { recursive: true, force: true });
  mkdirSync(staged, { recursive: true });
  copyFileSync(join(projectRoot, 'package.json'), join(staged, 'package.json'));
  writeFileSync(join(staged, 'package-lock.json'), lock);
  options.say('arm64 host rig: npm ci --omit=dev (the production dependencies, all plain JavaScript)');
  const ci = await execa('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: staged,
    reject: false,
  });
  if (ci.exitCode !== 0) throw new RigBuildError(`npm ci --omit=dev failed: ${String(ci.stderr).slice(-2000)}`);
  publishDir(staged, entry);
  return entry;
}

/** Every file below `dir`, relative to it. */
function walk(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => statSync(join(dir, f)).isFile());
}

/**
 * A newc cpio of a folder (owners root), by find and GNU cpio: they keep
 * symlinks as symlinks (a root filesystem's /dev/fd points into /proc)
 * and device nodes as nodes.
 */
export async function packDirectory(dir: string, cpio: string): Promise<void> {
  const entries = await execa('find', ['.', '-print0'], { cwd: dir, encoding: 'buffer' });
  const packed = await execa(
    'cpio',
    ['--create', '--null', '--format=newc', '--owner=0:0', '--reproducible', '--quiet', `--file=${cpio}`],
    {
      cwd: dir,
      input: entries.stdout,
      reject: false,
    },
  );
  if (packed.exitCode !== 0) throw new RigBuildError(`cpio of ${dir} failed: ${String(packed.stderr).slice(-2000)}`);
}

const HOST_TOOLS = [
  { pkg: 'mmdebstrap', file: '/usr/bin/mmdebstrap' },
  // only a Recommends of mmdebstrap: without it a foreign architecture stops with "install arch-test"
  { pkg: 'arch-test', file: '/usr/bin/arch-test' },
  { pkg: 'qemu-user-static', file: '/usr/bin/qemu-aarch64-static' },
  { pkg: 'binfmt-support', file: '/usr/sbin/update-binfmts' },
  { pkg: 'cpio', file: '/usr/bin/cpio' },
];

/** mmdebstrap, arch-test and qemu-user: installed as ensure-deps.sh would, or one message naming them. */
async function ensureHostTools(options: RigBuildOptions): Promise<void> {
  const missing = HOST_TOOLS.filter((t) => !existsSync(t.file)).map((t) => t.pkg);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0)
    throw new RigBuildError(`the arm64 host rig needs ${missing.join(', ')}: apt-get install ${missing.join(' ')}`);
  options.say(`arm64 host rig: installing ${missing.join(', ')}`);
  const update = await runCommand(['apt-get', 'update', '-qq'], { env: { PATH: process.env.PATH ?? '' } });
  const install = succeeded(update)
    ? await runCommand(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...missing], {
        env: { PATH: process.env.PATH ?? '', DEBIAN_FRONTEND: 'noninteractive' },
      })
    : update;
  if (!succeeded(install))
    throw new RigBuildError(`could not install ${missing.join(', ')} (${describeFailure(install)}): ${install.tail.join('\n')}`);
}

/** arm64 programs run through qemu-user: binfmt_misc mounted and its qemu-aarch64 entry enabled. */
async function ensureBinfmt(): Promise<void> {
  const entry = '/proc/sys/fs/binfmt_misc/qemu-aarch64';
  if (existsSync(entry) && readFileSync(entry, 'utf8').startsWith('enabled')) return;
  if (!existsSync('/proc/sys/fs/binfmt_misc/register')) {
    const mounted = await runCommand(['mount', '-t', 'binfmt_misc', 'binfmt_misc', '/proc/sys/fs/binfmt_misc']);
    if (!succeeded(mounted))
      throw new RigBuildError(
        `cannot mount binfmt_misc (${describeFailure(mounted)}): mmdebstrap needs it to run arm64 maintainer scripts; run as root`,
      );
  }
  const enabled = await runCommand(['update-binfmts', '--enable', 'qemu-aarch64'], { env: { PATH: process.env.PATH ?? '' } });
  if (!succeeded(enabled) || !existsSync(entry))
    throw new RigBuildError(`update-binfmts --enable qemu-aarch64 failed (${describeFailure(enabled)}): ${enabled.tail.join('\n')}`);
}
