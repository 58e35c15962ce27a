/** The typed matrix, after loading and validation. Paths are absolute. */

export const TRANSPORTS = ['legacy', 'modern'] as const;
export type Transport = (typeof TRANSPORTS)[number];

export const DEVICE_KINDS = ['rng', 'net', 'blk'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

export const TOPOLOGIES = ['flat', 'bridged'] as const;
export type Topology = (typeof TOPOLOGIES)[number];

export type PatchDirection = 'forward' | 'reverse';

export interface PatchSpec {
  /** Absolute path of the patch file. */
  path: string;
  direction: PatchDirection;
}

/**
 * A commit of a git tree. `tree` is an absolute path or a URL; `ref` any
 * commit-ish. With `uncommitted: include` (a local tree at HEAD only) the
 * tree's uncommitted changes and untracked files are built too.
 */
export interface GitKernelSource {
  kind: 'git';
  tree: string;
  /** `tree` is a URL: fetched into a mirror in the cache. */
  remote: boolean;
  ref: string;
  uncommitted: 'include' | 'ignore';
}

export type KernelSource =
  { kind: 'tarball'; path: string; package?: string } | { kind: 'image'; path: string } | GitKernelSource | DownloadKernelSource;

/**
 * A built kernel fetched by URL: an arm64 Image, an Image.gz, or a tarball
 * holding one (and its .config when there is one), checked against sha256.
 */
export interface DownloadKernelSource {
  kind: 'download';
  url: string;
  /** Lower-case hex. */
  sha256: string;
}

export interface KernelConfigSpec {
  /** A make target that writes a complete .config, such as tinyconfig. */
  base: string;
  /** Absolute paths of fragments merged onto the base, in order. */
  fragments: string[];
}

/**
 * Config options a test kind merges into a kernel after its fragments
 * (a kunitconfig): a file of their own, or lines written in the matrix.
 */
export interface Kunitconfig {
  /** The kunitconfig file, or the matrix file that lists the lines. */
  file: string;
  /** Each line as written, with its line number in `file`. */
  lines: { line: number; text: string }[];
}

export interface KernelSpec {
  id: string;
  description?: string;
  /** The kernel definition file it came from. */
  definitionFile: string;
  source: KernelSource;
  arch: 'arm64';
  crossCompile: string;
  config: KernelConfigSpec;
  /** Definition patches first, then the matrix entry's own. */
  patches: PatchSpec[];
  /** Merged after the fragments when its cells run KUnit: part of what is built and of the cache key. */
  kunitconfig?: Kunitconfig;
  /**
   * The kselftest targets its cells run, sorted: their `config` files are
   * merged after the kunitconfig, and the targets are built from the same
   * source and patches and installed into the guest.
   */
  kselftestTargets?: string[];
}

export interface QemuVmmSpec {
  id: string;
  type: 'qemu';
  topology: Topology;
  /** Root ports in the bridged topology, one device behind each. */
  ports: number;
  binary: string;
  /** QEMU's -cpu under TCG; under KVM the guest has the host's CPU. */
  tcgCpu: string;
}

/**
 * Every feature QEMU emulates, so that the kernel's code for them runs; the
 * architected pointer-authentication algorithm is slow to emulate, its
 * implementation-defined one is not.
 */
export const DEFAULT_TCG_CPU = 'max,pauth-impdef=on';

/** native: lkvm on this arm64 KVM host; nested: inside a QEMU virt host; auto: native when it can. */
export const KVMTOOL_MODES = ['auto', 'native', 'nested'] as const;
export type KvmtoolMode = (typeof KVMTOOL_MODES)[number];

/**
 * kvmtool's eras of putting virtio on PCI, each named by the option it
 * brought, decided by ancestry in kvmtool's history, not by dates:
 * - force-pci (before b0d56e3, July 2022): `--force-pci` gives legacy
 *   virtio-pci, and there is no modern;
 * - virtio-legacy (b0d56e3 up to 9b46ebc): `--force-pci` gives modern,
 *   `--force-pci --virtio-legacy` legacy;
 * - virtio-transport (from 9b46ebc, March 2023): `--virtio-transport
 *   pci|pci-legacy`.
 */
export const LKVM_ERAS = ['virtio-transport', 'virtio-legacy', 'force-pci'] as const;
export type LkvmEra = (typeof LKVM_ERAS)[number];
/** A matrix's transport_flag: an era, or auto (the default): the era the lkvm's own option strings show. */
export const TRANSPORT_FLAGS = ['auto', ...LKVM_ERAS] as const;
export const LKVM_IRQCHIPS = ['gicv2', 'gicv2m', 'gicv3', 'gicv3-its'] as const;
export type LkvmIrqchip = (typeof LKVM_IRQCHIPS)[number];
export type TransportFlag = (typeof TRANSPORT_FLAGS)[number];

export interface KvmtoolVmmSpec {
  id: string;
  type: 'kvmtool';
  /** Absolute path pinned by the matrix; otherwise --lkvm or KVMATRIX_LKVM. */
  lkvm?: string;
  mode: KvmtoolMode;
  transportFlag: TransportFlag;
  /** Matrix kernel id the nested host boots; by default the kernel named "patched". */
  hostKernel?: string;
  /** The QEMU that runs a nested host. */
  qemuBinary: string;
  /** Nested host memory, MiB; by default the guest's plus 512. */
  hostMemoryMiB?: number;
  /** lkvm's --irqchip; unset: lkvm's own choice natively, gicv3 nested. */
  irqchip?: LkvmIrqchip;
}

export type VmmSpec = QemuVmmSpec | KvmtoolVmmSpec;

export type ExpectedVerdict = 'pass' | 'fail';

export interface Expectation {
  verdict: ExpectedVerdict;
  /** Why the matrix expects this; shown in reports next to an expected failure. */
  why?: string;
  /** The rule that says so: its index in the matrix's `expect:` list. None for the default, pass. */
  rule?: number;
}

/** What a test in the cell's tree is expected to do: pass, fail, or be skipped by the kernel. */
export type ExpectedLeafVerdict = 'pass' | 'fail' | 'skip';

/**
 * The kernel's trouble reports, as the console's health rules name them:
 * panic, oops, bug (BUG() and the kernel's other `BUG:` reports), warning
 * (WARN()), lockdep (lockdep's and RCU's `WARNING:` splats), kasan, ubsan.
 */
export const INCIDENT_KINDS = ['panic', 'oops', 'bug', 'warning', 'lockdep', 'kasan', 'ubsan'] as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[number];
/** The reports an expect rule may let a test print (`may_print:`): all but a panic, which no test comes back from. */
export const TOLERABLE_INCIDENT_KINDS = ['oops', 'bug', 'warning', 'lockdep', 'kasan', 'ubsan'] as const;
export type TolerableIncidentKind = (typeof TOLERABLE_INCIDENT_KINDS)[number];

/** An expectation for the tests a glob names (an expect rule with `test:`). */
export interface LeafExpectation {
  /** A glob over test paths (matrix/test-path.ts). */
  test: string;
  /** What they are expected to do; absent in a rule that only says what they may print. */
  verdict?: ExpectedLeafVerdict;
  why?: string;
  /** Kernel reports they may print and still pass (`may_print:`). */
  mayPrint?: TolerableIncidentKind[];
  /** Its index in the matrix's `expect:` list. */
  rule?: number;
}

export type ExpectationRule =
  | (Expectation & { when: Partial<Record<CellKey, string>>; test?: undefined })
  | (LeafExpectation & { when: Partial<Record<CellKey, string>> });

/** The probe: today's device checks, the default test of every cell. */
export interface ProbeTestSpec {
  kind: 'probe';
}

/** KUnit's suites, built into the kernel and run at boot before init. */
export interface KunitTestSpec {
  kind: 'kunit';
  kunitconfig: Kunitconfig;
  /** One glob as kunit.filter_glob= takes it (suite, or suite.case); null: every suite built. */
  filter: string | null;
}

/** A program run in the guest after the probe, by the agent, from the userspace layer's shell and C runtime. */
export interface CommandTestSpec {
  kind: 'command';
  /** Its test is command.<name>. */
  name: string;
  /** The program (a path in the guest, or a name on its PATH) and its arguments. */
  argv: [string, ...string[]];
  /** Host files copied into the guest's /kvmatrix/files/, by their names; a script given as `run` is one of them. */
  files: string[];
  timeoutSec: number;
  /** The exit status that passes. */
  expectExit: number;
}

/** One test as kselftest's runner names it (kselftest-list.txt, a target's settings). */
export interface KselftestCase {
  target: string;
  /** The program or script in the target's folder (load_address.0x1000, run.sh). */
  test: string;
  /** Seconds from the target's settings; null: it names none (0 in settings means none too). */
  settingsTimeoutSec: number | null;
}

/** The kernel's own selftests (tools/testing/selftests), built for the cell's kernel and run by the agent one by one. */
export interface KselftestTestSpec {
  kind: 'kselftest';
  /** Selftest targets, as TARGETS= names them (timers, size, net/forwarding). */
  targets: string[];
  /** Tests left out, as kselftest-list.txt names them (target:test): reported as skipped. */
  skip: string[];
  /** Each test's deadline in seconds; null: the target's `settings` file, else kselftest's 45 s. */
  timeoutSec: number | null;
  /** What the cell's kernel installed, known once it is built (the kselftest kind fills it in before the boot). */
  installed?: InstalledKselftests;
}

/** A kernel's built selftests as a cell boots them. */
export interface InstalledKselftests {
  /** The gzip'd cpio layer holding them under /kselftest. */
  layer: string;
  tests: KselftestCase[];
}

/** The kernel's log, read after the other tests: each WARNING, BUG, Oops or panic a failing leaf. */
export interface DmesgTestSpec {
  kind: 'dmesg';
}

export type TestSpec = ProbeTestSpec | KunitTestSpec | CommandTestSpec | KselftestTestSpec | DmesgTestSpec;
export const TEST_KINDS = ['probe', 'kunit', 'command', 'kselftest', 'dmesg'] as const;

/**
 * Whether a kind's tests use the cell's devices: the probe checks them, a
 * program in the guest may use them, the kernel's log shows their drivers'
 * trouble; KUnit, inside the kernel before init, does not. A cell whose
 * kinds need none boots without them. Every kind says (the type asks).
 */
export const KIND_NEEDS_DEVICES: Record<TestSpec['kind'], boolean> = {
  probe: true,
  kunit: false,
  command: true,
  kselftest: true,
  dmesg: true,
};

/** The tests of some cells (cell_tests: in a matrix); a later rule wins. */
export interface CellTestsRule {
  when: Partial<Record<CellKey, string>>;
  tests: TestSpec[];
}

/** Boot settings for the cells a rule matches (cell_boot: in a matrix). */
export interface CellBootRule {
  when: Partial<Record<CellKey, string>>;
  timeoutSec?: number;
  retries?: number;
  repeat?: number;
}

export interface BootSettings {
  timeoutSec: number;
  memoryMiB: number;
  cpus: number;
  /** Console bytes kept per cell; the rest is dropped and the cut noted. */
  consoleCapBytes: number;
  /** Extra kernel parameters, after the harness's own (so they can override them). */
  append: string;
  /** Boots again after an `error` of a booted cell (the harness's or the host's trouble); never after fail or timeout. */
  retries: number;
  /** Boots of every cell, each judged; boots that disagree make the cell flaky. */
  repeat: number;
}

export interface Matrix {
  file: string;
  name: string;
  description?: string;
  kernels: KernelSpec[];
  vmms: VmmSpec[];
  transports: Transport[];
  devices: DeviceKind[];
  boot: BootSettings;
  expectations: ExpectationRule[];
  /** In order: a later rule's setting wins. */
  cellBoot: CellBootRule[];
  /** What each boot runs, in order; [probe] unless the matrix says. */
  tests: TestSpec[];
  cellTests: CellTestsRule[];
}

/** Keys a cell can be selected or matched by. */
export const CELL_KEYS = ['kernel', 'vmm', 'transport', 'type', 'topology'] as const;
export type CellKey = (typeof CELL_KEYS)[number];

/** One device the cell asks for, at a fixed place on the PCI bus. */
export interface DeviceSlot {
  /** Stable name within the cell: kind and its ordinal, e.g. "rng1". */
  name: string;
  kind: DeviceKind;
  /** Root port number (1-based) in the bridged topology; root-bus slot otherwise. */
  position: number;
}

/** One boot: a kernel under a VMM with one transport. */
export interface Cell {
  /** `<kernel>/<vmm>/<transport>`: stable, printable, safe as a path. */
  id: string;
  kernel: KernelSpec;
  vmm: VmmSpec;
  transport: Transport;
  /** kvmtool puts every device on its root bus: its cells are flat. */
  topology: Topology;
  devices: DeviceSlot[];
  expect: Expectation;
  /** Expectations of the tests in the cell's tree, from expect rules with `test:`, in order: a later one wins. */
  leafExpect: LeafExpectation[];
  boot: BootSettings;
  /** What the boot runs: the matrix's tests or a cell_tests rule's. */
  tests: TestSpec[];
  /** --test: a glob naming the only tests its verdict and reports keep. */
  only?: string;
}
