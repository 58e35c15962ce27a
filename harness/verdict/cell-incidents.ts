import type { Incident } from '../console/types.js';
import type { TestReading } from './types.js';

/** A kind's results are shown when it made a tree and nothing keeps it from being believed. */
export function readingShown(r: TestReading): boolean {
  return r.node !== null && r.untrusted.length === 0;
}

/**
 * The kernel reports the cell answers for: every one, but those a kind
 * took charge of, printed inside its tests (an Oops KUnit caught is that
 * case's), unless that kind's tree is not shown; then its held reports
 * come back to the cell too.
 */
export function cellIncidents(incidents: readonly Incident[], readings: readonly TestReading[]): Incident[] {
  const takers = readings.filter((r) => r.incidents !== undefined);
  if (takers.length === 0) return [...incidents];
  const left = takers.map((r) => new Set(readingShown(r) ? r.incidents!.outside : [...r.incidents!.outside, ...r.incidents!.held]));
  return incidents.filter((i) => left.every((set) => set.has(i)));
}
