import type { KselftestTestSpec } from '../../matrix/types.js';
import { NO_PAYLOAD, type TestKind } from '../kind.js';
import { UNTRUSTED_HINT } from '../trust-hint.js';
import { kselftestBuild, targetConfigs } from './build.js';
import { withInstalledKselftests } from './installed.js';
import { globReachesKselftest, kselftestAllowanceSec, kselftestTestOf, plannedKselftests, readKselftests } from './kselftest.js';

/** The kernel's selftests, run by the agent (kselftest.ts). */
export const kselftestKind: TestKind<KselftestTestSpec> = {
  kind: 'kselftest',
  kernelInputs: (kernel) =>
    kernel.kselftestTargets
      ? {
          treeFragments: [{ askedBy: 'the kselftest targets', read: (tree) => targetConfigs(tree, kernel.kselftestTargets!, kernel.id) }],
          // their config files are the source's: the source's identity and the targets name them
          keyInputs: { kselftestTargets: kernel.kselftestTargets },
          companions: [kselftestBuild(kernel.kselftestTargets)],
        }
      : {},
  kernelArgs: () => [],
  withKernel: withInstalledKselftests,
  userspace: true,
  guest(cell, capBytes) {
    const spec = kselftestTestOf(cell)!;
    // known once the kernel is built: before, the cell runs nothing of them yet
    const installed = spec.installed;
    return installed
      ? { ...NO_PAYLOAD, programs: plannedKselftests(spec, installed.tests, capBytes), layers: [installed.layer] }
      : NO_PAYLOAD;
  },
  allowanceSec(cell) {
    const spec = kselftestTestOf(cell)!;
    return kselftestAllowanceSec(spec, spec.installed?.tests ?? []);
  },
  read(cell, obs, ctx) {
    if (!obs.agent.begin) return null;
    const spec = kselftestTestOf(cell)!;
    const read = readKselftests(spec, spec.installed?.tests ?? [], obs.commands, ctx.firstProgram);
    const hint =
      "name skipped tests as the kernel's kselftest-list.txt does (target:test); the kselftest build log lists what each target installed";
    return {
      node: read.node,
      untrusted: read.untrusted,
      untrustedHint: UNTRUSTED_HINT,
      problems: read.problems.length > 0 ? { reasons: read.problems, hint } : null,
      crashed: false,
    };
  },
  narrow(spec, glob) {
    // only the targets the glob reaches run (their tests by the glob's own rule, in the reports)
    const targets = spec.targets.filter((target) => globReachesKselftest(glob, target));
    return targets.length > 0 ? { ...spec, targets } : null;
  },
  describe: (spec) => ({
    text: `kselftest(${spec.targets.join(',')})`,
    json: { kind: spec.kind, targets: spec.targets, skip: spec.skip, timeout: spec.timeoutSec },
  }),
};
