import type { IncidentKind, KvmRecord, LkvmRecord } from '../console/types.js';
import type { LkvmOrigin } from '../vmm/lkvm.js';
import type { AppliedPatch, KernelCommit, KernelFailure, KernelStage } from '../kernel/types.js';
export type { AppliedPatch };
import type { ExpectedVerdict, Topology, Transport } from '../matrix/types.js';
import type { ExpectedBy, TestNode } from '../verdict/tree.js';
import type { DeviceOutcome, Verdict } from '../verdict/types.js';
import type { ExpectationStatus } from '../verdict/tree.js';

/**
 * results.json: the source of truth of a run. Every other report is
 * rendered from it. Paths are relative to the run folder, so a run folder
 * can be moved or archived whole.
 */
/** What this kvmatrix writes; it reads every earlier one too (results-schema.ts). */
export const RESULTS_SCHEMA = 'kvmatrix-results/2';
export const RESULTS_SCHEMAS_READ = ['kvmatrix-results/1', RESULTS_SCHEMA] as const;

export interface RunResults {
  schema: (typeof RESULTS_SCHEMAS_READ)[number];
  runId: string;
  matrix: { name: string; file: string; description?: string; digest?: string };
  /** A CI shard's run: which slice of how many, out of how many selected cells. */
  shard?: RunShard;
  /** The run was stopped (SIGINT, SIGTERM) and holds what finished; the rest is marked interrupted. */
  interrupted?: string;
  /** A run folded from shards by `kvmatrix report merge`: their run ids, in shard order. */
  mergedFrom?: string[];
  /** A merged run's shards' machines, in mergedFrom's order (`host` is the first's). */
  mergedHosts?: HostFacts[];
  startedAt: string;
  finishedAt: string;
  host: HostFacts;
  /** What the command line chose: cells, filters, and --test. */
  selection: { cells: string[]; filters: string[]; test?: string };
  kernels: KernelRecord[];
  cells: CellRecord[];
  summary: RunSummary;
}

export interface RunShard {
  index: number;
  count: number;
  /** Cells the whole selection has, across every shard. */
  selected: number;
}

export interface HostFacts {
  arch: string;
  node: string;
  /** The first QEMU's version (each VMM entry's is in `vmms`). */
  qemu: string | null;
  accel: 'tcg' | 'kvm';
  /** kvmatrix's version, and the commit of its checkout (absent outside one). */
  kvmatrix: string;
  kvmatrixCommit?: string;
  /** The machine's name (absent in runs written before schema 2). */
  name?: string;
  /** Each VMM entry the run booted (absent in runs written before schema 2). */
  vmms?: VmmFacts[];
}

/** A VMM entry as the run used it: the QEMU that ran its cells, with its version; a kvmtool entry's lkvm. */
export interface VmmFacts {
  id: string;
  type: 'qemu' | 'kvmtool';
  qemu?: { binary: string; version: string | null };
  lkvm?: { path: string; sha256: string; era: string | null };
}

export interface KernelRecord {
  id: string;
  ok: boolean;
  key?: string;
  /** `tarball:sha256:…`, `git:<commit>[+uncommitted:<tree>]` or `image:sha256:…`. */
  source?: string;
  commit?: KernelCommit;
  image?: string;
  config?: string | null;
  buildLog?: string | null;
  /** Came from the cache: no make ran for it in this run. */
  cached?: boolean;
  durationMs: number;
  stage?: KernelStage;
  message?: string;
  hint?: string;
  logTail?: string[];
  /** For a failed kernel: how its last command ended. */
  ended?: KernelFailure['ended'];
  /** The compiler and linker it was built with, as their --version says. */
  toolchain?: string;
  /** Its selftests, when its cells run kselftests: their cache key, whether no make ran for them, how many tests the targets installed. */
  kselftests?: { key: string; cached: boolean; tests: number };
  /** What its .config keeps from being seen (CONFIG_BUG off: WARN_ON() prints nothing). */
  warnings?: string[];
  /** The patches applied on the source, in order (absent in runs written before they were recorded). */
  patches?: AppliedPatch[];
  /** What of this kernel the run folder keeps, relative to it (absent with --no-artifacts). */
  artifacts?: KernelArtifacts;
}

/** A kernel's files kept in the run folder, paths relative to it. */
export interface KernelArtifacts {
  /** The Image the run's cells booted. */
  image?: string;
  config?: string;
  buildLog?: string;
  /** The kselftests as the guests unpacked them (a gzip'd cpio), and their build log. */
  kselftests?: string;
  kselftestBuildLog?: string;
}

export interface CellTimings {
  /** When the VMM started, ISO 8601 (absent in runs written before it was recorded). */
  startedAt?: string;
  /** VMM start to exit, ms. */
  bootMs: number | null;
  /** VMM start to the first console byte, ms. */
  firstOutputMs: number | null;
  /** Guest clock, seconds: first printk, init started, agent done. */
  kernelFirstLine: number | null;
  initStarted: number | null;
  agentDone: number | null;
}

export interface CellRecord {
  id: string;
  kernel: string;
  vmm: string;
  vmmType: 'qemu' | 'kvmtool';
  transport: Transport;
  topology: Topology;
  verdict: Verdict;
  expected: ExpectedVerdict;
  expectedWhy?: string;
  /** The expect rule behind `expected`; none for the default, pass. */
  expectedBy?: ExpectedBy;
  status: ExpectationStatus;
  reasons: string[];
  hint?: string;
  devices: DeviceOutcome[];
  /**
   * The cell's tree of tests: a node per test kind (probe, kunit), then
   * suites, cases, parameters. Absent in runs written before kvmatrix had
   * one, and for a cell that never booted.
   */
  tests?: TestNode[];
  incidents: { kind: IncidentKind; line: number; summary: string }[];
  timings: CellTimings;
  /** Console log, relative to the run folder; null when never booted. */
  console: string | null;
  consoleBytes: number;
  consoleTruncated: boolean;
  consoleCapBytes: number;
  /** Script that boots exactly this cell again, relative to the run folder. */
  reproduce: string | null;
  command: string[] | null;
  /** Last console lines, cleaned, for readers without the log. */
  consoleTail: string[];
  /** Earlier boots of this cell that ended in an `error` and were retried, oldest first. */
  retried?: CellAttempt[];
  /**
   * A cell booted more than once (`--repeat`, `boot.repeat`): every boot in
   * order. The cell's own fields (devices, console, timings) are those of the
   * first boot that went against the matrix, else of the last one.
   */
  repeats?: CellRepeat[];
  /** The run was stopped before this cell finished: its verdict is error. */
  interrupted?: true;
  /** How a kvmtool cell ran: which lkvm, and for a nested cell what its host saw. */
  kvmtool?: KvmtoolArtifacts;
}

/** A boot that ended in an error and was tried again. */
export interface CellAttempt {
  verdict: Verdict;
  reasons: string[];
  /** Its console, set aside, relative to the run folder. */
  console: string | null;
}

/** One of a repeated cell's boots, with its own console, after its own error-retries. */
export interface CellRepeat {
  /** 1-based. */
  boot: number;
  verdict: Verdict;
  status: ExpectationStatus;
  reasons: string[];
  hint?: string;
  devices: DeviceOutcome[];
  /** This boot's tree of tests. */
  tests?: TestNode[];
  bootMs: number | null;
  /** When this boot's VMM started, ISO 8601. */
  startedAt?: string;
  /** Relative to the run folder; null when never booted. */
  console: string | null;
  reproduce: string | null;
  retried?: CellAttempt[];
  interrupted?: true;
}

export interface KvmtoolArtifacts {
  mode: 'native' | 'nested';
  lkvm: { path: string; from: LkvmOrigin };
  /** lkvm's arguments after the program name, as it ran them. */
  lkvmArgs: string[];
  /** Nested only: the matrix kernel the host booted, and what the host agent reported. */
  hostKernel?: string;
  kvm?: KvmRecord | null;
  lkvmEnd?: LkvmRecord | null;
  lkvmStderr?: string[];
  hostIncidents?: { kind: IncidentKind; line: number; summary: string }[];
  /** The guest's console without the host's lines, relative to the run folder. */
  guestConsole?: string;
}

export interface RunSummary {
  total: number;
  asExpected: number;
  unexpected: number;
  skipped: number;
  byVerdict: Record<Verdict, number>;
}
