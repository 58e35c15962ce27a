/**
 * dmesg: the kernel's log as a test, read after the others. Every report
 * the kernel printed in the boot (a WARNING, a BUG, an Oops, a panic, as
 * console/incidents.ts finds them) is a failing leaf of its own, so that
 * TAP, JUnit and KCIDB name each; a log without one passes as `clean`,
 * but only when the agent finished, as a log cut short may have lost the
 * report that matters.
 *
 * What it needs: nothing of the kernel, the guest or the command line; the
 * console the kernel prints to. How it reads results: the console
 * observation's incidents, which leave out what a guest program printed
 * inside its framed output.
 */
import { describeIncident } from '../../console/incidents.js';
import type { Incident } from '../../console/types.js';
import { childPath, testPath } from '../../matrix/test-path.js';
import type { UnjudgedNode } from '../../verdict/tree.js';

export const DMESG = 'dmesg';

export interface DmesgReading {
  node: UnjudgedNode | null;
  untrusted: string[];
}

/** The log's node: a leaf per report (`warning-1`, `bug-2`), one for reports counted but not read, or `clean`. */
export function readDmesg(incidents: readonly Incident[], dropped: number, agentFinished: boolean): DmesgReading {
  const root = testPath(DMESG);
  const leaf = (name: string, verdict: 'pass' | 'fail', reasons: string[], log: string[]): UnjudgedNode => ({
    name,
    path: childPath(root, name),
    verdict,
    reasons,
    log,
    children: [],
  });
  const children = incidents.map((incident, i) =>
    leaf(`${incident.kind}-${i + 1}`, 'fail', [describeIncident(incident)], incident.excerpt),
  );
  if (dropped > 0) {
    children.push(
      leaf('more', 'fail', [`${dropped} more kernel reports after the first ${incidents.length}: counted, not read one by one`], []),
    );
  }
  if (children.length === 0) {
    if (!agentFinished)
      return { node: null, untrusted: ['the kernel log ends before the agent finished: a report after it would be missed'] };
    children.push(leaf('clean', 'pass', [], []));
  }
  const failed = children.some((c) => c.verdict === 'fail');
  return { node: { name: DMESG, path: root, verdict: failed ? 'fail' : 'pass', reasons: [], log: [], children }, untrusted: [] };
}
