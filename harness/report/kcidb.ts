/**
 * A run as one KCIDB v5.3 submission, KernelCI's common results format,
 * rendered from results.json like every other report: a checkout per
 * source and patch set, a build per kernel, a test per cell, per boot of
 * a repeated cell and per node of its tree below the test kinds (the
 * probe's devices, KUnit's suites and cases), and the matrix's expected
 * failures as issues with an incident on each test they are expected in.
 *
 * Ids are `<origin>:<run id>:…` (the same on every render of a run, new
 * for every run), except an issue's, which names the matrix and the
 * reason only, so that every nightly's incidents point at one issue.
 */
import { sha256 } from '../kernel/keys.js';
import { escapePart } from '../matrix/test-path.js';
import { FAILING, judgedAlone, nodesOf, type TestVerdict } from '../verdict/tree.js';
import type { Verdict } from '../verdict/types.js';
import { describeExpectedBy } from './expectation-text.js';
import type { CellRecord, KernelRecord, RunResults } from './types.js';

export const KCIDB_VERSION = { major: 5, minor: 3 } as const;
/** KCIDB's cap on a log excerpt, in characters. */
const EXCERPT_MAX = 16384;

type Status = 'PASS' | 'FAIL' | 'ERROR' | 'MISS' | 'SKIP';

/** A file of the published run folder, as KCIDB names one. */
export interface KcidbResource {
  name: string;
  url: string;
}

export interface KcidbOptions {
  /** The `<origin>` of every id. */
  origin: string;
  /** Where the run folder is published (ends in `/`): files of it become links. */
  baseUrl?: string;
}

export interface KcidbCheckout {
  id: string;
  origin: string;
  start_time: string;
  valid: boolean;
  patchset_hash?: string;
  patchset_files?: KcidbResource[];
  git_commit_hash?: string;
  git_repository_url?: string;
  misc: Record<string, unknown>;
}

export interface KcidbBuild {
  id: string;
  origin: string;
  checkout_id: string;
  start_time: string;
  architecture: string;
  config_name: string;
  status: Status;
  compiler?: string;
  duration?: number;
  log_url?: string;
  log_excerpt?: string;
  input_files?: KcidbResource[];
  output_files?: KcidbResource[];
  misc: Record<string, unknown>;
}

export interface KcidbTest {
  id: string;
  origin: string;
  build_id: string;
  path: string;
  status: Status;
  start_time: string;
  duration?: number;
  environment: { comment: string; misc: Record<string, unknown> };
  log_url?: string;
  log_excerpt?: string;
  misc: Record<string, unknown>;
}

export interface KcidbIssue {
  id: string;
  version: number;
  origin: string;
  comment: string;
  culprit: { code: boolean; tool: boolean; harness: boolean };
  misc: Record<string, unknown>;
}

export interface KcidbIncident {
  id: string;
  origin: string;
  issue_id: string;
  issue_version: number;
  test_id: string;
  present: boolean;
}

export interface KcidbSubmission {
  version: typeof KCIDB_VERSION;
  checkouts: KcidbCheckout[];
  builds: KcidbBuild[];
  tests: KcidbTest[];
  issues: KcidbIssue[];
  incidents: KcidbIncident[];
}

/** The submission as the file holds it. */
export function renderKcidb(results: RunResults, options: KcidbOptions): string {
  return `${JSON.stringify(kcidbSubmission(results, options), null, 2)}\n`;
}

export function kcidbSubmission(results: RunResults, options: KcidbOptions): KcidbSubmission {
  const { origin } = options;
  const link = linker(options.baseUrl);
  const local = (...parts: string[]) => `${origin}:${results.runId}:${parts.join(':')}`;
  const kernels = new Map(results.kernels.map((k) => [k.id, k]));
  const builds: KcidbBuild[] = [];
  const checkouts = new Map<string, KcidbCheckout>();
  const built = new Set<string>();
  const buildOf = (kernelId: string): string => {
    const id = local('build', kernelId);
    if (built.has(id)) return id;
    built.add(id);
    const kernel = kernels.get(kernelId);
    const checkout = checkoutOf(kernel, kernelId, results.startedAt, origin, local, link);
    const known = checkouts.get(checkout.id);
    if (known) (known.misc.kernels as string[]).push(kernelId);
    else checkouts.set(checkout.id, checkout);
    builds.push(kernelBuild(kernel, kernelId, id, checkout.id, results.startedAt, origin, link));
    return id;
  };
  for (const kernel of results.kernels) buildOf(kernel.id);

  const tests: KcidbTest[] = [];
  const issues = new Map<string, KcidbIssue>();
  const incidents: KcidbIncident[] = [];
  const expectIssue = (testId: string, why: string | undefined, present: boolean) => {
    const issueId = `${origin}:${sha256(`${results.matrix.name}\n${why ?? ''}`).slice(0, 16)}`;
    if (!issues.has(issueId)) {
      issues.set(issueId, {
        id: issueId,
        version: 1,
        origin,
        comment: why ?? `expected to fail in matrix ${results.matrix.name}`,
        culprit: { code: true, tool: false, harness: false },
        misc: { matrix: results.matrix.name },
      });
    }
    incidents.push({ id: `${testId}:incident`, origin, issue_id: issueId, issue_version: 1, test_id: testId, present });
  };

  for (const cell of results.cells) {
    const buildId = buildOf(cell.kernel);
    const path = cellPath(results.matrix.name, cell);
    const test = cellTest(cell, local('test', cell.id), buildId, path, results.startedAt, origin, link);
    tests.push(test);
    if (cell.expected === 'fail') expectIssue(test.id, cell.expectedWhy, cell.verdict === 'fail');
    if (cell.repeats && cell.repeats.length > 1) {
      // a boot's log is its own reasons, not the cell's
      const { log_excerpt: _cellLog, ...shared } = test;
      for (const boot of cell.repeats) {
        tests.push({
          ...shared,
          id: local('test', cell.id, 'boot', String(boot.boot)),
          status: cellStatus(boot.verdict, boot.console === null, boot.interrupted === true),
          start_time: boot.startedAt ?? test.start_time,
          ...(boot.bootMs !== null ? { duration: boot.bootMs / 1000 } : {}),
          ...logUrl(link, boot.console),
          ...excerpt(boot.reasons),
          misc: { cell: cell.id, boot: boot.boot, verdict: boot.verdict, status: boot.status },
        });
      }
    }
    // below the test kinds (probe, kunit), whose outcome is the cell's own test
    for (const node of nodesOf(cell.tests ?? []).filter((n) => n.path.includes('.'))) {
      const id = local('test', cell.id, node.path);
      tests.push({
        id,
        origin,
        build_id: buildId,
        path: `${path}.${node.path}`,
        status: nodeStatus(node.verdict),
        // KTAP gives no time per case: a case's test starts with its boot
        start_time: test.start_time,
        environment: test.environment,
        ...logUrl(link, cell.console),
        ...excerpt([...node.reasons, ...node.log]),
        misc: {
          cell: cell.id,
          verdict: node.verdict,
          expected: node.expected,
          ...(node.expectedWhy ? { why: node.expectedWhy } : {}),
          ...(node.expectedBy ? { expected_by: describeExpectedBy(node.expectedBy) } : {}),
          status: node.status,
          ...(node.notes?.length ? { notes: node.notes } : {}),
        },
      });
      // the cell's rule covers failed tests, not again the suites that hold them
      const coveredSuite = node.expectedBy?.scope === 'cell' && !judgedAlone(node);
      if (node.expected === 'fail' && !coveredSuite) expectIssue(id, node.expectedWhy, FAILING.has(node.verdict));
    }
  }
  return { version: KCIDB_VERSION, checkouts: [...checkouts.values()], builds, tests, issues: [...issues.values()], incidents };
}

/** `kvmatrix.<matrix>.<vmm>.<transport>`, each part escaped as the tree's paths are. */
export function cellPath(matrix: string, cell: Pick<CellRecord, 'vmm' | 'transport'>): string {
  return ['kvmatrix', matrix, cell.vmm, cell.transport].map(escapePart).join('.');
}

/** KCIDB's patchset hash: sha256 over each patch's sha256 and a newline, in order; empty for none. */
export function patchsetHash(patchHashes: readonly string[]): string {
  return patchHashes.length === 0 ? '' : sha256(patchHashes.map((h) => `${h}\n`).join(''));
}

/** A run-folder path as a link below the base URL, each part escaped; no link without a base URL. */
type Linker = (path: string | null | undefined) => string | undefined;

function linker(baseUrl: string | undefined): Linker {
  return (path) => (baseUrl && path ? new URL(path.split('/').map(encodeURIComponent).join('/'), baseUrl).href : undefined);
}

/** Files as KCIDB resources, named by their file names; those without a link are left out. */
function resources(link: Linker, paths: readonly (string | null | undefined)[]): KcidbResource[] {
  return paths.flatMap((path) => {
    const url = link(path);
    return url && path ? [{ name: path.split('/').pop()!, url }] : [];
  });
}

function logUrl(link: Linker, path: string | null | undefined): { log_url?: string } {
  const url = link(path);
  return url ? { log_url: url } : {};
}

function checkoutOf(
  kernel: KernelRecord | undefined,
  kernelId: string,
  startTime: string,
  origin: string,
  local: (...parts: string[]) => string,
  link: Linker,
): KcidbCheckout {
  const patches = kernel?.patches;
  const hash = patches ? patchsetHash(patches.map((p) => p.sha256)) : undefined;
  const source = kernel?.source ?? `unknown:${kernelId}`;
  const commit = /^git:([0-9a-f]{40})/.exec(source)?.[1];
  // every patch of the set, or none: a partial list would misname the set
  const files =
    patches && patches.length > 0 && patches.every((p) => p.path)
      ? resources(
          link,
          patches.map((p) => p.path),
        )
      : [];
  return {
    id: local('checkout', sha256(`${source}\n${hash ?? `unrecorded:${kernelId}`}`).slice(0, 16)),
    origin,
    start_time: startTime,
    // patches that did not apply, or a source that could not be had
    valid: !(kernel && !kernel.ok && (kernel.stage === 'source' || kernel.stage === 'patch')),
    ...(hash !== undefined ? { patchset_hash: hash } : {}),
    ...(files.length === patches?.length && files.length > 0 ? { patchset_files: files } : {}),
    ...(commit ? { git_commit_hash: commit } : {}),
    ...(commit && kernel?.commit?.repository ? { git_repository_url: kernel.commit.repository } : {}),
    misc: { source, ...(patches ? { patches: patches.map((p) => ({ file: p.file, direction: p.direction })) } : {}), kernels: [kernelId] },
  };
}

function kernelBuild(
  kernel: KernelRecord | undefined,
  kernelId: string,
  id: string,
  checkoutId: string,
  startTime: string,
  origin: string,
  link: Linker,
): KcidbBuild {
  const base = { id, origin, checkout_id: checkoutId, start_time: startTime, architecture: 'arm64', config_name: kernelId };
  // a kernel no cell of this run got to: the run never asked for it
  if (!kernel) return { ...base, status: 'SKIP', misc: { kernel: kernelId, note: 'not built: no cell of it ran' } };
  const status: Status = kernel.ok
    ? 'PASS'
    : kernel.ended === 'interrupted' || kernel.stage === 'source' || kernel.stage === 'toolchain'
      ? 'ERROR'
      : 'FAIL';
  return {
    ...base,
    status,
    duration: kernel.durationMs / 1000,
    // the compiler's part of the toolchain line ("aarch64-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0 | GNU ld ...")
    ...(kernel.toolchain ? { compiler: kernel.toolchain.split(' | ')[0]! } : {}),
    ...logUrl(link, kernel.artifacts?.buildLog),
    ...nonEmpty('input_files', resources(link, [kernel.artifacts?.config])),
    ...nonEmpty('output_files', resources(link, [kernel.artifacts?.image])),
    ...(kernel.ok
      ? {}
      : excerpt([...(kernel.message ? [`${kernel.stage ?? 'build'}: ${kernel.message}`] : []), ...(kernel.logTail ?? [])])),
    misc: {
      kernel: kernelId,
      ...(kernel.key ? { key: kernel.key } : {}),
      ...(kernel.cached !== undefined ? { cached: kernel.cached } : {}),
    },
  };
}

function nonEmpty<K extends string>(key: K, list: KcidbResource[]): Partial<Record<K, KcidbResource[]>> {
  return list.length > 0 ? ({ [key]: list } as Record<K, KcidbResource[]>) : {};
}

function cellTest(cell: CellRecord, id: string, buildId: string, path: string, startTime: string, origin: string, link: Linker): KcidbTest {
  return {
    id,
    origin,
    build_id: buildId,
    path,
    status: cellStatus(cell.verdict, cell.console === null, cell.interrupted === true),
    // a cell that never booted starts with the run
    start_time: cell.timings.startedAt ?? startTime,
    ...(cell.timings.bootMs !== null ? { duration: cell.timings.bootMs / 1000 } : {}),
    environment: {
      comment: `${cell.vmmType} (${cell.vmm}), ${cell.transport} virtio-pci, ${cell.topology} topology`,
      misc: { vmm: cell.vmm, vmm_type: cell.vmmType, transport: cell.transport, topology: cell.topology },
    },
    ...logUrl(link, cell.console),
    ...excerpt(cell.reasons),
    misc: {
      cell: cell.id,
      kernel: cell.kernel,
      verdict: cell.verdict,
      expected: cell.expected,
      ...(cell.expectedWhy ? { why: cell.expectedWhy } : {}),
      ...(cell.expectedBy ? { expected_by: describeExpectedBy(cell.expectedBy) } : {}),
      status: cell.status,
      devices: cell.devices.map((d) => ({
        name: d.name,
        bar0: d.bar0,
        driver: d.virtioDriver ?? d.pciDriver,
        status: d.statusNames.join('|') || null,
      })),
    },
  };
}

/** A cell's verdict as KCIDB's status: a cell the harness could not run at all is MISS. */
function cellStatus(verdict: Verdict, neverBooted: boolean, interrupted: boolean): Status {
  if (interrupted || (verdict === 'error' && neverBooted)) return 'MISS';
  const map: Record<Verdict, Status> = { pass: 'PASS', fail: 'FAIL', flaky: 'FAIL', error: 'ERROR', timeout: 'ERROR', skip: 'SKIP' };
  return map[verdict];
}

/** A case that crashed, hung or went either way is a failure of the case; a timeout, of its run. */
function nodeStatus(verdict: TestVerdict): Status {
  const map: Record<TestVerdict, Status> = { pass: 'PASS', fail: 'FAIL', crashed: 'FAIL', flaky: 'FAIL', timeout: 'ERROR', skip: 'SKIP' };
  return map[verdict];
}

/** Lines as a log excerpt within KCIDB's cap, keeping the end; nothing when there are none. */
function excerpt(lines: readonly string[]): { log_excerpt?: string } {
  if (lines.length === 0) return {};
  // KCIDB's texts hold no NUL; a console may
  const text = lines.join('\n').replaceAll('\0', '');
  return { log_excerpt: text.length <= EXCERPT_MAX ? text : text.slice(text.length - EXCERPT_MAX) };
}
