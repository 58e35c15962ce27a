import t from 'tap';
import { InputError } from '../../harness/matrix/input-error.js';
import { mergeShards, type ShardInput } from '../../harness/report/merge.js';
import { summarize } from '../../harness/report/summary.js';
import type { RunResults } from '../../harness/report/types.js';
import { mixedRun } from '../support/results.js';

/** mixedRun cut into n consecutive shards, as `run --shard k/n` would write them. */
function shards(n: number): ShardInput[] {
  const whole = mixedRun();
  whole.matrix.digest = 'sha256:abc';
  whole.kernels = [
    { id: 'patched', ok: true, key: 'k-p', durationMs: 10, cached: true },
    { id: 'unpatched', ok: true, key: 'k-u', durationMs: 10, cached: true },
  ];
  return Array.from({ length: n }, (_, i) => {
    const from = Math.floor((i * whole.cells.length) / n);
    const to = Math.floor(((i + 1) * whole.cells.length) / n);
    const cells = whole.cells.slice(from, to);
    const results: RunResults = {
      ...structuredClone(whole),
      runId: `shard-${i + 1}`,
      host: { ...whole.host, name: `runner-${i + 1}` },
      cells,
      summary: summarize(cells),
      shard: { index: i + 1, count: n, selected: whole.cells.length },
      startedAt: `2026-11-25T07:0${i}:00.000Z`,
      finishedAt: `2026-11-25T07:1${i}:00.000Z`,
    };
    results.kernels[0]!.cached = i !== 1;
    return { results, file: `/ci/shard-${i + 1}/results.json` };
  });
}

t.test('shards given in any order fold into the unsharded run', async (t) => {
  const parts = shards(3);
  const merged = mergeShards([parts[2]!, parts[0]!, parts[1]!], { runId: 'merged' });
  const whole = mixedRun();
  t.same(
    merged.cells.map((c) => c.id),
    whole.cells.map((c) => c.id),
    'cells in matrix order',
  );
  t.same(merged.summary, whole.summary, 'the summary counted again');
  t.equal(merged.runId, 'merged');
  t.same(merged.mergedFrom, ['shard-1', 'shard-2', 'shard-3']);
  t.same(
    merged.mergedHosts?.map((h) => h.name),
    ['runner-1', 'runner-2', 'runner-3'],
    "each shard's machine, in mergedFrom's order",
  );
  t.equal(merged.host.name, 'runner-1', "the run's host is the first shard's");
  t.notOk('shard' in merged, 'the merged run is no shard');
  t.equal(merged.startedAt, '2026-11-25T07:00:00.000Z');
  t.equal(merged.finishedAt, '2026-11-25T07:12:00.000Z');
  t.same(
    merged.kernels.map((k) => k.id),
    ['patched', 'unpatched'],
    'each kernel once',
  );
  t.equal(merged.kernels[0]!.cached, false, 'from the shard that built it');
});

t.test('what does not fold is refused with one InputError naming the file', async (t) => {
  const refused = (parts: ShardInput[], partial = false) => {
    try {
      mergeShards(parts, { runId: 'm', partial });
      return 'merged';
    } catch (error) {
      t.type(error, InputError);
      return (error as Error).message;
    }
  };
  t.match(refused([]), /^nothing to merge/);

  const missing = shards(3);
  t.equal(refused([missing[0]!, missing[2]!]), 'shard 2/3 missing: give every shard, or --partial to fold what is here');
  t.equal(refused([missing[0]!, missing[2]!], true), 'merged', '--partial folds what is there');

  const twice = shards(2);
  t.match(refused([twice[0]!, twice[0]!, twice[1]!]), /^\/ci\/shard-1\/results\.json: shard 1\/2 is also \/ci\/shard-1\/results\.json$/);

  const otherMatrix = shards(2);
  otherMatrix[1]!.results.matrix.digest = 'sha256:def';
  t.match(
    refused(otherMatrix),
    /^\/ci\/shard-2\/results\.json: the matrix's digest differs from \/ci\/shard-1\/results\.json .*not shards of one run$/,
  );

  const otherSelection = shards(2);
  otherSelection[1]!.results.selection = { cells: [], filters: ['type=qemu'] };
  t.match(refused(otherSelection), /the cell selection differs/);

  const otherCount = shards(2);
  otherCount[1]!.results.shard = { index: 2, count: 3, selected: 7 };
  t.match(refused(otherCount), /the shard count differs/);

  const overlap = shards(2);
  overlap[1]!.results.cells.push(overlap[0]!.results.cells[0]!);
  t.match(
    refused(overlap),
    /^\/ci\/shard-2\/results\.json: cell patched\/qemu-flat\/legacy is in \/ci\/shard-1\/results\.json too: shards must not overlap$/,
  );

  const otherKernel = shards(2);
  otherKernel[1]!.results.kernels[1]!.key = 'k-other';
  t.match(
    refused(otherKernel),
    /kernel unpatched has cache key k-other here and k-u in \/ci\/shard-1\/results\.json: the shards built different kernels/,
  );

  const mixed = shards(2);
  delete mixed[0]!.results.shard;
  t.match(refused(mixed), /the shard count differs/);
});

t.test('whole runs with disjoint cells fold too, in the order given', async (t) => {
  const a = mixedRun();
  const b = mixedRun();
  a.cells = a.cells.slice(0, 3);
  b.cells = b.cells.slice(3);
  const ids = (cells: { id: string }[]) => cells.map((c) => c.id);
  const merged = mergeShards(
    [
      { results: a, file: 'a' },
      { results: b, file: 'b' },
    ],
    { runId: 'm' },
  );
  t.same(ids(merged.cells), [...ids(a.cells), ...ids(b.cells)]);
  const reversed = mergeShards(
    [
      { results: b, file: 'b' },
      { results: a, file: 'a' },
    ],
    { runId: 'm' },
  );
  t.same(ids(reversed.cells), [...ids(b.cells), ...ids(a.cells)], 'given the other way round, folded the other way round');
});
