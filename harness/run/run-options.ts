/** What a run is asked to do, and what it tells as it goes (the CLI's progress lines). */
import type { Writable } from 'node:stream';
import type { CacheLayout } from '../kernel/cache.js';
import type { KernelOutcome, KernelProgress } from '../kernel/types.js';
import type { Cell, Matrix } from '../matrix/types.js';
import type { CellRecord, RunResults, RunShard } from '../report/types.js';
import type { QemuAccel } from '../vmm/qemu.js';
import type { KvmtoolHost } from './kvmtool-plan.js';
import type { BootIndex } from './repeat.js';

export interface RunEvents {
  /** A step of the run's own that starts now and may take a while (building the guest agent). */
  step?(what: string): void;
  kernel?(progress: KernelProgress): void;
  kernelDone?(outcome: KernelOutcome): void;
  /** A boot starts; `boot` says which when the cell is booted more than once. */
  cellStarted?(cell: Cell, boot?: BootIndex): void;
  /** One boot of a cell booted more than once has ended (cellDone follows when every boot has). */
  cellBootDone?(cell: Cell, boot: BootIndex): void;
  cellDone?(record: CellRecord): void;
  /** A boot ended in an error and the cell is booted again (attempt is 1 for the first retry). */
  cellRetried?(record: CellRecord, attempt: number): void;
}

export interface RunOptions {
  matrix: Matrix;
  cells: Cell[];
  selection: RunResults['selection'];
  shard?: RunShard;
  /** Results root: the run goes to <outRoot>/<run-id>, and <outRoot>/latest points to it. */
  outRoot: string;
  /** The run's folder name under outRoot (default: a new time-based id). */
  runId?: string;
  layout: CacheLayout;
  /** Cells booted at once. */
  bootJobs: number;
  /** make -j for kernel builds. */
  buildJobs: number;
  ccache: boolean;
  accel: QemuAccel;
  timeoutSec?: number;
  /** Overrides the matrix's boot.retries. */
  retries?: number;
  /** Boots of every cell, overriding the matrix's boot.repeat and cell_boot rules. */
  repeat?: number;
  buildTimeoutSec: number;
  version: string;
  /** Where lkvm may come from and whether this host runs arm64 KVM itself. */
  kvmtoolHost: KvmtoolHost;
  events?: RunEvents;
  /** Keep the Images and initramfs the cells boot in the run folder (default), or boot them from the cache. */
  artifacts?: boolean;
  /** Console of a single booted cell, as it arrives (for `boot`). */
  live?: Writable;
  signal?: AbortSignal;
  /**
   * Refuse a patch that does not apply, as bad input, before the run folder
   * exists (`run` and `boot`; bisect-run skips such a commit instead).
   */
  checkPatches?: boolean;
}
