/**
 * Every kind of the matrix grammar, mapped to what implements it: the
 * type below requires one entry per kind of TestSpec, so that a kind the
 * grammar gains and nobody implements does not compile.
 */
import type { ConsoleObservation } from '../console/types.js';
import type { Cell, KernelSpec, TestSpec } from '../matrix/types.js';
import type { TestReading } from '../verdict/types.js';
import { cellIncidents } from '../verdict/cell-incidents.js';
import { commandKind } from './command/kind.js';
import { dmesgKind } from './dmesg/kind.js';
import { NO_TEST_INPUTS, type KernelTestInputs } from '../kernel/test-inputs.js';
import type { BuiltKernel } from '../kernel/types.js';
import { PLAN_LIMITS, planProblem, type PlannedCommand } from '../guest/boot-archive.js';
import type { GuestPayload, ListingBoot, ReadContext, TestKind } from './kind.js';
import { kselftestKind } from './kselftest/kind.js';
import { kunitKind } from './kunit/kind.js';
import { probeKind } from './probe/kind.js';

type Registry = { [K in TestSpec['kind']]: TestKind<Extract<TestSpec, { kind: K }>> };

// the order of a cell's tree and of reading: dmesg last, as it reads the reports the others leave
export const KINDS: Registry = { probe: probeKind, kunit: kunitKind, command: commandKind, kselftest: kselftestKind, dmesg: dmesgKind };

/** The kind that implements a test of the matrix. */
export function kindOf<S extends TestSpec>(spec: S): TestKind<S> {
  return KINDS[spec.kind] as unknown as TestKind<S>;
}

/** What the kinds ask of a kernel's build, each kind's part in the registry's order (the build merges the fragments, then those the source holds). */
export function kernelTestInputs(spec: KernelSpec): KernelTestInputs {
  return Object.values(KINDS).reduce<KernelTestInputs>((all, kind) => {
    const asked = kind.kernelInputs(spec);
    return {
      fragments: [...all.fragments, ...(asked.fragments ?? [])],
      treeFragments: [...all.treeFragments, ...(asked.treeFragments ?? [])],
      keyInputs: { ...all.keyInputs, ...asked.keyInputs },
      companions: [...all.companions, ...(asked.companions ?? [])],
    };
  }, NO_TEST_INPUTS);
}

/** What the kinds add to a cell's kernel command line, in the registry's order. */
export function kindKernelArgs(cell: Pick<Cell, 'tests' | 'kernel'>): string[] {
  return Object.values(KINDS).flatMap((kind) => kind.kernelArgs(cell));
}

/** The kinds the cell runs, in the registry's order. */
function kindsOf(cell: Pick<Cell, 'tests'>): TestKind<TestSpec>[] {
  return (Object.values(KINDS) as TestKind<TestSpec>[]).filter((kind) => cell.tests.some((t) => t.kind === kind.kind));
}

/**
 * The cell as its built kernel serves each of its kinds (the selftests it
 * installed), or the first reason it cannot boot: a kind's own, or more
 * programs than the agent runs in one boot.
 */
export function withKernel(cell: Cell, kernel: BuiltKernel): Cell | { problem: string } {
  let served: Cell = cell;
  for (const kind of kindsOf(cell)) {
    const next = kind.withKernel(served, kernel);
    if ('problem' in next) return next;
    served = next;
  }
  const planned = agentCommands(served);
  if (planned.length > PLAN_LIMITS.commands) {
    return {
      problem: `the cell asks the agent to run ${planned.length} programs (commands and kselftests), more than the ${PLAN_LIMITS.commands} it runs in one boot: skip some tests, or give some targets to other cells (cell_tests:)`,
    };
  }
  const problem = planProblem(planned);
  return problem ? { problem: `${problem}: the agent cannot run it as it is` } : served;
}

/** Output the agent shows of one program at most: within the cell's console cap, with room for the rest; past it the agent counts and drops. */
export function programCapBytes(cell: Pick<Cell, 'boot'>): number {
  return Math.min(1024 * 1024, Math.floor(cell.boot.consoleCapBytes / 4));
}

/** Whether the cell's guest runs programs, and so boots the userspace layer. */
export function runsUserspace(cell: Pick<Cell, 'tests'>): boolean {
  return kindsOf(cell).some((kind) => kind.userspace);
}

/** What the cell's kinds put in its guest, in the registry's order (its commands, then its kselftests). */
export function guestPayload(cell: Pick<Cell, 'tests' | 'boot'>): GuestPayload {
  const parts = kindsOf(cell).map((kind) => kind.guest(cell, programCapBytes(cell)));
  return {
    programs: parts.flatMap((p) => p.programs),
    files: [...new Set(parts.flatMap((p) => p.files))],
    layers: parts.flatMap((p) => p.layers),
  };
}

/** The agent's plan for the cell: every program its kinds run, in order. */
export function agentCommands(cell: Pick<Cell, 'tests' | 'boot'>): PlannedCommand[] {
  return guestPayload(cell).programs;
}

/** Layers after the userspace one: the kinds' own (the kernel's installed kselftests). */
export function testLayers(cell: Pick<Cell, 'tests' | 'boot'>): string[] {
  return guestPayload(cell).layers;
}

/** The kernel's own list of its tests, from the first of the cell's kinds that needs and gets one. */
export async function kindListing(cell: Cell, obs: ConsoleObservation, boot: ListingBoot): Promise<Map<string, string[]> | null> {
  for (const kind of kindsOf(cell)) {
    const listing = (await kind.listing?.(cell, obs, boot)) ?? null;
    if (listing) return listing;
  }
  return null;
}

/** Seconds a cell's tests may take on top of the boot's timeout: each kind's allowance. */
export function kindAllowanceSec(cell: Pick<Cell, 'tests'>): number {
  return kindsOf(cell).reduce((sum, kind) => sum + kind.allowanceSec(cell), 0);
}

/**
 * What each kind the cell runs read of its boot, in the registry's order
 * (the order of the tree: probe, kunit, command, kselftest, dmesg). Each
 * is given the reports the kinds before it left to the cell: dmesg, last,
 * reads only those.
 */
export function readKinds(
  cell: Cell,
  obs: ConsoleObservation,
  ctx: Partial<Pick<ReadContext, 'listing' | 'consoleCut'>> = {},
): TestReading[] {
  const agentFinished = obs.agent.end !== null && obs.agent.missingSeqs.length === 0;
  const cap = programCapBytes(cell);
  let firstProgram = 1;
  const readings: TestReading[] = [];
  for (const kind of kindsOf(cell)) {
    const reading = kind.read(cell, obs, {
      ...(ctx.listing ? { listing: ctx.listing } : {}),
      consoleCut: ctx.consoleCut ?? false,
      agentFinished,
      firstProgram,
      incidentsLeft: cellIncidents(obs.incidents, readings),
    });
    firstProgram += kind.guest(cell, cap).programs.length;
    if (reading) readings.push(reading);
  }
  return readings;
}

/** A test as `kvmatrix list` shows it. */
export function describeTest(spec: TestSpec): { text: string; json: Record<string, unknown> } {
  return kindOf(spec).describe(spec);
}
