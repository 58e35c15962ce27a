import { crc32 } from './crc32.js';
import type {
  AgentReport,
  Bar,
  BeginRecord,
  CheckRecord,
  CheckResult,
  CommandResult,
  EndRecord,
  KtapRecord,
  KvmRecord,
  LkvmRecord,
  PciRecord,
  RejectedRecord,
  VirtioRecord,
} from './types.js';

/** The record format version this harness reads; the agent writes the same. */
export const RECORD_VERSION = 1;

const RECORD_RE = /^KVMATRIX\/(\d+) (\d+) ([a-z]+)((?: [^ ]+)*) #([0-9a-f]{8})$/;

type Fields = Record<string, string>;

interface Accepted {
  seq: number;
  kind: string;
  fields: Fields;
  text: string;
  line: number;
}

/** A record line's kind and fields, once its checksum proved it this boot's. */
export interface AcceptedRecord {
  kind: string;
  fields: Readonly<Fields>;
}

/**
 * Collects agent records from console lines. Only records whose checksum
 * matches this boot's nonce are trusted; anything else that looks like a
 * record is kept as rejected, with the reason. Records the nonce vouches
 * for that contradict each other (two different records of one number, a
 * number out of order, a second end for one command) are conflicts: the
 * agent writes each record once, in order, so such a console holds records
 * someone else signed, and none of them is believed over another.
 */
export class RecordCollector {
  private readonly bySeq = new Map<number, Accepted>();
  /** Record lines cut or altered on the console (a kernel line printed into one), or another boot's, by the number they began with. */
  private readonly damaged = new Map<number, number>();
  /** The first record line broken before its number could be read. */
  private unnumbered: number | null = null;
  private readonly rejected: RejectedRecord[] = [];
  private readonly conflicts: string[] = [];
  /** The highest record number seen so far, in console order. */
  private lastSeq = -1;

  constructor(private readonly nonce: string) {}

  /** Offers one console line (1-based number): null when it held no record, else the record if it was trusted. */
  offer(line: string, lineNo: number): AcceptedRecord | 'rejected' | null {
    const at = line.indexOf('KVMATRIX/');
    if (at < 0) return null;
    const text = line.slice(at).trimEnd();
    const reject = (reason: string) => {
      if (this.rejected.length < 200) this.rejected.push({ line: lineNo, reason, text: text.slice(0, 300) });
      return 'rejected' as const;
    };
    const broken = (reason: string) => {
      const begun = /^KVMATRIX\/1 (\d{1,9}) /.exec(text);
      if (begun && !this.damaged.has(Number(begun[1]))) this.damaged.set(Number(begun[1]), lineNo);
      else if (!begun) this.unnumbered ??= lineNo;
      return reject(reason);
    };
    const m = RECORD_RE.exec(text);
    if (!m) return broken('malformed record');
    const [, version, seqText, kind, rest, crcText] = m;
    if (Number(version) !== RECORD_VERSION) {
      return reject(`record version ${version}, this harness reads version ${RECORD_VERSION}`);
    }
    const body = text.slice(0, text.length - ' #'.length - 8);
    if (crc32(`${this.nonce} ${body}`) !== parseInt(crcText!, 16)) {
      return broken("checksum mismatch: not signed with this boot's nonce (damaged, or from another boot)");
    }
    const fields = parseFields(rest!);
    if (!fields) return reject('undecodable field');
    const seq = Number(seqText);
    const earlier = this.bySeq.get(seq);
    if (earlier) {
      this.conflict(
        earlier.text === text
          ? `record ${seq} (${kind}) came twice, at console lines ${earlier.line} and ${lineNo}`
          : `two different records numbered ${seq}: ${earlier.kind} at console line ${earlier.line}, ${kind} at line ${lineNo}`,
      );
      return reject(earlier.text === text ? `duplicate of record ${seq}` : `second, different record ${seq}`);
    }
    if (seq < this.lastSeq)
      this.conflict(`record ${seq} (${kind}) at console line ${lineNo} came after record ${this.lastSeq}: out of order`);
    this.lastSeq = Math.max(this.lastSeq, seq);
    this.bySeq.set(seq, { seq, kind: kind!, fields, text, line: lineNo });
    return { kind: kind!, fields };
  }

  report(): AgentReport {
    const report: AgentReport = {
      begin: null,
      pci: [],
      virtio: [],
      checks: [],
      kvm: null,
      lkvm: null,
      ktap: null,
      end: null,
      commands: [],
      missingSeqs: [],
      rejected: this.rejected,
      conflicts: this.conflicts,
    };
    const ordered = [...this.bySeq.values()].sort((a, b) => a.seq - b.seq);
    // the agent writes each record once: a whole one beside a broken one of its number may have taken its place
    for (const [seq, line] of this.damaged) {
      const whole = this.bySeq.get(seq);
      if (whole)
        this.conflict(
          `record ${seq} at console line ${whole.line}, and one numbered ${seq} at line ${line} broken or not signed with this boot's nonce: one of them is not the agent's`,
        );
    }
    for (const rec of ordered) {
      if (report.end) this.conflict(`record ${rec.seq} (${rec.kind}) at console line ${rec.line} is numbered after the end record`);
      const problem = addRecord(report, rec);
      if (problem?.conflict) this.conflict(`record ${rec.seq} at console line ${rec.line}: ${problem.text}`);
      else if (problem) this.rejected.push({ line: 0, reason: `record ${rec.seq}: ${problem.text}`, text: rec.text.slice(0, 300) });
    }
    const last = report.end ? report.end.records - 1 : (ordered.at(-1)?.seq ?? -1);
    for (let seq = 0; seq <= last && report.missingSeqs.length < 1000; seq++) {
      if (!this.bySeq.has(seq)) report.missingSeqs.push(seq);
    }
    // a broken record of the agent's leaves one missing; where none is, a whole one took its place
    if (this.unnumbered !== null && report.end && report.missingSeqs.length === 0) {
      this.conflict(
        `a record broken before its number at console line ${this.unnumbered}, though none of this boot's is missing: one of them is not the agent's`,
      );
    }
    return report;
  }

  private conflict(text: string): void {
    if (this.conflicts.length < 50 && !this.conflicts.includes(text)) this.conflicts.push(text);
  }
}

function parseFields(rest: string): Fields | null {
  const fields: Fields = {};
  for (const token of rest.split(' ').filter(Boolean)) {
    const eq = token.indexOf('=');
    if (eq <= 0) return null;
    try {
      fields[token.slice(0, eq)] = decodeURIComponent(token.slice(eq + 1));
    } catch {
      return null;
    }
  }
  return fields;
}

/**
 * A signed record that does not fit the report. A conflict contradicts
 * the records before it, which the agent never does; any other problem
 * is a record this harness cannot read (rejected, as a damaged one is).
 */
interface RecordProblem {
  text: string;
  conflict: boolean;
}

/** Adds one accepted record to the report; returns a problem or null. */
function addRecord(report: AgentReport, rec: Accepted): RecordProblem | null {
  const problem = addFields(report, rec);
  return typeof problem === 'string' ? { text: problem, conflict: false } : problem;
}

function addFields(report: AgentReport, rec: Accepted): string | RecordProblem | null {
  const f = rec.fields;
  switch (rec.kind) {
    case 'begin': {
      if (rec.seq !== 0) return 'begin record is not the first';
      const begin: BeginRecord = {
        agent: f.agent ?? '?',
        role: f.role ?? 'guest',
        kernel: f.kernel ?? '?',
        machine: f.machine ?? '?',
        uptime: Number(f.uptime ?? NaN),
      };
      report.begin = begin;
      return null;
    }
    case 'pci': {
      const id = /^([0-9a-f]{4}):([0-9a-f]{4})$/i.exec(f.id ?? '');
      if (!f.bdf || !id) return 'pci record without bdf or id';
      const pci: PciRecord = {
        bdf: f.bdf,
        vendor: parseInt(id[1]!, 16),
        device: parseInt(id[2]!, 16),
        subsystem: parsePciId(f.subsys),
        classCode: parseInt(f.class ?? '0', 16),
        bar0: parseBar(f.bar0, 0),
        bars:
          (f.bars ?? '-') === '-'
            ? []
            : f
                .bars!.split(',')
                .map(parseIndexedBar)
                .filter((b): b is Bar => b !== null),
        driver: orNull(f.driver),
      };
      report.pci.push(pci);
      return null;
    }
    case 'virtio': {
      if (!f.dev) return 'virtio record without dev';
      const status = f.status && f.status !== 'none' ? parseInt(f.status, 16) : null;
      const virtio: VirtioRecord = {
        dev: f.dev,
        bdf: orNull(f.bdf),
        type: Number(f.type ?? -1),
        driver: orNull(f.driver),
        status: status !== null && Number.isFinite(status) ? status : null,
      };
      report.virtio.push(virtio);
      return null;
    }
    case 'check': {
      const results: CheckResult[] = ['ok', 'fail', 'timeout', 'skip', 'error'];
      if (!f.dev || !results.includes(f.result as CheckResult)) return 'check record without dev or result';
      const check: CheckRecord = {
        dev: f.dev,
        kind: f.kind ?? '?',
        result: f.result as CheckResult,
        detail: text(f.detail),
      };
      report.checks.push(check);
      return null;
    }
    case 'kvm': {
      const states: KvmRecord['state'][] = ['ok', 'missing', 'unusable'];
      if (!states.includes(f.state as KvmRecord['state'])) return 'kvm record without a known state';
      report.kvm = {
        state: f.state as KvmRecord['state'],
        api: numberOrNull(f.api),
        randomWait: numberOrNull(f.random_wait),
        detail: text(f.detail),
      };
      return null;
    }
    case 'lkvm': {
      const results: LkvmRecord['result'][] = ['exited', 'signal', 'timeout', 'exec-failed', 'no-args'];
      if (!results.includes(f.result as LkvmRecord['result'])) return 'lkvm record without a known result';
      report.lkvm = {
        result: f.result as LkvmRecord['result'],
        code: numberOrNull(f.code),
        signal: numberOrNull(f.signal),
        after: numberOrNull(f.after),
        seconds: numberOrNull(f.seconds),
        guestBytes: numberOrNull(f.guest_bytes),
        detail: text(f.detail),
      };
      return null;
    }
    case 'ktap': {
      const results = Number(f.results);
      const crc = /^[0-9a-f]{8}$/.test(f.crc ?? '') ? parseInt(f.crc!, 16) : NaN;
      if (!Number.isInteger(results) || results < 0 || Number.isNaN(crc) || !['0', '1'].includes(f.lost ?? '')) {
        return 'ktap record without results, crc or lost';
      }
      const ktap: KtapRecord = { results, crc, lost: f.lost === '1' };
      report.ktap = ktap;
      return null;
    }
    case 'cmdbegin': {
      const index = Number(f.index);
      if (!Number.isInteger(index) || index < 1) return 'cmdbegin record without an index';
      if (report.commands.some((c) => c.index === index)) return { text: `a second cmdbegin for command ${index}`, conflict: true };
      const running = report.commands.find((c) => c.end === null);
      if (running) return { text: `cmdbegin for command ${index} while command ${running.index} runs`, conflict: true };
      report.commands.push({
        index,
        name: text(f.name),
        program: text(f.program),
        timeoutSec: Number(f.timeout ?? NaN),
        capBytes: Number(f.cap ?? NaN),
        end: null,
      });
      return null;
    }
    case 'cmdend': {
      const command = report.commands.find((c) => c.index === Number(f.index));
      const results: CommandResult[] = ['exit', 'signal', 'timeout', 'exec-failed', 'bad-plan', 'error'];
      if (!command) return { text: `a cmdend for command ${f.index ?? '?'}, which never began`, conflict: true };
      if (command.end) return { text: `a second cmdend for command ${command.index}`, conflict: true };
      if (!results.includes(f.result as CommandResult)) return 'cmdend record without a known result';
      const crc = /^[0-9a-f]{8}$/.test(f.crc ?? '') ? parseInt(f.crc!, 16) : NaN;
      const [bytes, shown] = [Number(f.bytes), Number(f.shown)];
      if (!Number.isInteger(bytes) || !Number.isInteger(shown) || shown > bytes || Number.isNaN(crc))
        return 'cmdend record without bytes, shown or crc';
      const code = numberOrNull(f.code);
      const signal = numberOrNull(f.signal);
      command.end = {
        result: f.result as CommandResult,
        code: code !== null && code >= 0 ? code : null,
        signal: signal !== null && signal > 0 ? signal : null,
        detail: text(f.detail),
        bytes,
        shown,
        crc,
        seconds: Number(f.seconds ?? NaN),
      };
      return null;
    }
    case 'end': {
      const records = Number(f.records);
      if (!Number.isInteger(records) || records !== rec.seq + 1) {
        return `end record counts ${f.records} records but is number ${rec.seq + 1}`;
      }
      const end: EndRecord = { records, uptime: Number(f.uptime ?? NaN) };
      report.end = end;
      return null;
    }
    default:
      return `unknown record kind "${rec.kind}"`;
  }
}

/** "1af4:0004" as numbers; null when absent or "-:-" (older agents, unreadable sysfs). */
function parsePciId(text: string | undefined): { vendor: number; device: number } | null {
  const m = /^([0-9a-f]{4}):([0-9a-f]{4})$/i.exec(text ?? '');
  return m ? { vendor: parseInt(m[1]!, 16), device: parseInt(m[2]!, 16) } : null;
}

function numberOrNull(value: string | undefined): number | null {
  const n = value === undefined ? NaN : Number(value);
  return Number.isFinite(n) ? n : null;
}

function text(value: string | undefined): string {
  return value === undefined || value === '-' ? '' : value;
}

function orNull(value: string | undefined): string | null {
  return value === undefined || value === 'none' || value === '-' ? null : value;
}

/** "io:0x1000-0x101f" */
function parseBar(text: string | undefined, index: number): Bar | null {
  const m = /^(io|mem|other):0x([0-9a-f]+)-0x([0-9a-f]+)$/i.exec(text ?? '');
  if (!m) return null;
  return { index, kind: m[1] as Bar['kind'], start: parseInt(m[2]!, 16), end: parseInt(m[3]!, 16) };
}

/** "4:mem:0x8000000000-0x8000003fff" */
function parseIndexedBar(text: string): Bar | null {
  const m = /^([0-5]):(.*)$/.exec(text);
  return m ? parseBar(m[2], Number(m[1])) : null;
}
