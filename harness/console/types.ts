/** What a serial console says, as typed values. */
import type { IncidentKind } from '../matrix/types.js';
import type { KtapObservation } from './ktap.js';

export type { IncidentKind, KtapObservation };

/** A kernel trouble report with the lines that belong to it. */
export interface Incident {
  kind: IncidentKind;
  /** 1-based console line where it starts. */
  line: number;
  /** The headline, such as "Kernel panic - not syncing: VFS: ...". */
  summary: string;
  /** The report's lines, up to its end marker or a cap. */
  excerpt: string[];
}

export interface ProbeFailure {
  line: number;
  driver: string;
  device: string;
  error: number;
}

export interface PciRecord {
  bdf: string;
  vendor: number;
  device: number;
  /** Subsystem vendor:device; for a legacy virtio device the device part is its virtio type. */
  subsystem: { vendor: number; device: number } | null;
  classCode: number;
  bar0: Bar | null;
  /** Every assigned BAR; modern virtio devices have none at index 0. */
  bars: Bar[];
  driver: string | null;
}

export interface Bar {
  /** BAR number, 0 to 5. */
  index: number;
  kind: 'io' | 'mem' | 'other';
  start: number;
  end: number;
}

export interface VirtioRecord {
  dev: string;
  bdf: string | null;
  type: number;
  driver: string | null;
  status: number | null;
}

export type CheckResult = 'ok' | 'fail' | 'timeout' | 'skip' | 'error';

export interface CheckRecord {
  dev: string;
  kind: string;
  result: CheckResult;
  detail: string;
}

export interface BeginRecord {
  agent: string;
  role: string;
  kernel: string;
  machine: string;
  uptime: number;
}

/** A nested host's /dev/kvm, as its agent found it. */
export interface KvmRecord {
  state: 'ok' | 'missing' | 'unusable';
  /** KVM_GET_API_VERSION; 12 on every kernel since 2.6.22. */
  api: number | null;
  /** Seconds the host agent waited for the host's random pool before running lkvm; -1 if it could not. */
  randomWait: number | null;
  detail: string;
}

/** How lkvm ended inside a nested host. */
export interface LkvmRecord {
  result: 'exited' | 'signal' | 'timeout' | 'exec-failed' | 'no-args';
  code: number | null;
  signal: number | null;
  /** The host agent's own limit, for result timeout. */
  after: number | null;
  seconds: number | null;
  /** Bytes lkvm wrote to its stdout: lkvm's banner and the guest's console. */
  guestBytes: number | null;
  detail: string;
}

/** What the guest agent found in the kernel's own log: its KTAP result lines, counted and checksummed. */
export interface KtapRecord {
  results: number;
  /** crc32 of every result line's message, each followed by a newline. */
  crc: number;
  /** The log no longer held the kernel's first lines: results may have fallen out of it. */
  lost: boolean;
}

export interface EndRecord {
  records: number;
  uptime: number;
}

/** A line that looked like a record but could not be trusted, and why. */
export interface RejectedRecord {
  line: number;
  reason: string;
  text: string;
}

export interface AgentReport {
  begin: BeginRecord | null;
  pci: PciRecord[];
  virtio: VirtioRecord[];
  checks: CheckRecord[];
  /** Nested host records; null on a guest. */
  kvm: KvmRecord | null;
  lkvm: LkvmRecord | null;
  /** A guest agent's account of the KTAP in the kernel's log; null from a host, or an agent before it existed. */
  ktap: KtapRecord | null;
  end: EndRecord | null;
  /** The userspace commands the agent ran, in order (none on a probe-only boot). */
  commands: CommandRecord[];
  /** Records the agent sent, by sequence number, that never arrived intact. */
  missingSeqs: number[];
  rejected: RejectedRecord[];
  /**
   * Signed records that contradict each other: two different records of
   * one number, one out of order or after the end, a second end for one
   * command. The agent never writes such; the boot's records are untrusted.
   */
  conflicts: string[];
}

/** How a command ended, as the agent saw it. */
export type CommandResult = 'exit' | 'signal' | 'timeout' | 'exec-failed' | 'bad-plan' | 'error';

/** A command's cmdbegin record, and its cmdend once that came. */
export interface CommandRecord {
  /** 1-based, the order the agent ran it in; its output lines say `cmd<index>`. */
  index: number;
  name: string;
  program: string;
  timeoutSec: number;
  capBytes: number;
  end: CommandEnd | null;
}

export interface CommandEnd {
  result: CommandResult;
  /** Exit status, for result exit. */
  code: number | null;
  signal: number | null;
  detail: string;
  /** Bytes the command wrote, and of those the bytes shown on the console (up to its cap). */
  bytes: number;
  shown: number;
  /** crc32 of the bytes shown. */
  crc: number;
  seconds: number;
}

/** A command with the output the console showed of it. */
export interface CommandObservation extends CommandRecord {
  /** The bytes shown, as text. */
  output: string;
  /** The output lines add up to the shown count and crc of its cmdend record: nothing lost, nothing slipped in. */
  outputIntact: boolean;
}

export interface BootTimes {
  /** Kernel timestamp of the first printk line, seconds. */
  firstKernelLine: number | null;
  /** Kernel timestamp when init was started. */
  initStarted: number | null;
  /** Guest uptime at the agent's end record. */
  agentDone: number | null;
}

/** The KTAP result lines the console shows, counted and checksummed as the agent does over the kernel's log. */
export interface KtapDigest {
  results: number;
  crc: number;
}

export interface ConsoleObservation {
  lines: number;
  bytes: number;
  kernelVersion: string | null;
  incidents: Incident[];
  /** Reports past the most that are kept: counted, not read one by one. */
  incidentsDropped: number;
  probeFailures: ProbeFailure[];
  times: BootTimes;
  agent: AgentReport;
  /** The KTAP the kernel printed (KUnit's results), as read from the console. */
  ktap: KtapObservation;
  ktapDigest: KtapDigest;
  /** The userspace commands the agent ran, with their output. */
  commands: CommandObservation[];
  /** The last lines, control characters removed, for reports. */
  tail: string[];
}
