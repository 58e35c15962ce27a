/**
 * The probe: the agent's device checks (every PCI function and virtio
 * device the cell asked for, driver, status bits, real I/O), the default
 * test of every cell. Its leaves are the cell's devices.
 *
 * What it needs: the cell's devices on the VMM's bus; nothing of the
 * kernel's config or the command line. How it reads results: the agent's
 * pci, virtio and check records (verdict/devices.ts).
 */
import { childPath, testPath } from '../../matrix/test-path.js';
import { describeDevice } from '../../verdict/devices.js';
import type { UnjudgedNode } from '../../verdict/tree.js';
import type { DeviceOutcome } from '../../verdict/types.js';

export const PROBE = 'probe';

/** The probe's node: a leaf per device, failed with its problems. */
export function probeNode(devices: readonly DeviceOutcome[]): UnjudgedNode {
  const root = testPath(PROBE);
  const children: UnjudgedNode[] = devices.map((d) => ({
    name: d.name,
    path: childPath(root, d.name),
    verdict: d.problems.length > 0 ? 'fail' : 'pass',
    reasons: d.problems,
    log: [describeDevice(d)],
    children: [],
  }));
  const failed = children.some((c) => c.verdict === 'fail');
  return { name: PROBE, path: root, verdict: failed ? 'fail' : 'pass', reasons: [], log: [], children };
}
