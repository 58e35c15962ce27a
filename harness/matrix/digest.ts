import { createHash } from 'node:crypto';
import type { Cell } from './types.js';

/**
 * A digest of what a matrix asks of its cells: ids, expectations, devices
 * and boot settings, without file paths (CI jobs check the project out in
 * different places). Shards of one matrix carry the same digest; merge
 * refuses shards whose digests differ. Kernel contents are compared by
 * their cache keys instead.
 */
export function matrixDigest(cells: readonly Cell[]): string {
  const essence = cells.map((c) => ({
    id: c.id,
    topology: c.topology,
    expect: c.expect.verdict,
    devices: c.devices.map((d) => d.name),
    boot: c.boot,
  }));
  return `sha256:${createHash('sha256').update(JSON.stringify(essence)).digest('hex')}`;
}
