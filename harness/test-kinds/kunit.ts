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
import type { Incident, KtapDigest, KtapRecord } from '../console/types.js';
import type { KtapDocument, KtapNode, KtapObservation } from '../console/ktap.js';
import { childPath, globMatchesPath, testPath, unescapePart, type TestPath } from '../matrix/test-path.js';
import type { Cell, KunitTestSpec } from '../matrix/types.js';
import { foldVerdicts, type UnjudgedNode } from '../verdict/tree.js';
import { ownVerdict, worst } from './tap-tree.js';

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
  /** Kernel incidents printed outside every test: the cell's own. */
  outside: Incident[];
}

/**
 * The kunit node from what the console showed: KTAP, checked against the
 * agent's record; incidents printed inside a test are charged to it.
 */
export function readKunit(
  ktap: KtapObservation,
  digest: KtapDigest,
  record: KtapRecord | null,
  incidents: readonly Incident[],
  options: { filter: string | null; agentFinished: boolean; listing?: KunitListing },
): KunitReading {
  const untrusted: string[] = [];
  const doc = ktap.documents.at(-1);
  if (ktap.documents.length > 1) untrusted.push(`the console holds ${ktap.documents.length} KTAP documents where a boot prints one`);
  if (options.agentFinished) untrusted.push(...checkDigest(digest, record));
  if (!doc) {
    if (options.agentFinished) {
      untrusted.push('the kernel printed no KTAP: KUnit is not built in (was the kunitconfig merged?) or kunit.enable=0');
    }
    return { node: null, untrusted, crashed: false, outside: [...incidents] };
  }
  if (doc.root.plan === 0) {
    untrusted.push(
      options.filter
        ? `kunit.filter_glob=${options.filter} matches no suite this kernel has`
        : 'the kernel has no KUnit suite built in (KTAP plan 1..0)',
    );
  }
  const root = testPath(KUNIT);
  const charged = new Set<Incident>();
  const suites = doc.root.children.map((suite) => nodeOf(suite, root, incidents, charged, options.listing?.get(suite.name)));
  const missing = missingSuites(doc);
  const last = doc.root.children.at(-1)?.name;
  const reasons: string[] = [];
  if (missing > 0 && options.listing) {
    // the suites the kernel never began, named by its own listing: each case a leaf that never ran
    const begun = new Set(doc.root.children.map((s) => s.name));
    const stopped = last ? `the kernel stopped in ${last} before it` : 'the kernel stopped before it';
    for (const [name, cases] of [...options.listing].filter(([suite]) => !begun.has(suite)).slice(0, missing)) {
      const path = childPath(root, name);
      const children = cases.map((c): UnjudgedNode => ({ name: c, path: childPath(path, c), verdict: 'crashed', reasons: [`never ran: ${stopped}`], log: [], children: [] }));
      suites.push({ name, path, verdict: 'crashed', reasons: children.length ? [] : [`never ran: ${stopped}`], log: [], children });
    }
  }
  const named = suites.length - doc.root.children.length;
  if (missing > named) {
    reasons.push(`${missing - named} of ${doc.root.plan} suites never ran${last ? ` (the kernel stopped after suite ${last})` : ''}`);
  }
  const crashed = suites.some(hasCrash) || (missing > 0 && !options.agentFinished);
  const verdicts = suites.map((s) => s.verdict);
  const node: UnjudgedNode = {
    name: KUNIT,
    path: root,
    verdict: missing > named && !options.agentFinished ? 'crashed' : foldVerdicts(verdicts.length ? verdicts : ['skip']),
    reasons,
    log: [],
    lines: [doc.line, doc.root.lastLine],
    children: suites,
  };
  return { node, untrusted, crashed, outside: incidents.filter((i) => !charged.has(i)) };
}

/**
 * Whether the console's KTAP has tests a crash cut off that only the
 * kernel's own listing can name: a test that was running with no result,
 * or planned tests that never began.
 */
export function crashNeedsNames(ktap: KtapObservation): boolean {
  const doc = ktap.documents.at(-1);
  if (!doc) return false;
  const unnamed = (node: KtapNode): boolean =>
    (node.unreported !== null && (node.plan === null || node.children.length < node.plan)) || node.children.some(unnamed);
  return missingSuites(doc) > 0 || doc.root.children.some(unnamed);
}

/** Why the console's KTAP cannot be taken for what the kernel logged, if it cannot. */
function checkDigest(digest: KtapDigest, record: KtapRecord | null): string[] {
  if (!record) return ['the agent did not report the KTAP in the kernel\'s log (an agent without the ktap record?)'];
  if (record.lost) return [`the kernel's log lost its first lines before the agent read it: its KTAP cannot be checked (the log holds ${LOG_BUFFER}: give it more with boot: { append: "log_buf_len=16M" })`];
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

function nodeOf(ktap: KtapNode, parent: TestPath, incidents: readonly Incident[], charged: Set<Incident>, listed?: string[]): UnjudgedNode {
  const path = childPath(parent, ktap.name || `#${ktap.number ?? '?'}`);
  // deeper nodes take their incidents first: the innermost test a line lies in owns it
  const children = ktap.children.map((c) => nodeOf(c, path, incidents, charged));
  const reasons: string[] = [];
  const log = [...ktap.log];
  let verdict = ownVerdict(ktap);
  if (ktap.result === 'not ok') reasons.push(diagnostic(ktap.log) ?? 'reported not ok');
  if (ktap.directive?.kind === 'SKIP') reasons.push(`skipped${ktap.directive.reason ? `: ${ktap.directive.reason}` : ''}`);

  const reported = ktap.children.length;
  const planned = ktap.plan ?? reported;
  if (ktap.unreported && (ktap.result === null || reported < planned)) {
    // the test that was running when the kernel stopped: named when a listing knows it
    const names = listed ?? [];
    const runningName = names[reported];
    const unreported = ktap.unreported;
    const crashLog = unreported.log;
    if (runningName !== undefined) {
      const crashedLeaf: UnjudgedNode = {
        name: runningName,
        path: childPath(path, runningName),
        verdict: 'crashed',
        reasons: ['never reported: the kernel stopped inside it (its console lines are the last it printed)'],
        log: crashLog,
        ...(unreported.logDropped ? { logDropped: unreported.logDropped } : {}),
        lines: [unreported.firstLine, unreported.lastLine],
        children: [],
      };
      charge(crashedLeaf, incidents, charged);
      children.push(crashedLeaf);
      for (const name of names.slice(reported + 1, Math.max(planned, names.length))) {
        children.push({ name, path: childPath(path, name), verdict: 'crashed', reasons: [`never ran: the kernel stopped in ${runningName} before it`], log: [], children: [] });
      }
    } else if (planned > reported || ktap.result === null) {
      const left = planned - reported;
      reasons.unshift(
        left > 0
          ? `${left} of ${planned} subtests never reported: the kernel stopped after ${ktap.children.at(-1)?.name ?? 'its start'} (its console lines are the last it printed)`
          : 'never reported: the kernel stopped inside it (its console lines are the last it printed)',
      );
      log.push(...crashLog);
      verdict = 'crashed';
    }
  }
  const node: UnjudgedNode = {
    name: ktap.name,
    path,
    verdict: children.length > 0 && verdict !== 'crashed' ? worst(foldVerdicts(children.map((c) => c.verdict)), verdict) : verdict,
    reasons,
    log,
    ...(ktap.logDropped ? { logDropped: ktap.logDropped } : {}),
    lines: [ktap.firstLine, ktap.lastLine],
    children,
  };
  charge(node, incidents, charged);
  return node;
}

/** KUnit's first diagnostic of a failure: "# case: EXPECTATION FAILED at lib/list-test.c:26". */
function diagnostic(log: readonly string[]): string | null {
  const line = log.find((l) => /^# .*(FAILED|failed|error|Error)/.test(l)) ?? log.find((l) => l.startsWith('# '));
  return line ? line.slice(2) : null;
}

/**
 * Incidents that lie in the node's lines and no deeper test's: kept on the
 * node, not the cell. A panic never is: the kernel does not come back
 * from one, whatever test it hit.
 */
function charge(node: UnjudgedNode, incidents: readonly Incident[], charged: Set<Incident>): void {
  if (!node.lines) return;
  const [first, last] = node.lines;
  const mine = incidents.filter((i) => i.kind !== 'panic' && !charged.has(i) && i.line >= first && i.line <= last);
  if (mine.length === 0) return;
  for (const i of mine) charged.add(i);
  node.incidents = mine.map(({ kind, line, summary }) => ({ kind, line, summary }));
}
