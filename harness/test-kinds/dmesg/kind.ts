import type { DmesgTestSpec } from '../../matrix/types.js';
import { globReachesKind } from '../glob-reach.js';
import { NO_PAYLOAD, type TestKind } from '../kind.js';
import { readDmesg } from './dmesg.js';

/** The kernel's log after the other tests, its reports as failing leaves (dmesg.ts). */
export const dmesgKind: TestKind<DmesgTestSpec> = {
  kind: 'dmesg',
  kernelInputs: () => ({}),
  // every message on the console, whatever a `quiet` or `loglevel=` in boot.append says
  kernelArgs: (cell) => (cell.tests.some((t) => t.kind === 'dmesg') ? ['ignore_loglevel'] : []),
  withKernel: (cell) => cell,
  userspace: false,
  guest: () => NO_PAYLOAD,
  allowanceSec: () => 0,
  read(_cell, obs, ctx) {
    const read = readDmesg(
      ctx.incidentsLeft,
      { dropped: obs.incidentsDropped, read: obs.incidents.length },
      { finished: ctx.agentFinished, cut: ctx.consoleCut },
    );
    // the cell still answers for every report: the leaves name them, they do not excuse them
    return { node: read.node, untrusted: read.untrusted, problems: null, crashed: false };
  },
  narrow: (spec, glob) => (globReachesKind(glob, spec.kind) ? spec : null),
  readsWholeBoot: true,
  describe: (spec) => ({ text: spec.kind, json: { kind: spec.kind } }),
};
