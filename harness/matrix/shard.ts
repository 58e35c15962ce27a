import { InputError } from './input-error.js';
import type { Cell } from './types.js';

/** One of `count` slices of a run's cells, 1-based as CI job matrices count. */
export interface Shard {
  index: number;
  count: number;
}

export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text);
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!match || count < 1 || index < 1 || index > count) {
    throw new InputError(`--shard ${text}: expected k/n with 1 <= k <= n, such as 2/4`);
  }
  return { index, count };
}

/**
 * The shard's slice: the cells in kernel order, cut into `count` runs of
 * consecutive cells whose sizes differ by at most one. Consecutive, so a
 * shard needs as few kernels as it can; depends on nothing but the
 * selected cells, so every job of a CI matrix computes the same cut.
 */
export function shardCells(cells: readonly Cell[], shard: Shard): Cell[] {
  if (shard.count > cells.length) {
    throw new InputError(
      `--shard ${shard.index}/${shard.count}: the selection has only ${cells.length} cells; use at most ${cells.length} shards`,
    );
  }
  const kernelOrder = [...new Set(cells.map((c) => c.kernel.id))];
  const ordered = [...cells].sort((a, b) => kernelOrder.indexOf(a.kernel.id) - kernelOrder.indexOf(b.kernel.id));
  const from = Math.floor(((shard.index - 1) * ordered.length) / shard.count);
  const to = Math.floor((shard.index * ordered.length) / shard.count);
  return ordered.slice(from, to);
}
