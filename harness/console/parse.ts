import { CommandOutputReader } from './command-output.js';
import { KtapDigester, KtapReader } from './ktap.js';
import { RecordCollector, type AcceptedRecord } from './records.js';
import { sanitizeLine } from './sanitize.js';
import { IncidentReader } from './incidents.js';
import type { ConsoleObservation, ProbeFailure } from './types.js';

export interface ParseOptions {
  /** kvmatrix.nonce= of this boot; records checksummed with another are rejected. */
  nonce: string;
  /** How many of the last lines to keep for reports. */
  tailLines?: number;
}

/** Lines longer than this are cut before matching: records are far shorter. */
const MAX_LINE = 8192;
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
  private readonly incidents = new IncidentReader();
  private readonly probeFailures: ProbeFailure[] = [];
  private readonly tail: string[] = [];
  private readonly tailSize: number;
  private kernelVersion: string | null = null;
  private firstKernelLine: number | null = null;
  private initStarted: number | null = null;
  private lines = 0;
  private bytes = 0;
  /** The command the agent is running (between its cmdbegin and cmdend records): only its framed lines are output. */
  private running: number | null = null;
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
      incidents: this.incidents.read(),
      incidentsDropped: this.incidents.dropped(),
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
    const record = this.records.offer(line, lineNo);
    if (record && record !== 'rejected') {
      this.followCommands(record);
      return;
    }
    // a line that is no record of this boot's is the console's like any other: a kernel report may follow its text
    // a running command's output is the command's: its panics and KTAP are not the kernel's
    if (this.running !== null && this.commandOutput.offer(line, this.running)) return;
    this.ktap.feed(line, lineNo);
    this.digest.feed(line);

    const probe = PROBE_FAILED.exec(line);
    if (probe && this.probeFailures.length < 500) {
      this.probeFailures.push({ line: lineNo, driver: probe[1]!, device: probe[2]!, error: Number(probe[3]) });
    }
    this.incidents.feed(line, lineNo);
  }

  private followCommands(record: AcceptedRecord): void {
    const index = Number(record.fields.index);
    if (record.kind === 'cmdbegin') this.running = Number.isInteger(index) ? index : null;
    if (record.kind === 'cmdend' && index === this.running) this.running = null;
  }
}
