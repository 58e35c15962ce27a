import { hex } from '../verdict/virtio-ids.js';
import { judgedNodes, type TestNode } from '../verdict/tree.js';
import type { DeviceOutcome } from '../verdict/types.js';
import type { CellRecord, RunResults } from './types.js';

/**
 * What became of one cell between two runs, judged by its expectation, in
 * the words of `kvmatrix history`'s labels (compare's earlier words after
 * the colon, which its text still prints beside them):
 * regression (regressed): went as expected (or skipped) before, not now.
 * fixed: was not as expected, is now.
 * persistent (still-unexpected): not as expected in both runs: a known failure.
 * changed: verdict, expectation or a device differs, but neither of the above.
 * new / missing (added / removed): in one run only.
 */
export type CellChangeKind = 'regression' | 'fixed' | 'persistent' | 'changed' | 'unchanged' | 'new' | 'missing';

export const CHANGE_KINDS: readonly CellChangeKind[] = ['regression', 'fixed', 'persistent', 'changed', 'unchanged', 'new', 'missing'];

export interface CellSide {
  verdict: CellRecord['verdict'];
  expected: CellRecord['expected'];
  status: CellRecord['status'];
  reasons: string[];
}

export type DeviceField = 'presence' | 'bdf' | 'transport' | 'bar0' | 'driver' | 'status' | 'check' | 'problems';

export interface DeviceChange {
  device: string;
  field: DeviceField;
  before: string;
  after: string;
}

/** What one test of a cell's tree (a device, a KUnit case) became, judged as cells are. */
export interface TestChange {
  path: string;
  kind: CellChangeKind;
  before: TestSide | null;
  after: TestSide | null;
}

export interface TestSide {
  verdict: TestNode['verdict'];
  expected: TestNode['expected'];
  status: TestNode['status'];
  reasons: string[];
}

export interface CellChange {
  id: string;
  kind: CellChangeKind;
  before: CellSide | null;
  after: CellSide | null;
  devices: DeviceChange[];
  /** Tests of the cell's tree whose verdict or status differs, or that one run has and the other not. */
  tests: TestChange[];
}

export interface RunComparison {
  before: { runId: string; matrix: string };
  after: { runId: string; matrix: string };
  /** The runs came from different matrices: cells were matched by id alone. */
  matrixDiffers: boolean;
  /** Cells of the later run in its order, then those it no longer has. */
  cells: CellChange[];
  counts: Record<CellChangeKind, number>;
}

export function compareRuns(before: RunResults, after: RunResults): RunComparison {
  const earlier = new Map(before.cells.map((c) => [c.id, c]));
  const later = new Set(after.cells.map((c) => c.id));
  const cells: CellChange[] = [
    ...after.cells.map((c) => compareCell(earlier.get(c.id) ?? null, c)),
    ...before.cells.filter((c) => !later.has(c.id)).map((c) => compareCell(c, null)),
  ];
  const counts = Object.fromEntries(CHANGE_KINDS.map((k) => [k, cells.filter((c) => c.kind === k).length])) as Record<
    CellChangeKind,
    number
  >;
  return {
    before: { runId: before.runId, matrix: before.matrix.name },
    after: { runId: after.runId, matrix: after.matrix.name },
    matrixDiffers: before.matrix.name !== after.matrix.name || before.matrix.file !== after.matrix.file,
    cells,
    counts,
  };
}

/**
 * A failure the later run brings: a cell that regressed, a new cell that
 * is not as expected, or a test in a cell (a KUnit case, a device) that
 * started failing, even in a cell that was already not as expected. What a
 * nightly job fails on.
 */
export function isNewFailure(change: CellChange): boolean {
  return isNewSide(change) || change.tests.some(isNewSide);
}

/** The tests of a change that started failing. */
export function newTestFailures(change: CellChange): TestChange[] {
  return change.tests.filter(isNewSide);
}

function isNewSide(change: { kind: CellChangeKind; after: { status: string } | null }): boolean {
  return change.kind === 'regression' || (change.kind === 'new' && change.after?.status === 'unexpected');
}

function compareCell(a: CellRecord | null, b: CellRecord | null): CellChange {
  const id = (a ?? b)!.id;
  const devices = a && b ? compareDevices(a.devices, b.devices) : [];
  const tests = a && b ? compareTests(a.tests ?? [], b.tests ?? []) : [];
  const same = devices.length === 0 && tests.length === 0;
  return { id, kind: changeKind(a && side(a), b && side(b), same), before: a && side(a), after: b && side(b), devices, tests };
}

/** One rule for cells and tests alike: by status first, then by what else differs. */
function changeKind(a: CellSide | TestSide | null, b: CellSide | TestSide | null, nothingElse: boolean): CellChangeKind {
  if (!a) return 'new';
  if (!b) return 'missing';
  if (a.status !== 'unexpected' && b.status === 'unexpected') return 'regression';
  if (a.status === 'unexpected' && b.status === 'as-expected') return 'fixed';
  if (a.status === 'unexpected' && b.status === 'unexpected') return 'persistent';
  const same = a.verdict === b.verdict && a.expected === b.expected && a.status === b.status && nothingElse;
  return same ? 'unchanged' : 'changed';
}

/** Tests judged on their own (leaves), matched by path; only those that changed. */
function compareTests(before: readonly TestNode[], after: readonly TestNode[]): TestChange[] {
  const earlier = new Map(judgedNodes(before).map((n) => [n.path as string, n]));
  const later = judgedNodes(after);
  const laterPaths = new Set(later.map((n) => n.path as string));
  const pairs: [TestNode | null, TestNode | null][] = [
    ...later.map((n): [TestNode | null, TestNode] => [earlier.get(n.path) ?? null, n]),
    ...[...earlier.values()].filter((n) => !laterPaths.has(n.path)).map((n): [TestNode, null] => [n, null]),
  ];
  return pairs
    .map(([a, b]) => ({
      path: (a ?? b)!.path,
      kind: changeKind(a && testSide(a), b && testSide(b), true),
      before: a && testSide(a),
      after: b && testSide(b),
    }))
    .filter((c) => c.kind !== 'unchanged');
}

function testSide(node: TestNode): TestSide {
  return { verdict: node.verdict, expected: node.expected, status: node.status, reasons: node.reasons };
}

function side(cell: CellRecord): CellSide {
  return { verdict: cell.verdict, expected: cell.expected, status: cell.status, reasons: cell.reasons };
}

/** Devices matched by name (rng1, blk2: the matrix's slot), field by field. */
export function compareDevices(before: readonly DeviceOutcome[], after: readonly DeviceOutcome[]): DeviceChange[] {
  const changes: DeviceChange[] = [];
  const names = [...new Set([...before.map((d) => d.name), ...after.map((d) => d.name)])];
  for (const name of names) {
    const a = before.find((d) => d.name === name);
    const b = after.find((d) => d.name === name);
    const fields = deviceFields(a);
    const next = deviceFields(b);
    for (const field of Object.keys(fields) as DeviceField[]) {
      if (fields[field] !== next[field]) changes.push({ device: name, field, before: fields[field], after: next[field] });
    }
  }
  return changes;
}

function deviceFields(d: DeviceOutcome | undefined): Record<DeviceField, string> {
  if (!d) return { presence: 'absent', bdf: '-', transport: '-', bar0: '-', driver: '-', status: '-', check: '-', problems: '-' };
  return {
    presence: d.bdf ? 'present' : 'absent',
    bdf: d.bdf ?? '-',
    transport: d.presented ?? '-',
    bar0: d.bar0 ? `${d.bar0.kind} ${hex(d.bar0.start)}` : 'none',
    driver: d.virtioDriver ?? 'none',
    status: d.status === null ? '-' : `${hex(d.status)}${d.statusNames.length ? ` ${d.statusNames.join('|')}` : ''}`,
    check: d.check?.result ?? '-',
    problems: d.problems.length ? d.problems.join('; ') : 'none',
  };
}
