/**
 * What a kind of test (probe, kunit, command, kselftest, dmesg) contributes to
 * each stage of a cell, and nothing else: the stages ask the registry
 * (registry.ts) and take plain data. A new kind is a folder with one
 * object of this shape and a line in the registry; the compiler names
 * every hook it has yet to fill.
 */
import type { ConsoleObservation, Incident } from '../console/types.js';
import type { PlannedCommand } from '../guest/boot-archive.js';
import type { GuestImage } from '../guest/build-agent.js';
import type { CacheLayout } from '../kernel/cache.js';
import type { KernelTestInputs } from '../kernel/test-inputs.js';
import type { BuiltKernel } from '../kernel/types.js';
import type { Cell, KernelSpec, TestSpec } from '../matrix/types.js';
import type { TestReading } from '../verdict/types.js';
import type { QemuAccel } from '../vmm/qemu.js';

/** What a second boot of the kernel needs, for a kind that asks it to list its tests. */
export interface ListingBoot {
  kernel: BuiltKernel;
  guest: GuestImage;
  layout: CacheLayout;
  accel: QemuAccel;
  signal?: AbortSignal;
}

/** What a kind puts in the guest of a cell that runs it, beside the agent. */
export interface GuestPayload {
  /** The programs the agent runs for it, in order, after those of the kinds before it in the registry. */
  programs: PlannedCommand[];
  /** Host files its programs take, copied into /kvmatrix/files/ by their names. */
  files: string[];
  /** Layers of its own, unpacked after the userspace layer (the kernel's installed selftests). */
  layers: string[];
}

export const NO_PAYLOAD: GuestPayload = { programs: [], files: [], layers: [] };

/** What a kind reads its results with, besides the cell and its console. */
export interface ReadContext {
  /** The agent's number for its first program: one more than the programs of the kinds before it. */
  firstProgram: number;
  /** The kernel's reports that no kind before it took charge of (KUnit's inside its cases). */
  incidentsLeft: Incident[];
  /** The console was cut at its cap: what the kernel printed after is unseen. */
  consoleCut: boolean;
  /** The agent reported everything, end record included: results it should have vouched for and did not are missing. */
  agentFinished: boolean;
  /** The kernel's own list of its tests, suite by suite, when one was taken (a crash cut names off). */
  listing?: Map<string, string[]>;
}

export interface TestKind<S extends TestSpec> {
  /** Its name in the matrix grammar (`tests:`), the first part of its tests' paths. */
  readonly kind: S['kind'];
  /**
   * What it asks of the build of a kernel whose cells run it (the matrix
   * put its needs on the kernel spec): config fragments, fragments the
   * source holds, cache-key inputs, and work after the kernel.
   */
  kernelInputs(kernel: KernelSpec): Partial<KernelTestInputs>;
  /**
   * What it adds to the kernel command line of a cell. Asked of every cell,
   * whether it runs the kind or not: a kernel built for a kind may need it
   * switched off where the cell runs something else.
   */
  kernelArgs(cell: Pick<Cell, 'tests' | 'kernel'>): string[];
  /**
   * Work after the cell's kernel is built: the cell as that build serves
   * it (the selftests it installed), or why the cell cannot boot.
   */
  withKernel(cell: Cell, kernel: BuiltKernel): Cell | { problem: string };
  /**
   * The kernel's own list of its tests, when a boot's results leave names
   * out (a crash cut KUnit's cases off): null when none is needed or none
   * could be had. Only a kind that can list has it.
   */
  listing?(cell: Cell, obs: ConsoleObservation, boot: ListingBoot): Promise<Map<string, string[]> | null>;
  /** Whether its cells boot the userspace layer (a shell and C runtime for programs): known before any kernel is built. */
  readonly userspace: boolean;
  /** Its part of the guest; each program shows at most `capBytes` of its output on the console. */
  guest(cell: Pick<Cell, 'tests'>, capBytes: number): GuestPayload;
  /** Seconds its tests may take on top of the boot's timeout, in a cell that runs it (programs the agent runs one after another). */
  allowanceSec(cell: Pick<Cell, 'tests'>): number;
  /**
   * Its results in a boot of a cell that runs it: its node of the tree, and
   * what keeps them from being believed; null when the console holds
   * nothing of it to read (the agent never started).
   */
  read(cell: Cell, obs: ConsoleObservation, ctx: ReadContext): TestReading | null;
  /**
   * One of its tests narrowed to what a `--test` glob can name (KUnit's
   * filter, the kselftest targets the glob reaches), or null when the
   * glob names none of it.
   */
  narrow(spec: S, glob: string): S | null;
  /**
   * Its results are about everything the boot runs (the kernel's log): a
   * `--test` glob that keeps it keeps the cell's other tests running as
   * the matrix has them, their results left out of the verdict.
   */
  readonly readsWholeBoot?: boolean;
  /** How `kvmatrix list` shows one of its tests: a word for the table, an object for --json. */
  describe(spec: S): { text: string; json: Record<string, unknown> };
}
