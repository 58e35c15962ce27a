/**
 * The guest's userspace layer, for tests that run programs (issue 22's
 * commands and kselftests): Debian's static arm64 busybox as /bin/busybox
 * and /bin/sh, and the arm64 glibc runtime (the dynamic loader and the
 * libraries of libc6) in /lib, for programs built with the cross compiler.
 * A gzip-compressed cpio of its own, cached by content: the kernel unpacks
 * concatenated archives in turn, so a cell that needs it boots the agent's
 * initramfs with this appended, and a cell that only probes keeps the
 * small one.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { arch } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describeFailure, runCommand, succeeded } from '../host/command.js';
import { commandFilesIdentity, rememberedAnswer } from '../host/remembered-answer.js';
import { publishDir, stagingDir, type CacheLayout } from '../kernel/cache.js';
import { sha256, shortKey } from '../kernel/keys.js';
import { EM_AARCH64, readElfFacts } from '../host/elf.js';
import { writeCpio, type CpioEntry } from './cpio.js';

/** Debian's package, as apt names it on any host with arm64 among its architectures. */
export const BUSYBOX_PACKAGE = 'busybox-static:arm64';

/** glibc's runtime, as libc6 ships it: what a program linked by aarch64-linux-gnu-gcc loads. */
export const GLIBC_RUNTIME = [
  'ld-linux-aarch64.so.1',
  'libc.so.6',
  'libm.so.6',
  'libresolv.so.2',
  'libpthread.so.0',
  'libdl.so.2',
  'librt.so.1',
];

export class UserspaceLayerError extends Error {
  override readonly name = 'UserspaceLayerError';
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

export interface UserspaceLayer {
  /** The layer's archive (gzip-compressed cpio), to append to a guest initramfs. */
  archive: string;
  key: string;
  /** The busybox package version it holds. */
  busybox: string;
}

/** Where the arm64 glibc lives: the cross packages' tree, or an arm64 host's own. */
export function glibcDir(hostArch: string = arch()): string {
  return hostArch === 'arm64' ? '/lib/aarch64-linux-gnu' : '/usr/aarch64-linux-gnu/lib';
}

/** Where Debian's busybox-static installs its binary. */
export const INSTALLED_BUSYBOX = '/bin/busybox';

/**
 * The layer for this host's busybox and glibc, built on first use. An
 * arm64 host with Debian's busybox-static installed gives its own static
 * /bin/busybox (no download: such a host may have no network). Otherwise
 * the package is fetched with `apt-get download`, checked against the
 * sha256 apt's index gives, and busybox checked to be a static arm64 ELF.
 */
export async function userspaceLayer(
  layout: CacheLayout,
  libs: string = glibcDir(),
  installed: string | null = arch() === 'arm64' ? INSTALLED_BUSYBOX : null,
  onStep?: (what: string) => void,
): Promise<UserspaceLayer> {
  const libHashes = GLIBC_RUNTIME.map((name) => {
    const path = join(libs, name);
    if (!existsSync(path)) {
      throw new UserspaceLayerError(
        `the arm64 glibc runtime is incomplete: ${path} is missing`,
        'apt-get install libc6-arm64-cross (or libc6 on an arm64 host)',
      );
    }
    return sha256(readFileSync(path));
  });
  const own = installed === null ? null : installedBusybox(installed);
  const pkg = own ? null : await busyboxPackage(layout);
  const key = sha256(JSON.stringify({ v: 1, ...(own ? { busyboxBinary: sha256(own) } : { busybox: pkg!.sha256 }), libs: libHashes }));
  const entry = join(layout.userspace, shortKey(key));
  const layer: UserspaceLayer = { archive: join(entry, 'layer.cpio.gz'), key, busybox: own ? `installed ${installed}` : pkg!.version };
  if (existsSync(layer.archive)) return layer;

  onStep?.(`guest: building the userspace layer for commands (busybox ${layer.busybox}; once, into the cache)`);
  const staged = stagingDir(layout, 'userspace');
  const busybox = own ?? (await downloadedBusybox(staged, pkg!));
  const libFiles = GLIBC_RUNTIME.map((name) => ({ name, data: readFileSync(join(libs, name)) }));
  writeFileSync(join(staged, 'layer.cpio.gz'), gzipSync(writeCpio(userspaceLayerEntries(busybox, libFiles)), { level: 6 }));
  mkdirSync(layout.userspace, { recursive: true });
  publishDir(staged, entry);
  return layer;
}

/** An installed busybox that is a static arm64 executable, or null (not there, or Debian's dynamic busybox). */
export function installedBusybox(path: string): Buffer | null {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    return null;
  }
  return staticArm64Problem(bytes) === null ? bytes : null;
}

/** busybox from Debian's package, fetched into `staged` and checked. */
async function downloadedBusybox(staged: string, pkg: PackageFacts): Promise<Buffer> {
  const log = join(staged, 'fetch.log');
  const fetched = await runCommand(['apt-get', 'download', BUSYBOX_PACKAGE], { cwd: staged, logPath: log });
  // apt-get names the file after the version, its epoch's colon escaped
  const debs = readdirSync(staged).filter((f) => f.endsWith('.deb'));
  const deb = join(staged, debs[0] ?? 'none.deb');
  if (!succeeded(fetched) || debs.length !== 1) {
    throw new UserspaceLayerError(
      `cannot fetch ${BUSYBOX_PACKAGE}: ${describeFailure(fetched)}\n${fetched.tail.join('\n')}`,
      'apt-get update, then try again',
    );
  }
  const got = sha256(readFileSync(deb));
  if (got !== pkg.sha256)
    throw new UserspaceLayerError(`${debs[0]} has sha256 ${got}, apt's index says ${pkg.sha256}`, 'apt-get update, then try again');
  const unpacked = await runCommand(['dpkg-deb', '-x', deb, join(staged, 'deb')], { logPath: log });
  if (!succeeded(unpacked)) throw new UserspaceLayerError(`cannot unpack ${debs[0]}: ${describeFailure(unpacked)}`, 'apt-get install dpkg');
  const busybox = readFileSync(join(staged, 'deb', 'bin', 'busybox'));
  const problem = staticArm64Problem(busybox);
  if (problem) throw new UserspaceLayerError(`${debs[0]}: bin/busybox ${problem}`, `check the ${BUSYBOX_PACKAGE} package`);
  return busybox;
}

/** The layer's files: busybox with sh beside it, glibc's runtime in /lib, where its loader looks first. */
export function userspaceLayerEntries(busybox: Uint8Array, libs: readonly { name: string; data: Uint8Array }[]): CpioEntry[] {
  return [
    { type: 'dir', path: 'bin' },
    { type: 'file', path: 'bin/busybox', data: busybox, mode: 0o755 },
    { type: 'symlink', path: 'bin/sh', target: 'busybox' },
    { type: 'dir', path: 'lib' },
    ...libs.map((lib): CpioEntry => ({ type: 'file', path: `lib/${lib.name}`, data: lib.data, mode: 0o755 })),
  ];
}

/** Null for a static arm64 ELF executable, else what it is instead. */
export function staticArm64Problem(bytes: Uint8Array): string | null {
  const facts = readElfFacts(bytes);
  if (typeof facts === 'string') return `is ${facts}`;
  if (facts.machine !== EM_AARCH64) return `is not an arm64 executable (e_machine ${facts.machine})`;
  if (facts.interpreter !== null) return `is linked dynamically (${facts.interpreter})`;
  return null;
}

/** Where apt keeps its package lists (rewritten by apt-get update) and dpkg its foreign architectures. */
const APT_LISTS = '/var/lib/apt/lists';
const DPKG_ARCHITECTURES = '/var/lib/dpkg/arch';

/** A path's identity for a remembered answer: its mtime and inode, or "none". */
function pathIdentity(path: string): string {
  try {
    const st = statSync(path);
    return `${st.mtimeMs}\0${st.ino}`;
  } catch {
    return 'none';
  }
}

interface PackageFacts {
  version: string;
  sha256: string;
}

/**
 * The candidate busybox package as apt's index describes it, without
 * fetching it. Asking apt-cache takes a second: the answer is remembered
 * for as long as apt's lists and architectures stay as they are.
 */
async function busyboxPackage(layout: CacheLayout): Promise<PackageFacts> {
  const ask = async () => {
    const lines: string[] = [];
    const shown = await runCommand(['apt-cache', 'show', '--no-all-versions', BUSYBOX_PACKAGE], {
      onLine: (line) => lines.push(line),
      tailLines: 5,
    });
    const facts = succeeded(shown) ? parsePackageStanza(lines) : null;
    return facts ? `${facts.version}\t${facts.sha256}` : null;
  };
  const tool = commandFilesIdentity(['apt-cache']);
  const answer =
    tool === null
      ? null
      : await rememberedAnswer(
          layout.fingerprints,
          'apt-busybox',
          `${tool}\0${pathIdentity(APT_LISTS)}\0${pathIdentity(DPKG_ARCHITECTURES)}`,
          ask,
        );
  const [version, sum] = answer?.split('\t') ?? [];
  const facts = version && sum ? { version, sha256: sum } : null;
  if (!facts) {
    throw new UserspaceLayerError(
      `apt knows no ${BUSYBOX_PACKAGE}: the guest's shell comes from Debian's arm64 package`,
      'dpkg --add-architecture arm64 && apt-get update (as root; bash harness/host/ensure-deps.sh --test does it)',
    );
  }
  return facts;
}

/** Version and sha256 from an `apt-cache show` stanza; null when either is missing. */
export function parsePackageStanza(lines: readonly string[]): PackageFacts | null {
  const field = (name: string) =>
    lines
      .find((l) => l.startsWith(`${name}: `))
      ?.slice(name.length + 2)
      .trim();
  const version = field('Version');
  const sum = field('SHA256');
  if (!version || !sum || !/^[0-9a-f]{64}$/.test(sum)) return null;
  return { version, sha256: sum };
}
