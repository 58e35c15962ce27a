import type { ProbeTestSpec } from '../../matrix/types.js';
import { assessDevices } from '../../verdict/devices.js';
import { globReachesKind } from '../glob-reach.js';
import { NO_PAYLOAD, type TestKind } from '../kind.js';
import { probeNode } from './probe.js';

/** The probe: the agent's device checks (probe.ts). */
export const probeKind: TestKind<ProbeTestSpec> = {
  kind: 'probe',
  kernelInputs: () => ({}),
  kernelArgs: () => [],
  withKernel: (cell) => cell,
  userspace: false,
  guest: () => NO_PAYLOAD,
  allowanceSec: () => 0,
  read(cell, obs) {
    const devices = obs.agent.begin ? assessDevices(cell.devices, cell.transport, obs.agent, obs.probeFailures) : [];
    return { node: devices.length > 0 ? probeNode(devices) : null, untrusted: [], problems: null, crashed: false, devices };
  },
  narrow: (spec, glob) => (globReachesKind(glob, spec.kind) ? spec : null),
  describe: (spec) => ({ text: spec.kind, json: { kind: spec.kind } }),
};
