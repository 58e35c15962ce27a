import { InputError } from '../matrix/input-error.js';
import { summarize } from './summary.js';
import type { KernelRecord, RunResults } from './types.js';

/** A shard's results with the file it came from, for messages that name it. */
export interface ShardInput {
  results: RunResults;
  file: string;
}

export interface MergeOptions {
  runId: string;
  /** Fold what is there when some shards are missing (a CI job that died). */
  partial?: boolean;
}

/**
 * One run from the shards of one: cells in shard order (which is the
 * unsharded order, shards being consecutive slices), kernels once each,
 * the summary counted again. Refuses, with one InputError naming the files,
 * shards of different matrices or selections, overlapping cells, a kernel
 * built differently in two shards, and a missing shard unless `partial`.
 */
export function mergeShards(inputs: readonly ShardInput[], options: MergeOptions): RunResults {
  if (inputs.length === 0) throw new InputError('nothing to merge: name the results.json (or run folder) of every shard');
  const ordered = [...inputs].sort((a, b) => (a.results.shard?.index ?? 0) - (b.results.shard?.index ?? 0));
  const first = ordered[0]!;
  for (const other of ordered.slice(1)) checkSameRun(first, other);
  checkShardSet(ordered, options.partial ?? false);

  const cellOwner = new Map<string, string>();
  for (const input of ordered) {
    for (const cell of input.results.cells) {
      const owner = cellOwner.get(cell.id);
      if (owner) throw new InputError(`cell ${cell.id} is in ${owner} too: shards must not overlap`, { file: input.file });
      cellOwner.set(cell.id, input.file);
    }
  }
  const cells = ordered.flatMap((i) => i.results.cells);
  const base = first.results;
  const { shard: _shard, interrupted: _interrupted, ...rest } = base;
  return {
    ...rest,
    runId: options.runId,
    mergedFrom: ordered.map((i) => i.results.runId),
    // shards of one night may run on several machines, with their own QEMU and lkvm
    mergedHosts: ordered.map((i) => i.results.host),
    ...(ordered.some((i) => i.results.interrupted)
      ? { interrupted: ordered.find((i) => i.results.interrupted)!.results.interrupted! }
      : {}),
    startedAt: ordered.map((i) => i.results.startedAt).sort()[0]!,
    finishedAt: ordered
      .map((i) => i.results.finishedAt)
      .sort()
      .at(-1)!,
    kernels: mergeKernels(ordered),
    cells,
    summary: summarize(cells),
  };
}

function checkSameRun(a: ShardInput, b: ShardInput): void {
  const ra = a.results;
  const rb = b.results;
  const differs = (what: string, x: unknown, y: unknown) => {
    if (JSON.stringify(x) !== JSON.stringify(y)) {
      throw new InputError(
        `${what} differs from ${a.file} (${JSON.stringify(y)} here, ${JSON.stringify(x)} there): not shards of one run`,
        { file: b.file },
      );
    }
  };
  differs('the matrix', ra.matrix.name, rb.matrix.name);
  differs("the matrix's digest", ra.matrix.digest, rb.matrix.digest);
  differs('the cell selection', ra.selection, rb.selection);
  differs('the shard count', ra.shard?.count, rb.shard?.count);
}

function checkShardSet(inputs: readonly ShardInput[], partial: boolean): void {
  const count = inputs[0]!.results.shard?.count;
  if (count === undefined) {
    const sharded = inputs.find((i) => i.results.shard);
    if (sharded) throw new InputError('a sharded run cannot be merged with whole runs', { file: sharded.file });
    return;
  }
  const seen = new Map<number, string>();
  for (const input of inputs) {
    const index = input.results.shard!.index;
    const twice = seen.get(index);
    if (twice) throw new InputError(`shard ${index}/${count} is also ${twice}`, { file: input.file });
    seen.set(index, input.file);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !seen.has(i));
  if (missing.length > 0 && !partial) {
    throw new InputError(
      `shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} missing: give every shard, or --partial to fold what is here`,
    );
  }
}

/**
 * A kernel needed by two shards was built (or taken from the cache) by
 * each: the same cache key means the same kernel. Kept once, from the
 * shard that built it rather than found it cached, so its build log is the
 * one linked.
 */
function mergeKernels(inputs: readonly ShardInput[]): KernelRecord[] {
  const kernels = new Map<string, { record: KernelRecord; file: string }>();
  for (const input of inputs) {
    for (const kernel of input.results.kernels) {
      const seen = kernels.get(kernel.id);
      if (!seen) {
        kernels.set(kernel.id, { record: kernel, file: input.file });
        continue;
      }
      if (seen.record.key && kernel.key && seen.record.key !== kernel.key) {
        throw new InputError(
          `kernel ${kernel.id} has cache key ${kernel.key} here and ${seen.record.key} in ${seen.file}: the shards built different kernels`,
          { file: input.file },
        );
      }
      if (seen.record.cached && !kernel.cached) kernels.set(kernel.id, { record: kernel, file: input.file });
    }
  }
  return [...kernels.values()].map((k) => k.record);
}
