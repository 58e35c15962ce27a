import { randomBytes } from 'node:crypto';

/**
 * `20261125-071502-3fa9`: UTC time to the second, then 4 random hex digits
 * so that runs started in the same second (CI shards) do not collide.
 * Sorts by time as plain text.
 */
export function newRunId(at: Date, suffix: string = randomBytes(2).toString('hex')): string {
  const iso = at.toISOString(); // 2026-11-25T07:15:02.123Z
  return `${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 19).replace(/:/g, '')}-${suffix}`;
}
