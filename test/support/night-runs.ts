import { childPath, testPath, type TestPath } from '../../harness/matrix/test-path.js';
import { summarize } from '../../harness/report/summary.js';
import type { CellRecord, RunResults } from '../../harness/report/types.js';
import type { TestNode, TestVerdict } from '../../harness/verdict/tree.js';
import { cell } from './results.js';

/** A generated night: `cells` cells of a KUnit-shaped tree, `suites` x `cases` leaves each. */
export interface NightShape {
  night: number;
  cells?: number;
  suites?: number;
  cases?: number;
  /** The leaves that fail this night, by cell index and leaf path. */
  fails?: (cellIndex: number, path: string) => boolean;
  /** The first night's start; each night is a day later. */
  start?: string;
  matrix?: string;
  /** The git commit the night's kernels were built from (default: the same every night). */
  commit?: (night: number) => string;
}

const VMMS = ['qemu-flat', 'qemu-bridged', 'kvmtool'];

/** A run with judged trees, as a nightly job of a large matrix writes (for the history's tests and its bench). */
export function nightRun(shape: NightShape): RunResults {
  const { night, cells: count = 12, suites = 10, cases = 20 } = shape;
  const started = new Date(Date.parse(shape.start ?? '2026-01-01T02:00:00.000Z') + night * 86_400_000);
  const cells: CellRecord[] = [];
  for (let i = 0; i < count; i++) {
    const id = `k${Math.floor(i / 6)}/${VMMS[Math.floor(i / 2) % 3]}/${i % 2 ? 'modern' : 'legacy'}`;
    const root = testPath('kunit');
    const suiteNodes = Array.from({ length: suites }, (_, s) => {
      const suitePath = childPath(root, `suite${String(s).padStart(2, '0')}`);
      const leaves = Array.from({ length: cases }, (_, c) => leaf(childPath(suitePath, `case${String(c).padStart(2, '0')}`), i, shape));
      return inner(suitePath, leaves);
    });
    const tree = inner(root, suiteNodes);
    const failing = tree.verdict === 'fail';
    cells.push(
      cell({
        id,
        verdict: failing ? 'fail' : 'pass',
        status: failing ? 'unexpected' : 'as-expected',
        reasons: failing ? ['some KUnit cases failed'] : [],
        tests: [tree],
      }),
    );
  }
  const iso = started.toISOString();
  return {
    schema: 'kvmatrix-results/2',
    runId: `${iso.slice(0, 10).replace(/-/g, '')}-020000-${String(night).padStart(4, '0')}`,
    matrix: { name: shape.matrix ?? 'nightly', file: '/m/nightly.yaml', digest: 'sha256:nightly' },
    startedAt: iso,
    finishedAt: new Date(started.getTime() + 3_600_000).toISOString(),
    host: { arch: 'x64', node: 'v20', qemu: 'QEMU emulator version 7.2.22', accel: 'tcg', kvmatrix: '0.1.0', name: 'night-host' },
    selection: { cells: [], filters: [] },
    kernels: [...new Set(cells.map((c) => c.kernel))].map((id) => {
      const commit = (shape.commit?.(night) ?? 'a').padEnd(40, '0');
      return {
        id,
        ok: true,
        source: `git:${commit}`,
        commit: { id: commit, subject: `commit ${commit.slice(0, 8)}`, uncommitted: false },
        durationMs: 1,
      };
    }),
    cells,
    summary: summarize(cells),
  };
}

function leaf(path: TestPath, cellIndex: number, shape: NightShape): TestNode {
  const fails = shape.fails?.(cellIndex, path) ?? false;
  const verdict: TestVerdict = fails ? 'fail' : 'pass';
  return {
    name: path.slice(path.lastIndexOf('.') + 1),
    path,
    verdict,
    expected: 'pass',
    status: fails ? 'unexpected' : 'as-expected',
    reasons: fails ? [`${path} failed on night ${shape.night}`] : [],
    log: [],
    children: [],
  };
}

function inner(path: TestPath, children: TestNode[]): TestNode {
  const fails = children.some((c) => c.verdict === 'fail');
  return {
    name: path.slice(path.lastIndexOf('.') + 1),
    path,
    verdict: fails ? 'fail' : 'pass',
    expected: 'pass',
    status: fails ? 'unexpected' : 'as-expected',
    reasons: [],
    log: [],
    children,
  };
}
