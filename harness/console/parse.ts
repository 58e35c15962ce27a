import { CommandOutputReader } from './command-output.js';
import { KtapDigester, KtapReader } from './ktap.js';
import { RecordCollector } from './records.js';
import { sanitizeLine } from './sanitize.js';
import type { ConsoleObservation, Incident, IncidentKind, ProbeFailure } from './types.js';

export interface ParseOptions {
  /** kvmatrix.nonce= of this boot; records checksummed with another are rejected. */
  nonce: string;
  /** How many of the last lines to keep for reports. */
  tailLines?: number;
}

/** Lines longer than this are cut before matching: records are far shorter. */
const MAX_LINE = 8192;
/** An incident's excerpt stops at its end marker or after this many lines. */
const MAX_EXCERPT = 60;
const MAX_INCIDENTS = 50;

interface Starter {
  kind: IncidentKind;
  re: RegExp;
  /** The line that closes this kind of report. */
  end: RegExp;
}

/*
 * Reports are read from their first line to their end marker, as LAVA does:
 * stopping at the first line once made a dashboard miss a panic that came
 * inside an Oops.
 */
const STARTERS: Starter[] = [
  { kind: 'panic', re: /Kernel panic - not syncing: ?(.*)/, end: /---\[ end Kernel panic/ },
  { kind: 'oops', re: /(Unable to handle kernel .*|Internal error: Oops.*)/, end: /---\[ end trace/ },
  { kind: 'bug', re: /(kernel BUG at .*|\bBUG: .*)/, end: /---\[ end trace/ },
  { kind: 'warning', re: /WARNING: CPU: \d+ PID: \d+ at (.*)/, end: /---\[ end trace/ },
];

const TIMESTAMP = /^\[\s*(\d+\.\d+)\]/;
const PROBE_FAILED = /(\S+): probe of (\S+) failed with error (-?\d+)/;

/**
 * Reads a whole console into an observation. Never throws: whatever the
 * console holds (NUL bytes, escape sequences, megabyte lines, damaged
 * records), the result says what could be seen.
 */
export function parseConsole(text: string, options: ParseOptions): ConsoleObservation {
  const parser = new ConsoleParser(options);
  parser.feed(text);
  return parser.finish();
}

/**
 * parseConsole a piece at a time, as the console arrives: a cell's console
 * is read while its VMM runs, so that little is left to read once it has
 * exited. Pieces must end on whole characters (a StringDecoder's output);
 * a line is read once its newline has come, the last one by finish().
 */
export class ConsoleParser {
  private readonly records: RecordCollector;
  private readonly ktap = new KtapReader();
  private readonly digest = new KtapDigester();
  private readonly commandOutput = new CommandOutputReader();
  private readonly incidents: Incident[] = [];
  private readonly probeFailures: ProbeFailure[] = [];
  private readonly tail: string[] = [];
  private readonly tailSize: number;
  private kernelVersion: string | null = null;
  private firstKernelLine: number | null = null;
  private initStarted: number | null = null;
  private open: { incident: Incident; end: RegExp } | null = null;
  private lines = 0;
  private bytes = 0;
  /** The start of a line whose newline has not come yet. */
  private partial: string[] = [];

  constructor(options: ParseOptions) {
    this.records = new RecordCollector(options.nonce);
    this.tailSize = options.tailLines ?? 40;
  }

  feed(text: string): void {
    this.bytes += Buffer.byteLength(text, 'utf8');
    let from = 0;
    for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', from)) {
      this.partial.push(text.slice(from, newline));
      this.readLine(this.partial.join(''));
      this.partial = [];
      from = newline + 1;
    }
    if (from < text.length) this.partial.push(text.slice(from));
  }

  /** The observation of everything fed; a last line without a newline counts. */
  finish(): ConsoleObservation {
    if (this.partial.length > 0) this.readLine(this.partial.join(''));
    this.partial = [];
    const agent = this.records.report();
    return {
      lines: this.lines,
      bytes: this.bytes,
      kernelVersion: this.kernelVersion,
      incidents: this.incidents,
      probeFailures: this.probeFailures,
      times: { firstKernelLine: this.firstKernelLine, initStarted: this.initStarted, agentDone: agent.end ? agent.end.uptime : null },
      agent,
      ktap: this.ktap.finish(),
      ktapDigest: this.digest.digest(),
      commands: this.commandOutput.observe(agent.commands),
      tail: this.tail,
    };
  }

  private readLine(raw: string): void {
    const lineNo = ++this.lines;
    const line = sanitizeLine(raw.length > MAX_LINE ? raw.slice(0, MAX_LINE) : raw);
    this.tail.push(line);
    if (this.tail.length > this.tailSize) this.tail.shift();

    const stamp = TIMESTAMP.exec(line);
    if (stamp && this.firstKernelLine === null) this.firstKernelLine = Number(stamp[1]);
    if (this.kernelVersion === null) {
      const v = /Linux version (\S+)/.exec(line);
      if (v) this.kernelVersion = v[1]!;
    }
    if (this.initStarted === null && / as init process/.test(line)) {
      this.initStarted = stamp ? Number(stamp[1]) : null;
    }
    if (this.records.offer(line, lineNo)) return;
    // a command's output is the command's: its panics and KTAP are not the kernel's
    if (this.commandOutput.offer(line)) return;
    this.ktap.feed(line, lineNo);
    this.digest.feed(line);

    const probe = PROBE_FAILED.exec(line);
    if (probe && this.probeFailures.length < 500) {
      this.probeFailures.push({ line: lineNo, driver: probe[1]!, device: probe[2]!, error: Number(probe[3]) });
    }
    const starter = STARTERS.find((s) => s.re.test(line));
    // a panic inside another report starts a report of its own
    const nested = starter?.kind === 'panic' && this.open?.incident.kind !== 'panic';
    if (this.open && !nested) {
      if (this.open.incident.excerpt.length < MAX_EXCERPT) this.open.incident.excerpt.push(line);
      if (this.open.end.test(line)) this.open = null;
      return;
    }
    if (starter) {
      const m = starter.re.exec(line)!;
      const summary = (m[1] ?? '').trim() || m[0].trim();
      const incident: Incident = { kind: starter.kind, line: lineNo, summary, excerpt: [line] };
      if (this.incidents.length < MAX_INCIDENTS) this.incidents.push(incident);
      this.open = { incident, end: starter.end };
    }
  }
}
