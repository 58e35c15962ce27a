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
  const records = new RecordCollector(options.nonce);
  const incidents: Incident[] = [];
  const probeFailures: ProbeFailure[] = [];
  const rawLines = text.split('\n');
  if (rawLines.length > 0 && rawLines[rawLines.length - 1] === '') rawLines.pop();
  const tailSize = options.tailLines ?? 40;
  const tail: string[] = [];
  let kernelVersion: string | null = null;
  let firstKernelLine: number | null = null;
  let initStarted: number | null = null;
  let open: { incident: Incident; end: RegExp } | null = null;

  rawLines.forEach((raw, index) => {
    const lineNo = index + 1;
    const line = sanitizeLine(raw.length > MAX_LINE ? raw.slice(0, MAX_LINE) : raw);
    tail.push(line);
    if (tail.length > tailSize) tail.shift();

    const stamp = TIMESTAMP.exec(line);
    if (stamp && firstKernelLine === null) firstKernelLine = Number(stamp[1]);
    if (kernelVersion === null) {
      const v = /Linux version (\S+)/.exec(line);
      if (v) kernelVersion = v[1]!;
    }
    if (initStarted === null && / as init process/.test(line)) {
      initStarted = stamp ? Number(stamp[1]) : null;
    }
    if (records.offer(line, lineNo)) return;

    const probe = PROBE_FAILED.exec(line);
    if (probe && probeFailures.length < 500) {
      probeFailures.push({ line: lineNo, driver: probe[1]!, device: probe[2]!, error: Number(probe[3]) });
    }
    const starter = STARTERS.find((s) => s.re.test(line));
    // a panic inside another report starts a report of its own
    const nested = starter?.kind === 'panic' && open?.incident.kind !== 'panic';
    if (open && !nested) {
      if (open.incident.excerpt.length < MAX_EXCERPT) open.incident.excerpt.push(line);
      if (open.end.test(line)) open = null;
      return;
    }
    if (starter) {
      const m = starter.re.exec(line)!;
      const summary = (m[1] ?? '').trim() || m[0].trim();
      const incident: Incident = { kind: starter.kind, line: lineNo, summary, excerpt: [line] };
      if (incidents.length < MAX_INCIDENTS) incidents.push(incident);
      open = { incident, end: starter.end };
    }
  });

  const agent = records.report();
  return {
    lines: rawLines.length,
    bytes: Buffer.byteLength(text, 'utf8'),
    kernelVersion,
    incidents,
    probeFailures,
    times: { firstKernelLine, initStarted, agentDone: agent.end ? agent.end.uptime : null },
    agent,
    tail,
  };
}
