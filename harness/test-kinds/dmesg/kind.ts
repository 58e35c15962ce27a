import type { DmesgTestSpec } from '../../matrix/types.js';
import { globReachesKind } from '../glob-reach.js';
import { NO_PAYLOAD, type TestKind } from '../kind.js';
import { readDmesg } from './dmesg.js';

/** The kernel's log after the other tests, its reports as failing leaves (dmesg.ts). */
export const dmesgKind: TestKind<DmesgTestSpec> = {
  kind: 'dmesg',
  kernelInputs: () => ({}),
  kernelArgs: () => [],
  withKernel: (cell) => cell,
  userspace: false,
  guest: () => NO_PAYLOAD,
  allowanceSec: () => 0,
  read(_cell, obs, ctx) {
    const read = readDmesg(obs.incidents, obs.incidentsDropped, ctx.agentFinished);
    // the cell still answers for every report: the leaves name them, they do not excuse them
    return { node: read.node, untrusted: read.untrusted, problems: null, crashed: false };
  },
  narrow: (spec, glob) => (globReachesKind(glob, spec.kind) ? spec : null),
  describe: (spec) => ({ text: spec.kind, json: { kind: spec.kind } }),
};
