import { kunitconfigCheckFragments, kunitconfigText } from '../../matrix/kunitconfig.js';
import type { KunitTestSpec } from '../../matrix/types.js';
import { NO_PAYLOAD, type TestKind } from '../kind.js';
import { UNTRUSTED_HINT } from '../trust-hint.js';
import { crashNeedsNames, kunitCommandLine, kunitFilterFor, kunitTestOf, readKunit } from './kunit.js';
import { kunitListingOf } from './listing-boot.js';

/** KUnit: the kernel's own tests, read from its KTAP (kunit.ts). */
export const kunitKind: TestKind<KunitTestSpec> = {
  kind: 'kunit',
  kernelInputs: ({ kunitconfig }) =>
    kunitconfig
      ? {
          fragments: [
            {
              file: kunitconfig.file,
              text: kunitconfigText(kunitconfig),
              buildFile: 'kvmatrix.kunitconfig',
              check: kunitconfigCheckFragments(kunitconfig),
              askedBy: 'the kunitconfig',
              fixIn: 'kunitconfig',
            },
          ],
        }
      : {},
  kernelArgs: kunitCommandLine,
  withKernel: (cell) => cell,
  userspace: false,
  guest: () => NO_PAYLOAD,
  listing: (cell, obs, boot) =>
    crashNeedsNames(obs.ktap)
      ? kunitListingOf(cell, boot.kernel, boot.guest, {
          layout: boot.layout,
          accel: boot.accel,
          ...(boot.signal ? { signal: boot.signal } : {}),
        })
      : Promise.resolve(null),
  // KUnit runs inside the boot, before init: the boot's own timeout is its deadline
  allowanceSec: () => 0,
  read(cell, obs, ctx) {
    const spec = kunitTestOf(cell)!;
    const read = readKunit(obs.ktap, obs.ktapDigest, obs.agent.ktap, obs.incidents, {
      filter: spec.filter,
      agentFinished: ctx.agentFinished,
      rules: cell.leafExpect,
      ...(ctx.listing ? { listing: ctx.listing } : {}),
    });
    return {
      node: read.node,
      untrusted: read.untrusted,
      untrustedHint: UNTRUSTED_HINT,
      problems: null,
      crashed: read.crashed,
      hungIn: 'the kernel hung in KUnit, before the agent',
      incidents: { outside: read.outside, held: read.held },
    };
  },
  narrow(spec, glob) {
    // KUnit's filter becomes the glob's; null: the glob names every test, the matrix's own filter stands
    const filter = kunitFilterFor(glob);
    return filter === undefined ? null : { ...spec, filter: filter ?? spec.filter };
  },
  describe: (spec) => ({
    text: `kunit${spec.filter ? `(${spec.filter})` : ''}`,
    json: { kind: spec.kind, kunitconfig: spec.kunitconfig.file, filter: spec.filter },
  }),
};
