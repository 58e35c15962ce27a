/**
 * Kernel trouble reports on the console: panics, Oopses, BUGs, WARNINGs,
 * lockdep's and RCU's splats, KASAN's and UBSAN's reports. Each is read
 * from its first line to its end marker, as LAVA does: stopping at the
 * first line once made a dashboard miss a panic that came inside an Oops.
 */
import { kernelMessage } from './ktap.js';
import type { Incident, IncidentKind } from './types.js';

/** An incident's excerpt stops at its end marker or after this many lines. */
const MAX_EXCERPT = 60;
/** A console with more reports than this is the cell's failure however they would be judged: the rest are counted only. */
export const MAX_INCIDENTS = 500;

interface Starter {
  kind: IncidentKind;
  re: RegExp;
  /** The line that closes this kind of report; null: none (the next report, or the cap, closes it). */
  end: RegExp | null;
}

const END_TRACE = /---\[ end trace/;
/** KASAN, KFENCE and UBSAN close their reports with a rule of `=` signs. */
const RULE = /(?:^|\] )={40,}\s*$/;

/*
 * In order: the first that matches names the report. lockdep and RCU's
 * splats say WARNING without the CPU and PID of WARN(), end with a plain
 * stack dump, and no end marker.
 */
const STARTERS: Starter[] = [
  { kind: 'panic', re: /Kernel panic - not syncing: ?(.*)/, end: /---\[ end Kernel panic/ },
  { kind: 'kasan', re: /\bBUG: (KASAN: .*)/, end: RULE },
  { kind: 'oops', re: /(Unable to handle kernel .*|Internal error: Oops.*)/, end: END_TRACE },
  { kind: 'bug', re: /(kernel BUG at .*|\bBUG: .*)/, end: /---\[ end trace|(?:^|\] )={40,}\s*$/ },
  { kind: 'warning', re: /WARNING: CPU: \d+ PID: \d+ at (.*)/, end: END_TRACE },
  { kind: 'lockdep', re: /(?:^|\] )WARNING: (.*(?:lock|RCU|contention).*)/, end: null },
  { kind: 'ubsan', re: /(?:^|\] )UBSAN: (.*)/, end: RULE },
];

/** WARN() and BUG() print this line, then WARN()'s own message if it has one, then the report. */
const CUT_HERE = /-{12}\[ cut here \]-{12}/;

/** Kinds whose report can hold a line of the other: an Oops inside a BUG (`Internal error: Oops - BUG`), a BUG's Oops. */
const CONTINUES: ReadonlySet<IncidentKind> = new Set(['oops', 'bug']);

/** Reads incidents from console lines fed one at a time. */
export class IncidentReader {
  private readonly incidents: Incident[] = [];
  private droppedCount = 0;
  private open: { incident: Incident; end: RegExp | null } | null = null;
  /** The line after a `cut here` line, while the report it announces may follow: WARN()'s message. */
  private announced: { line: number; message: string | null } | null = null;

  /** One console line (cleaned) and its 1-based number. */
  feed(line: string, lineNo: number): void {
    const starter = STARTERS.find((s) => s.re.test(line));
    const message = this.messageFor(line, lineNo, starter);
    if (this.open && !(starter && this.beginsAnother(starter.kind))) {
      const { incident, end } = this.open;
      if (incident.excerpt.length < MAX_EXCERPT) incident.excerpt.push(line);
      if ((end && end.test(line)) || incident.excerpt.length >= MAX_EXCERPT) this.open = null;
      return;
    }
    if (!starter) return;
    const m = starter.re.exec(line)!;
    const where = (m[1] ?? '').trim() || m[0].trim();
    const summary = message ? `${message} (at ${where})` : where;
    const incident: Incident = { kind: starter.kind, line: lineNo, summary, excerpt: [line] };
    if (this.incidents.length < MAX_INCIDENTS) this.incidents.push(incident);
    else this.droppedCount++;
    this.open = { incident, end: starter.end };
  }

  /**
   * Follows `cut here` announcements: the line after one is WARN()'s
   * message when a WARNING starts on the line after that; returns that
   * message for the WARNING's starting line.
   */
  private messageFor(line: string, lineNo: number, starter: Starter | undefined): string | null {
    const announced = this.announced;
    if (CUT_HERE.test(line)) {
      this.announced = { line: lineNo, message: null };
      return null;
    }
    if (!announced) return null;
    if (lineNo === announced.line + 1 && !starter) {
      announced.message = kernelMessage(line).trim() || null;
      return null;
    }
    this.announced = null;
    return starter?.kind === 'warning' && lineNo === announced.line + 2 ? announced.message : null;
  }

  read(): Incident[] {
    return this.incidents;
  }

  /** How many reports began after the most that are kept. */
  dropped(): number {
    return this.droppedCount;
  }

  /**
   * Whether a starter line inside the open report begins a report of its
   * own: a panic always does (a panic inside an Oops), a report that has
   * no end marker ends at the next, and only an Oops or a BUG continues
   * an Oops or a BUG.
   */
  private beginsAnother(kind: IncidentKind): boolean {
    const open = this.open!;
    if (kind === 'panic') return open.incident.kind !== 'panic';
    if (open.end === null) return true;
    return !(CONTINUES.has(kind) && CONTINUES.has(open.incident.kind));
  }
}

const LABELS: Record<IncidentKind, string> = {
  panic: 'kernel panic',
  oops: 'kernel Oops',
  bug: 'kernel BUG',
  warning: 'kernel WARNING',
  lockdep: 'lockdep report',
  kasan: 'KASAN report',
  ubsan: 'UBSAN report',
};

/** "kernel WARNING at console line 412: drivers/virtio/virtio_pci_common.c:..." */
export function describeIncident(incident: Pick<Incident, 'kind' | 'line' | 'summary'>): string {
  return `${LABELS[incident.kind]} at console line ${incident.line}: ${incident.summary}`;
}
