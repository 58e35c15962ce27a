/**
 * kselftests: the kernel's own selftests (tools/testing/selftests), built
 * from the cell's kernel source with its patches (build.ts).
 *
 * What it needs: the targets' `config` files merged into the kernel's
 * config; the userspace layer and the built tests' layer (at /kselftest)
 * in the guest. How it runs: the agent runs each test the targets
 * installed as a command of its own, in its target's folder, with its own
 * deadline (the matrix's timeout, else the target's settings, else
 * kselftest's 45 s): busybox has no `timeout --foreground` for kselftest's
 * runner, and the agent's deadline kills the test's whole process group.
 * How it reads results: as kselftest's runner does, exit 0 passes, 4
 * (KSFT_SKIP) skips, anything else fails; TAP or KTAP a test prints
 * becomes its subtests. Tree: kselftest.<target>.<test>.
 */
import type { CommandObservation } from '../../console/types.js';
import type { PlannedCommand } from '../../guest/boot-archive.js';
import { KSELFTEST_DEFAULT_TIMEOUT_SEC, kselftestName, type KselftestCase } from './list.js';
import { KSELFTEST_GUEST_DIR } from './build.js';
import { childPath, globReachesChild, testPath } from '../../matrix/test-path.js';
import type { Cell, KselftestTestSpec } from '../../matrix/types.js';
import { foldVerdicts, type UnjudgedNode } from '../../verdict/tree.js';
import { agentCommandLeaf, type CommandReading } from '../command/command.js';

export const KSELFTEST = 'kselftest';

/** kselftest's exit status for a test that skipped (kselftest.h's KSFT_SKIP). */
export const KSFT_SKIP = 4;

export function kselftestTestOf(cell: Pick<Cell, 'tests'>): KselftestTestSpec | undefined {
  return cell.tests.find((t): t is KselftestTestSpec => t.kind === 'kselftest');
}

/** What the cell runs of what the kernel's targets installed: its own targets' tests, less those it skips. */
export function kselftestsToRun(spec: KselftestTestSpec, installed: readonly KselftestCase[]): KselftestCase[] {
  return installed.filter((c) => spec.targets.includes(c.target) && !spec.skip.includes(kselftestName(c)));
}

/** A test's deadline: the matrix's, else its target's settings, else kselftest's default. */
export function kselftestTimeoutSec(spec: KselftestTestSpec, c: KselftestCase): number {
  return spec.timeoutSec ?? c.settingsTimeoutSec ?? KSELFTEST_DEFAULT_TIMEOUT_SEC;
}

/** Each test as the agent runs it: in its target's folder, as kselftest's runner does. */
export function plannedKselftests(spec: KselftestTestSpec, installed: readonly KselftestCase[], capBytes: number): PlannedCommand[] {
  return kselftestsToRun(spec, installed).map((c) => ({
    name: kselftestName(c),
    // the names come as arguments, never into the script's text
    argv: ['/bin/sh', '-c', 'cd "$1" && exec "./$2"', 'kselftest', `/${KSELFTEST_GUEST_DIR}/${c.target}`, c.test],
    timeoutSec: kselftestTimeoutSec(spec, c),
    capBytes,
  }));
}

/** Seconds the tests may take on top of the boot's timeout: each one's deadline, and a second to start it. */
export function kselftestAllowanceSec(spec: KselftestTestSpec, installed: readonly KselftestCase[]): number {
  return kselftestsToRun(spec, installed).reduce((sum, c) => sum + kselftestTimeoutSec(spec, c) + 1, 0);
}

export interface KselftestReading extends CommandReading {
  /** The matrix's own mistakes found against what was built (a skipped test no target installed): the cell's error. */
  problems: string[];
}

/**
 * The kselftest node: a child per target, a leaf per test it installed,
 * in the install's order. `seen` are the agent's commands; the tests are
 * the ones from `firstIndex` on.
 */
export function readKselftests(
  spec: KselftestTestSpec,
  installed: readonly KselftestCase[],
  seen: readonly CommandObservation[],
  firstIndex: number,
): KselftestReading {
  const root = testPath(KSELFTEST);
  const untrusted: string[] = [];
  const names = new Set(installed.map(kselftestName));
  const problems = spec.skip
    .filter((name) => !names.has(name))
    .map(
      (name) => `the matrix skips kselftest ${name}, which its targets did not install (they have: ${[...names].slice(0, 20).join(', ')})`,
    );
  const running = kselftestsToRun(spec, installed);
  const targets = spec.targets.map((target): UnjudgedNode => {
    const targetPath = childPath(root, target);
    const children = installed
      .filter((c) => c.target === target)
      .map((c): UnjudgedNode => {
        const path = childPath(targetPath, c.test);
        const index = running.indexOf(c);
        if (index < 0)
          return { name: c.test, path, verdict: 'skip', reasons: ['skipped by the matrix (kselftest skip:)'], log: [], children: [] };
        const name = kselftestName(c);
        const observed = seen.find((o) => o.index === firstIndex + index && o.name === name);
        return agentCommandLeaf(
          { name: c.test, program: `${target}/${c.test}`, timeoutSec: kselftestTimeoutSec(spec, c), path },
          observed,
          exitVerdict,
          untrusted,
        );
      });
    return { name: target, path: targetPath, verdict: foldVerdicts(children.map((c) => c.verdict)), reasons: [], log: [], children };
  });
  return {
    node: { name: KSELFTEST, path: root, verdict: foldVerdicts(targets.map((t) => t.verdict)), reasons: [], log: [], children: targets },
    untrusted,
    problems,
  };
}

/** As kselftest's runner reads a test's exit status. */
function exitVerdict(code: number | null): { verdict: UnjudgedNode['verdict']; reasons: string[] } {
  if (code === 0) return { verdict: 'pass', reasons: [] };
  if (code === KSFT_SKIP) return { verdict: 'skip', reasons: [`exited ${KSFT_SKIP} (KSFT_SKIP): the test skipped itself`] };
  return { verdict: 'fail', reasons: [`exited ${code ?? '?'}`] };
}

/** Whether a --test glob names this target of the kselftests, or something below it. */
export function globReachesKselftest(glob: string, target: string): boolean {
  return globReachesChild(glob, KSELFTEST, target);
}
