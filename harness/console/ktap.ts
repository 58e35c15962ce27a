/**
 * KTAP as the kernel prints it on the console (KUnit's results), and TAP
 * or KTAP a program prints, read a line at a time into a tree of tests.
 * Like the rest of the console parser it reports what it saw and never
 * throws: a console cut short, a panic in the middle of a suite, other
 * CPUs' messages between the lines, plans that lie and indentation that
 * wanders all come out as nodes without a result, and issues kept on the
 * node they concern. Only a result line of its own (`ok N name`) ever
 * gives a node a status.
 *
 * Strict as kunit.py is: a result line that closes a test before its plan
 * is met leaves the rest of that plan missing; a result or plan after the
 * document (or a test) was complete, a second result for one test, a
 * structural line at a depth no open test has, and a plan where none
 * belongs are never skipped over: each is a `structure` issue of the test
 * it touches, which its reader then cannot pass. A test numbered other
 * than its place, and a `# Subtest:` comment where no subtest can begin,
 * are `note` issues, noted only (kunit.py notes the first and ignores the
 * second; counts are checked by the plans, and only a version line or a
 * plan begins a subtest).
 *
 * A node's lines: KTAP has no line when a test starts, so the lines of a
 * test are those between the previous result at its level (or its
 * parent's header) and its own result line. Subtests are indented; KUnit
 * indents by 4 spaces a level, the KTAP document shows 2: the first
 * indented line of a document sets its step.
 */

import { crc32Update } from './crc32.js';

export type KtapResult = 'ok' | 'not ok';

export interface KtapDirective {
  kind: 'SKIP' | 'TODO' | 'XFAIL' | 'TIMEOUT' | 'ERROR';
  reason: string;
}

/**
 * What the reader found wrong about a test. `structure`: its results
 * cannot be taken as printed (a plan not met, a line after its end, a
 * second result); `note`: what a careless but honest writer prints (a
 * result numbered other than its place, a `# Subtest:` line where no
 * subtest can begin), noted only.
 */
export interface KtapIssue {
  kind: 'structure' | 'note';
  /** The console (or output) line it was found at, 1-based. */
  line: number;
  /** What is wrong, quoting the line where one is to blame. */
  text: string;
}

export interface KtapNode {
  name: string;
  /** The number its result line gave it; null without one. */
  number: number | null;
  /** null: no result line came (crashed, hung, or the console was cut). */
  result: KtapResult | null;
  directive: KtapDirective | null;
  /** `1..N` of a node with subtests; null when it printed none (KUnit's parameterised cases on 6.1). */
  plan: number | null;
  children: KtapNode[];
  /** Console line numbers (1-based): where its lines start, its result line (or the last line it could have had). */
  firstLine: number;
  lastLine: number;
  /** Its own lines that are not KTAP structure: diagnostics (`# ...`) and whatever the kernel printed meanwhile. */
  log: string[];
  /** Lines of its log left out over the cap. */
  logDropped: number;
  /**
   * A test that ended without its result: the lines after its last
   * reported subtest, which belong to the subtest that was running (it
   * never reported, and KTAP names no test before its result).
   */
  unreported: { firstLine: number; lastLine: number; log: string[]; logDropped: number } | null;
  /** What the reader found wrong about this test; a document's own are its root's. */
  issues: KtapIssue[];
}

export interface KtapDocument {
  /** The line of `KTAP version N` (or `TAP version N`), or of the first TAP line of output without one. */
  line: number;
  /** `KTAP 1`, `TAP 13`; `TAP 12` for output whose first TAP line is a plan or a result. */
  version: string;
  /** The root: its children are the top-level tests (KUnit's suites). */
  root: KtapNode;
  /** Whether the document reached a plausible end: every planned top-level test has a result. */
  complete: boolean;
}

export interface KtapObservation {
  documents: KtapDocument[];
  /** Every issue, each on one line: those kept on the nodes, and a second document beginning. */
  issues: string[];
}

export interface KtapReadOptions {
  /**
   * TAP without a version line (TAP 12): a document begins at the first
   * plan or result at column 0. A program's output may be such TAP; the
   * kernel's console never is (KUnit always prints its version line).
   */
  versionless?: boolean;
}

const MAX_LOG_LINES = 200;
const MAX_ISSUES = 50;
/** Issues kept on one node: enough to say what went wrong, not a copy of a runaway's output. */
const MAX_NODE_ISSUES = 10;
const MAX_NODES = 100_000;
/** A line quoted in an issue is cut here. */
const QUOTE_CHARS = 120;

const TIMESTAMP = /^\[\s*\d+\.\d+\](?:\[\s*[CT]\d+\])? ?/;
const VERSION = /^(K?TAP) version (\d+)\s*$/;
const PLAN = /^1\.\.(\d+)\s*$/;
const SUBTEST = /^# Subtest: (.*)$/;
const RESULT = /^(ok|not ok) (\d+)(?: -)?(?: (.*?))?\s*$/;
// the name may be empty: kselftest.h prints "ok 3 # SKIP reason"
const DIRECTIVE = /^(.*?)(?:^|\s+)# (SKIP|TODO|XFAIL|TIMEOUT|ERROR)\b\s*(.*)$/i;

/** The kernel message of a console line: the printk timestamp (and caller id) taken off. */
export function kernelMessage(line: string): string {
  return line.replace(TIMESTAMP, '');
}

/** A line that only KTAP structure has: a version line, a subtest header, a plan or a result. */
function isStructure(text: string): boolean {
  return VERSION.test(text) || SUBTEST.test(text) || PLAN.test(text) || RESULT.test(text);
}

interface Open {
  node: KtapNode;
  depth: number;
  /** Lines since the last result at this node's level, for the next child. */
  pending: string[];
  pendingFrom: number;
  pendingDropped: number;
  /** Its plan came after its results (TAP's trailing plan): no result may follow. */
  planEnded: boolean;
}

/** Reads KTAP from console lines fed one at a time. */
export class KtapReader {
  private readonly documents: KtapDocument[] = [];
  private readonly issues: string[] = [];
  private stack: Open[] = [];
  /** Spaces a level in the current document; 0 until its first indented line. */
  private step = 0;
  private nodes = 0;
  private lastLine = 0;
  /** The current document has a result for every planned top-level test. */
  private ended = false;

  constructor(private readonly options: KtapReadOptions = {}) {}

  /** One console line (control characters already removed) and its 1-based number. */
  feed(line: string, lineNo: number): void {
    this.lastLine = lineNo;
    const message = kernelMessage(line).replace(/\s+$/, '');
    const indent = message.length - message.trimStart().length;
    const text = message.trimStart();
    const version = VERSION.exec(text);
    if (version && indent === 0) return this.startDocument(`${version[1]!} ${version[2]!}`, lineNo);
    if (this.stack.length === 0) {
      // before the first document nothing is KTAP, unless TAP may come without its version line
      if (!(this.options.versionless && this.documents.length === 0 && indent === 0 && (PLAN.test(text) || RESULT.test(text)))) return;
      this.startDocument('TAP 12', lineNo);
    }
    if (this.ended) {
      // the document had every result it planned: what follows is not KTAP, unless it claims to be
      if (isStructure(text)) this.afterEnd(indent, text, lineNo);
      return;
    }
    const level = this.levelOf(indent, text);
    if (level === null) {
      if (isStructure(text)) this.structure(this.touched(), lineNo, `a line at a depth no test has: "${quote(message)}"`);
      return this.note(text);
    }
    if (version || SUBTEST.test(text)) return this.header(level, text, lineNo);
    const plan = PLAN.exec(text);
    if (plan) return this.plan(level, Number(plan[1]), lineNo, text);
    const result = RESULT.exec(text);
    if (result) return this.result(level, result, lineNo, text);
    this.note(text);
  }

  /** Everything read; nodes still open have no result. */
  finish(): KtapObservation {
    this.closeDocument();
    return { documents: this.documents, issues: this.issues };
  }

  private startDocument(version: string, lineNo: number): void {
    this.closeDocument();
    if (this.documents.length > 0) this.issue(`line ${lineNo}: another ${version.split(' ')[0]} document begins`);
    const root = this.newNode('', lineNo);
    // a document without its version line begins at its first TAP line: that line is read as the document's
    const firstLine = version === 'TAP 12' ? lineNo : lineNo + 1;
    this.documents.push({ line: lineNo, version, root, complete: false });
    this.stack = [{ node: root, depth: 0, pending: [], pendingFrom: firstLine, pendingDropped: 0, planEnded: false }];
    this.step = 0;
    this.ended = false;
  }

  private closeDocument(): void {
    const doc = this.documents.at(-1);
    if (!doc || this.stack.length === 0) return;
    // what is still open never reported: its lines run to the end of what was read
    while (this.stack.length > 1) this.closeUnfinished();
    const root = this.stack[0]!;
    if (this.ended) this.keepPending(root, root.node);
    else this.closeUnfinished();
    root.node.lastLine = this.lastLine;
    const planned = root.node.plan;
    const reported = root.node.children.filter((c) => c.result !== null).length;
    doc.complete = planned !== null && reported >= planned && root.node.children.length === planned;
    this.stack = [];
  }

  /**
   * The level of a structural line from its indentation: the first
   * indented line of a document sets the step (2 or 4 as printed), and a
   * line indented by anything else is not structure but a note.
   */
  private levelOf(indent: number, text: string): number | null {
    if (indent === 0) return 0;
    if (this.step === 0) {
      if (!isStructure(text)) return null;
      this.step = indent;
    }
    return indent % this.step === 0 ? indent / this.step : null;
  }

  /** `KTAP version`, `# Subtest:` (or nothing, before a plan) at `level`: a test with subtests begins below the node at level - 1. */
  private header(level: number, text: string, lineNo: number): void {
    const top = this.top();
    const subtest = SUBTEST.exec(text);
    // `# Subtest:` after `KTAP version` names the test that line began
    if (subtest && top.depth === level && level > 0 && top.node.name === '' && top.node.children.length === 0 && top.node.plan === null) {
      top.node.name = subtest[1]!.trim();
      return;
    }
    if (level < 1 || level > top.depth + 1) {
      // a `# Subtest:` line is a comment that names what follows (some TAP writers print it at the parent's depth): only a version line begins a test
      const what = `a subtest header at depth ${level} under a test at depth ${top.depth}: "${quote(text)}"`;
      if (subtest) this.noteIssue(this.touched(), lineNo, what);
      else this.structure(this.touched(), lineNo, what);
      return this.note(text);
    }
    // a header at a shallower level: the tests above it never reported
    while (this.top().depth >= level) this.closeUnfinished();
    const parent = this.top();
    if (this.nodes >= MAX_NODES) return;
    this.beyondPlan(parent, lineNo, text);
    const node = this.newNode(subtest ? subtest[1]!.trim() : '', parent.pendingFrom);
    node.log.push(...parent.pending);
    node.logDropped = parent.pendingDropped;
    this.resetPending(parent, lineNo + 1);
    parent.node.children.push(node);
    this.stack.push({ node, depth: level, pending: [], pendingFrom: lineNo + 1, pendingDropped: 0, planEnded: false });
  }

  private plan(level: number, count: number, lineNo: number, text: string): void {
    // TAP's subtest may begin with its plan, with no header before it
    if (level === this.top().depth + 1 && level > 0) this.header(level, '', lineNo);
    const top = this.top();
    if (level === top.depth && top.node.plan === null) {
      top.node.plan = count;
      if (top.node.children.length === 0) {
        // what came between its header and its plan is its own (6.12 prints attributes there)
        this.keepPending(top, top.node);
        this.resetPending(top, lineNo + 1);
        return;
      }
      // TAP's plan at the end: it must count what came, and nothing may follow it
      top.planEnded = true;
      if (count !== top.node.children.length) {
        this.structure(
          top.node,
          lineNo,
          `its plan at the end, "${quote(text)}", counts ${count} tests where ${top.node.children.length} reported`,
        );
      }
      if (top === this.stack[0]) this.ended = true;
      return;
    }
    this.structure(this.touched(), lineNo, `a plan where none belongs: "${quote(text)}"`);
    this.note(text);
  }

  private result(level: number, m: RegExpExecArray, lineNo: number, text: string): void {
    if (level > this.top().depth) {
      this.structure(this.touched(), lineNo, `a result at depth ${level} under a test at depth ${this.top().depth}: "${quote(text)}"`);
      return this.note(text);
    }
    // a result at level L reports a child of the test at depth L: deeper tests still open never reported
    while (this.top().depth > level + 1) this.closeUnfinished();
    let parent = this.top();
    const { name, directive, comment } = splitDirective(m[3] ?? '');
    const number = Number(m[2]);
    let node: KtapNode;
    if (parent.depth === level + 1) {
      // it closes the test whose header came
      const closing = this.stack.pop()!;
      node = closing.node;
      this.keepPending(closing, node);
      parent = this.top();
      if (node.name !== '' && name !== '' && node.name !== name) {
        this.structure(node, lineNo, `the result "${quote(text)}" closes the subtest "${node.name}"`);
      }
      if (node.plan !== null && node.children.length < node.plan) {
        this.structure(
          node,
          lineNo,
          `${node.plan - node.children.length} of ${node.plan} planned subtests never reported before its result "${quote(text)}"`,
        );
      }
    } else {
      const earlier = secondResultOf(parent.node, number, name);
      if (earlier) {
        this.structure(earlier, lineNo, `a second result for it: "${quote(text)}"`);
        return this.note(text);
      }
      if (this.nodes >= MAX_NODES) return;
      this.beyondPlan(parent, lineNo, text);
      node = this.newNode('', parent.pendingFrom);
      node.log.push(...parent.pending);
      node.logDropped = parent.pendingDropped;
      parent.node.children.push(node);
    }
    if (comment) node.log.push(`# ${comment}`);
    if (node.name === '') node.name = name;
    node.result = m[1] as KtapResult;
    node.number = number;
    node.directive = directive;
    node.lastLine = lineNo;
    const expected = parent.node.children.indexOf(node) + 1;
    if (number !== expected) this.noteIssue(node, lineNo, `numbered ${number}, expected ${expected}: "${quote(text)}"`);
    this.resetPending(parent, lineNo + 1);
    const root = this.stack[0]!.node;
    if (parent.node === root && root.plan !== null && root.children.length >= root.plan) this.ended = true;
  }

  /** A new child of `parent` where its plan has no room left: the plan lied, or the line is not the test's. */
  private beyondPlan(parent: Open, lineNo: number, text: string): void {
    const plan = parent.node.plan;
    if (parent.planEnded) this.structure(parent.node, lineNo, `a test after its plan at the end: "${quote(text)}"`);
    else if (plan !== null && parent.node.children.length >= plan)
      this.structure(parent.node, lineNo, `a test beyond its plan of ${plan}: "${quote(text)}"`);
  }

  /**
   * A structural line after the document had every result it planned: it
   * touches the top-level test it names by number (a second result), or
   * the last one (a line at a deeper level), or the document itself.
   */
  private afterEnd(indent: number, text: string, lineNo: number): void {
    const root = this.stack[0]!.node;
    const result = RESULT.exec(text);
    const earlier = result && indent === 0 ? secondResultOf(root, Number(result[2]), splitDirective(result[3] ?? '').name) : null;
    const where = earlier ?? (indent > 0 ? (root.children.at(-1) ?? root) : root);
    this.structure(
      where,
      lineNo,
      earlier ? `a second result for it, after the document ended: "${quote(text)}"` : `a line after the document ended: "${quote(text)}"`,
    );
    if (where !== root) {
      if (where.log.length < MAX_LOG_LINES) where.log.push(text);
      else where.logDropped++;
    }
  }

  /** The test a line that cannot be placed touches: the deepest open test, or the top-level test last reported when none is open. */
  private touched(): KtapNode {
    const top = this.top();
    return top === this.stack[0] ? (top.node.children.at(-1) ?? top.node) : top.node;
  }

  /** A line that is not structure: it belongs to the next test to report at the deepest open level. */
  private note(text: string): void {
    const top = this.top();
    if (top.pending.length < MAX_LOG_LINES) top.pending.push(text);
    else top.pendingDropped++;
  }

  /** The deepest open test never reported: it keeps the lines it had, up to the last line read. */
  private closeUnfinished(): void {
    const open = this.stack.pop()!;
    open.node.unreported = { firstLine: open.pendingFrom, lastLine: this.lastLine, log: open.pending, logDropped: open.pendingDropped };
    open.pending = [];
    open.pendingDropped = 0;
    open.node.lastLine = this.lastLine;
    const parent = this.stack.at(-1);
    if (parent) this.resetPending(parent, this.lastLine + 1);
  }

  private keepPending(open: Open, node: KtapNode): void {
    const room = Math.max(0, MAX_LOG_LINES - node.log.length);
    node.log.push(...open.pending.slice(0, room));
    node.logDropped += open.pendingDropped + Math.max(0, open.pending.length - room);
    open.pending = [];
    open.pendingDropped = 0;
  }

  private resetPending(open: Open, from: number): void {
    open.pending = [];
    open.pendingDropped = 0;
    open.pendingFrom = from;
  }

  private top(): Open {
    return this.stack.at(-1)!;
  }

  private newNode(name: string, firstLine: number): KtapNode {
    this.nodes++;
    return {
      name,
      number: null,
      result: null,
      directive: null,
      plan: null,
      children: [],
      firstLine,
      lastLine: firstLine,
      log: [],
      logDropped: 0,
      unreported: null,
      issues: [],
    };
  }

  private structure(node: KtapNode, line: number, text: string): void {
    this.keep(node, { kind: 'structure', line, text });
  }

  private noteIssue(node: KtapNode, line: number, text: string): void {
    this.keep(node, { kind: 'note', line, text });
  }

  private keep(node: KtapNode, issue: KtapIssue): void {
    if (node.issues.length < MAX_NODE_ISSUES) node.issues.push(issue);
    this.issue(`line ${issue.line}: ${node.name ? `${node.name}: ` : ''}${issue.text}`);
  }

  private issue(text: string): void {
    if (this.issues.length < MAX_ISSUES) this.issues.push(text);
  }
}

/**
 * The child of `parent` a result line numbered `number` reports a second
 * time: the one already at that place with a result, of the same name
 * (or with no name on either side). null: a new test, numbered wrong or not.
 */
function secondResultOf(parent: KtapNode, number: number, name: string): KtapNode | null {
  const earlier = Number.isSafeInteger(number) && number >= 1 ? parent.children[number - 1] : undefined;
  if (!earlier || earlier.result === null) return null;
  return earlier.name === name || earlier.name === '' || name === '' ? earlier : null;
}

/** A line as an issue quotes it: cut, so that a runaway line does not fill a report. */
function quote(text: string): string {
  const trimmed = text.trim();
  return trimmed.length > QUOTE_CHARS ? `${trimmed.slice(0, QUOTE_CHARS)}...` : trimmed;
}

/**
 * "name # SKIP reason" into the name and the directive; "name # exit=1"
 * (kselftest's runner) into the name and a comment, as TAP reads " # ".
 */
function splitDirective(rest: string): { name: string; directive: KtapDirective | null; comment: string | null } {
  const m = DIRECTIVE.exec(rest);
  if (m)
    return { name: m[1]!.trim(), directive: { kind: m[2]!.toUpperCase() as KtapDirective['kind'], reason: m[3]!.trim() }, comment: null };
  const at = rest.search(/(?:^|\s)# /);
  return at < 0
    ? { name: rest.trim(), directive: null, comment: null }
    : {
        name: rest.slice(0, at).trim(),
        directive: null,
        comment: rest
          .slice(at)
          .replace(/^\s*# /, '')
          .trim(),
      };
}

const RESULT_LINE = /^(?:not )?ok \d/;

/**
 * The KTAP result lines a console shows, counted and checksummed the way
 * the guest agent does over the kernel's log (ktap-digest.c): the message
 * of every line that is a result, trimmed, each followed by a newline.
 */
export class KtapDigester {
  private results = 0;
  private crc = 0xffffffff;

  feed(line: string): void {
    const message = kernelMessage(line).trim();
    if (!RESULT_LINE.test(message)) return;
    this.results++;
    this.crc = crc32Update(this.crc, `${message}\n`);
  }

  digest(): { results: number; crc: number } {
    return { results: this.results, crc: (this.crc ^ 0xffffffff) >>> 0 };
  }
}

/** Reads a whole console's (or a program's output's) KTAP at once. */
export function parseKtap(lines: readonly string[], options: KtapReadOptions = {}): KtapObservation {
  const reader = new KtapReader(options);
  lines.forEach((line, i) => reader.feed(line, i + 1));
  return reader.finish();
}
