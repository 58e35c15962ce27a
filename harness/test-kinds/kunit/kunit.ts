/**
 * KUnit: the kernel's own unit tests, built in and run at boot before
 * init, their results printed as KTAP on the console.
 *
 * What it needs: its kunitconfig merged into the kernel's config after
 * the fragments (kernel/build.ts; part of the kernel's cache key), and on
 * the command line the filter and room in the kernel's log for the
 * results. How it reads results: the KTAP on the console
 * (console/ktap.ts), vouched for by the agent's ktap record, which counts
 * and checksums the result lines in the kernel's own log: a console that
 * lost, gained or replayed a result does not match, and never passes.
 */
import { describeIncident } from '../../console/incidents.js';
import type { KtapDocument, KtapIssue, KtapNode, KtapObservation } from '../../console/ktap.js';
import type { Incident, KtapDigest, KtapRecord } from '../../console/types.js';
import { childPath, distinctNames, globMatchesPath, testPath, unescapePart, type TestPath } from '../../matrix/test-path.js';
import type { Cell, KunitTestSpec, LeafExpectation, TolerableIncidentKind } from '../../matrix/types.js';
import { foldVerdicts, type UnjudgedNode } from '../../verdict/tree.js';
import { ownVerdict, worst } from '../tap-tree.js';

export const KUNIT = 'kunit';

/**
 * Room for KUnit's results in the kernel's log, so that the agent finds
 * every one of them there: some 80 times what lib/kunit and the core
 * library suites print (13 KB). The kernel zeroes its log's bookkeeping
 * at boot, about 4.5 times the log's size: under TCG a 4M log made the
 * parity kernel's boot some 20 ms slower than 1M or 512K did (medians of
 * 7). A larger one can follow in `boot: { append }`, which comes after
 * this on the command line, and the kernel takes the last.
 */
const LOG_BUFFER = '1M';

/** The kunit test of a cell, if it runs one. */
export function kunitTestOf(cell: Pick<Cell, 'tests'>): KunitTestSpec | null {
  return cell.tests.find((t): t is KunitTestSpec => t.kind === 'kunit') ?? null;
}

/**
 * What KUnit adds to a cell's kernel command line: its filter and a log
 * large enough for its results; on a kernel built with KUnit whose cell
 * runs no KUnit, kunit.enable=0, so that its suites do not run for nothing.
 */
export function kunitCommandLine(cell: Pick<Cell, 'tests' | 'kernel'>): string[] {
  const test = kunitTestOf(cell);
  if (!test) return cell.kernel.kunitconfig ? ['kunit.enable=0'] : [];
  return [`log_buf_len=${LOG_BUFFER}`, ...(test.filter ? [`kunit.filter_glob=${test.filter}`] : [])];
}

/**
 * The kunit.filter_glob= that runs at least every KUnit test a --test
 * glob names: `kunit.list-kunit-test.list_test_*` runs
 * `list-kunit-test.list_test_*`. A `*` of a test glob also matches dots,
 * the kernel's not: from a `*` on, the kernel's filter stays as wide as
 * the test glob can reach. undefined: the glob names no KUnit test; null:
 * it names them all (the matrix's own filter stands).
 */
export function kunitFilterFor(glob: string): string | null | undefined {
  const [first = '', ...rest] = glob.split('.');
  if (first !== KUNIT) return globMatchesPath(first, testPath(KUNIT)) ? null : undefined;
  const below = rest.join('.');
  const star = below.indexOf('*');
  const literal = star < 0 ? below : below.slice(0, star);
  if (literal === '') return null;
  const [suite = '', test, ...deeper] = literal.split('.');
  const names = (part: string) => part.split('*').map(unescapePart).join('*');
  const filter =
    test === undefined
      ? `${names(suite)}${star < 0 ? '' : '*'}`
      : `${names(suite)}.${names(test)}${deeper.length > 0 || star < 0 ? '' : '*'}`;
  // a name the command line cannot carry (a space): no narrowing rather than a wrong one
  return /^[\x21-\x7e]+$/.test(filter) ? filter : null;
}

/** The case names a kernel lists for a filter (kunit.action=list), suite by suite, when they are known. */
export type KunitListing = Map<string, string[]>;

export interface KunitReading {
  /** The kunit test's node; null when the console holds no KTAP to make one of. */
  node: UnjudgedNode | null;
  /** What makes the results untrustworthy or the run meaningless: the cell's error, never a pass. */
  untrusted: string[];
  /** Suites or cases that never reported: the kernel stopped in them. */
  crashed: boolean;
  /**
   * Kernel incidents the cell answers for: those printed outside every
   * test, and those inside a test that had failed already (a test expected
   * to fail does not excuse a report it printed; only may_print does).
   */
  outside: Incident[];
  /** Incidents that failed a test KUnit called ok: the cell's too when the tree is not believed. */
  held: Incident[];
}

export interface KunitReadOptions {
  filter: string | null;
  agentFinished: boolean;
  listing?: KunitListing;
  /** The cell's expect rules with `test:`: those with `may_print` let the tests they name print such reports. */
  rules?: readonly LeafExpectation[];
}

/**
 * The kunit node from what the console showed: KTAP, checked against the
 * agent's record; incidents printed inside a test are charged to it, and
 * fail it unless KUnit caught the fault or the matrix lets it print them.
 */
export function readKunit(
  ktap: KtapObservation,
  digest: KtapDigest,
  record: KtapRecord | null,
  incidents: readonly Incident[],
  options: KunitReadOptions,
): KunitReading {
  const untrusted: string[] = [];
  const doc = ktap.documents.at(-1);
  if (ktap.documents.length > 1) untrusted.push(`the console holds ${ktap.documents.length} KTAP documents where a boot prints one`);
  if (options.agentFinished) untrusted.push(...checkDigest(digest, record));
  if (!doc) {
    if (options.agentFinished) {
      untrusted.push('the kernel printed no KTAP: KUnit is not built in (was the kunitconfig merged?) or kunit.enable=0');
    }
    return { node: null, untrusted, crashed: false, outside: [...incidents], held: [] };
  }
  if (doc.root.plan === 0) {
    untrusted.push(
      options.filter
        ? `kunit.filter_glob=${options.filter} matches no suite this kernel has`
        : 'the kernel has no KUnit suite built in (KTAP plan 1..0)',
    );
  }
  const root = testPath(KUNIT);
  const ctx: Reading = {
    incidents,
    charged: new Set(),
    held: new Set(),
    escalated: new Set(),
    rules: options.rules ?? [],
    absentBudget: MAX_ABSENT,
  };
  const missing = missingSuites(doc);
  const last = doc.root.children.at(-1)?.name;
  const begun = new Set(doc.root.children.map((s) => s.name));
  // the suites the kernel never began, named by its own listing: each case a leaf that never ran
  const neverBegun = missing > 0 && options.listing ? [...options.listing].filter(([suite]) => !begun.has(suite)).slice(0, missing) : [];
  const names = distinctNames([...doc.root.children, ...neverBegun.map(([name]) => ({ name }))]);
  const suites = doc.root.children.map((suite, i) => nodeOf(suite, names[i]!, root, ctx, options.listing?.get(suite.name)));
  const stopped = last ? `the kernel stopped in ${last} before it` : 'the kernel stopped before it';
  neverBegun.forEach(([, cases], i) => {
    const path = childPath(root, names[doc.root.children.length + i]!);
    const children = distinctNames(cases.map((name) => ({ name }))).map((c) => crashedLeaf(c, path, `never ran: ${stopped}`));
    suites.push({
      name: names[doc.root.children.length + i]!,
      path,
      verdict: 'crashed',
      reasons: children.length ? [] : [`never ran: ${stopped}`],
      log: [],
      children,
    });
  });
  const reasons = doc.root.issues.filter((i) => i.kind === 'structure').map(issueText);
  if (missing > neverBegun.length) {
    reasons.push(
      `${missing - neverBegun.length} of ${doc.root.plan} suites never ran${last ? ` (the kernel stopped after suite ${last})` : ''}`,
    );
  }
  const crashed = suites.some(hasCrash) || (missing > 0 && !options.agentFinished);
  const verdicts = suites.map((s) => s.verdict);
  const brokenRoot = doc.root.issues.some((i) => i.kind === 'structure');
  if (brokenRoot) for (const suite of suites) distrust(suite, 'the KUnit document does not add up');
  const node: UnjudgedNode = {
    name: KUNIT,
    path: root,
    verdict:
      brokenRoot || (missing > neverBegun.length && !options.agentFinished)
        ? 'crashed'
        : foldVerdicts(verdicts.length ? verdicts : ['skip']),
    reasons,
    log: [],
    lines: [doc.line, doc.root.lastLine],
    children: suites,
  };
  return {
    node,
    untrusted,
    crashed: crashed || brokenRoot,
    outside: incidents.filter((i) => !ctx.charged.has(i) || ctx.escalated.has(i)),
    held: incidents.filter((i) => ctx.held.has(i)),
  };
}

/**
 * Whether the console's KTAP has tests a crash cut off that only the
 * kernel's own listing can name: a test that was running with no result,
 * one whose result came before its plan was met, or planned tests that
 * never began.
 */
export function crashNeedsNames(ktap: KtapObservation): boolean {
  const doc = ktap.documents.at(-1);
  if (!doc) return false;
  const unnamed = (node: KtapNode): boolean =>
    (node.plan !== null && node.children.length < node.plan) ||
    (node.unreported !== null && node.plan === null) ||
    node.children.some(unnamed);
  return missingSuites(doc) > 0 || doc.root.children.some(unnamed);
}

/** Why the console's KTAP cannot be taken for what the kernel logged, if it cannot. */
function checkDigest(digest: KtapDigest, record: KtapRecord | null): string[] {
  if (!record) return ["the agent did not report the KTAP in the kernel's log (an agent without the ktap record?)"];
  if (record.lost)
    return [
      `the kernel's log lost its first lines before the agent read it: its KTAP cannot be checked (the log holds ${LOG_BUFFER}: give it more with boot: { append: "log_buf_len=16M" })`,
    ];
  if (record.results === digest.results && record.crc === digest.crc) return [];
  return [
    record.results === digest.results
      ? `the console's ${digest.results} KTAP result lines differ from those in the kernel's log (another boot's, or damaged)`
      : `the console shows ${digest.results} KTAP result lines, the kernel logged ${record.results} (lines lost on the console, a loglevel that hides KERN_INFO, or another boot's KTAP)`,
  ];
}

/** Planned top-level tests that never began. */
function missingSuites(doc: KtapDocument): number {
  return Math.max(0, (doc.root.plan ?? 0) - doc.root.children.length);
}

function hasCrash(node: UnjudgedNode): boolean {
  return node.verdict === 'crashed' || node.children.some(hasCrash);
}

/** What every node of one reading shares: the console's incidents, those already charged to a test, the matrix's rules. */
interface Reading {
  incidents: readonly Incident[];
  /** Incidents attached to a test already: its ancestors do not take them again. */
  charged: Set<Incident>;
  /** Those that failed a test KUnit called ok. */
  held: Set<Incident>;
  /** Those printed inside a test that had failed already: the cell's. */
  escalated: Set<Incident>;
  rules: readonly LeafExpectation[];
  /** How many more never-reported tests may be made leaves: a plan is the kernel's word, and may be any number. */
  absentBudget: number;
}

/** At most this many tests a plan promised and no result gave are leaves, in a whole reading. */
const MAX_ABSENT = 100_000;

function nodeOf(ktap: KtapNode, name: string, parent: TestPath, ctx: Reading, listed?: string[]): UnjudgedNode {
  const path = childPath(parent, name);
  const reasons: string[] = [];
  const log = [...ktap.log];
  let verdict = ownVerdict(ktap);
  if (ktap.result === 'not ok') reasons.push(diagnostic(ktap.log) ?? 'reported not ok');
  if (ktap.directive?.kind === 'SKIP') reasons.push(`skipped${ktap.directive.reason ? `: ${ktap.directive.reason}` : ''}`);
  const broken = ktap.issues.filter((i) => i.kind === 'structure');
  if (broken.length > 0) {
    // its results cannot be taken as printed: as kunit.py, a test whose structure does not add up crashed
    verdict = 'crashed';
    reasons.unshift(...broken.map(issueText));
  }
  const notes = ktap.issues.filter((i) => i.kind === 'note').map(issueText);

  // the tests it planned that never reported: named when the kernel's listing knows them, else by number
  const reported = ktap.children.length;
  const planned = ktap.plan ?? reported;
  const listedNames = listed ?? [];
  const unreported = ktap.unreported && (ktap.result === null || reported < planned) ? ktap.unreported : null;
  const runningName = unreported ? listedNames[reported] : undefined;
  const absent: { name: string; why: string }[] = [];
  if (runningName !== undefined) {
    absent.push({ name: runningName, why: 'never reported: the kernel stopped inside it (its console lines are the last it printed)' });
    for (const c of listedNames.slice(reported + 1, Math.max(planned, listedNames.length)))
      absent.push({ name: c, why: `never ran: the kernel stopped in ${runningName} before it` });
  } else if (unreported) {
    const left = planned - reported;
    reasons.unshift(
      left > 0
        ? `${left} of ${planned} subtests never reported: the kernel stopped after ${ktap.children.at(-1)?.name ?? 'its start'} (its console lines are the last it printed)`
        : 'never reported: the kernel stopped inside it (its console lines are the last it printed)',
    );
    log.push(...unreported.log);
    verdict = 'crashed';
  } else if (ktap.result !== null && reported < planned) {
    const shown = Math.min(planned - reported, ctx.absentBudget);
    ctx.absentBudget -= shown;
    for (let k = reported; k < reported + shown; k++)
      absent.push({ name: listedNames[k] ?? `#${k + 1}`, why: `never reported: ${ktap.name || 'its test'}'s result line came before it` });
    if (shown < planned - reported) reasons.push(`${planned - reported - shown} more planned tests never reported (not listed one by one)`);
  }
  const names = distinctNames([...ktap.children, ...absent]);
  const children = ktap.children.map((c, i) => nodeOf(c, names[i]!, path, ctx));
  absent.forEach((a, i) => {
    const leaf = crashedLeaf(names[reported + i]!, path, a.why);
    if (i === 0 && runningName !== undefined && unreported) {
      // the case that was running keeps the lines it printed, and the trouble in them
      Object.assign(leaf, {
        log: unreported.log,
        ...(unreported.logDropped ? { logDropped: unreported.logDropped } : {}),
        lines: [unreported.firstLine, unreported.lastLine],
      });
      charge(leaf, null, ctx);
    }
    children.push(leaf);
  });
  // a test whose KTAP does not add up vouches for none of its subtests: a line printed among them may have taken another's place;
  // without a plan (6.1's parameterised cases) a subtest numbered out of place is the only sign of one
  const misnumbered =
    ktap.plan === null && ktap.children.some((c) => c.issues.some((i) => i.kind === 'note' && i.text.startsWith('numbered ')));
  if (broken.length > 0) for (const c of children) distrust(c, `${ktap.name || 'its test'}'s KTAP does not add up`);
  else if (misnumbered) for (const c of children) distrust(c, `${ktap.name || 'its test'} has no plan and a subtest numbered out of place`);
  const node: UnjudgedNode = {
    name,
    path,
    verdict: children.length > 0 && verdict !== 'crashed' ? worst(foldVerdicts(children.map((c) => c.verdict)), verdict) : verdict,
    reasons,
    log,
    ...(ktap.logDropped ? { logDropped: ktap.logDropped } : {}),
    ...(notes.length ? { notes } : {}),
    lines: [ktap.firstLine, ktap.lastLine],
    children,
  };
  charge(node, ktap, ctx);
  return node;
}

/** A test under one whose KTAP does not add up: what it reported is not believed, so it cannot pass or skip. */
function distrust(node: UnjudgedNode, why: string): void {
  if (node.verdict === 'pass' || node.verdict === 'skip') {
    node.verdict = 'crashed';
    node.reasons.unshift(`not believed: ${why}`);
  }
  for (const c of node.children) distrust(c, why);
}

function crashedLeaf(name: string, parent: TestPath, why: string): UnjudgedNode {
  return { name, path: childPath(parent, name), verdict: 'crashed', reasons: [why], log: [], children: [] };
}

/** "line 412: numbered 3, expected 2: ..." */
function issueText(issue: KtapIssue): string {
  return `console line ${issue.line}: ${issue.text}`;
}

/** KUnit's first diagnostic of a failure: "# case: EXPECTATION FAILED at lib/list-test.c:26". */
function diagnostic(log: readonly string[]): string | null {
  const line = log.find((l) => /^# .*(FAILED|failed|error|Error)/.test(l)) ?? log.find((l) => l.startsWith('# '));
  return line ? line.slice(2) : null;
}

/**
 * Incidents that lie in the node's lines and no deeper test's: kept on the
 * node, not the cell. A panic never is: the kernel does not come back
 * from one, whatever test it hit. One that KUnit did not catch and the
 * matrix does not let the test print fails a test that reported ok.
 */
function charge(node: UnjudgedNode, ktap: KtapNode | null, ctx: Reading): void {
  if (!node.lines) return;
  const [first, last] = node.lines;
  const mine = ctx.incidents.filter((i) => i.kind !== 'panic' && !ctx.charged.has(i) && i.line >= first && i.line <= last);
  if (mine.length === 0) return;
  for (const i of mine) ctx.charged.add(i);
  node.incidents = mine.map(({ kind, line, summary }) => ({ kind, line, summary }));
  const held = mine.filter((i) => !(ktap && caughtByKunit(i, ktap)) && !mayPrint(i, node.path, ctx.rules));
  if (held.length === 0) return;
  if (node.verdict !== 'pass' && node.verdict !== 'skip') {
    // it failed already: the report is not explained by that failure (an expected one hides nothing)
    for (const i of held) ctx.escalated.add(i);
    return;
  }
  for (const i of held) ctx.held.add(i);
  // a test the matrix expects to fail must not fail by a report instead, as expected
  if (ctx.rules.some((r) => r.verdict === 'fail' && globMatchesPath(r.test, node.path))) for (const i of held) ctx.escalated.add(i);
  node.verdict = 'fail';
  node.reasons.unshift(...held.map((i) => `${describeIncident(i)} (printed while it ran)`));
}

/**
 * A fault KUnit caught on purpose (6.12's kunit_fault): an Oops or BUG of
 * KUnit's try-catch thread, in a case that says KUnit's `try faulted`.
 */
function caughtByKunit(incident: Incident, ktap: KtapNode): boolean {
  if (incident.kind !== 'oops' && incident.kind !== 'bug') return false;
  return (
    incident.excerpt.some((l) => /\bComm: kunit_try_catch\b/.test(l)) && ktap.log.some((l) => l.startsWith(`# ${ktap.name}: try faulted`))
  );
}

/** Whether an expect rule with `may_print` lets this test (or a test it lies in) print this kind of report. */
function mayPrint(incident: Incident, path: TestPath, rules: readonly LeafExpectation[]): boolean {
  return rules.some((r) => r.mayPrint?.includes(incident.kind as TolerableIncidentKind) && globMatchesPath(r.test, path));
}
