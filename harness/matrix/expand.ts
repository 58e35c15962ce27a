import type {
  BootSettings,
  Cell,
  CellBootRule,
  CellKey,
  CellTestsRule,
  DeviceKind,
  DeviceSlot,
  Expectation,
  ExpectationRule,
  LeafExpectation,
  Matrix,
  TestSpec,
  VmmSpec,
} from './types.js';
import { KIND_NEEDS_DEVICES } from './types.js';

/**
 * Every cell of a matrix, kernels outermost, in the order the file lists
 * them. Ids are `<kernel>/<vmm>/<transport>`.
 */
export function expandMatrix(matrix: Matrix): Cell[] {
  const cells: Cell[] = [];
  for (const kernel of matrix.kernels) {
    for (const vmm of matrix.vmms) {
      for (const transport of matrix.transports) {
        const topology = vmm.type === 'qemu' ? vmm.topology : 'flat';
        const partial = { kernel: kernel.id, vmm: vmm.id, transport, type: vmm.type, topology };
        const { tests } = testsFor(partial, matrix.tests, matrix.cellTests);
        cells.push({
          id: `${kernel.id}/${vmm.id}/${transport}`,
          kernel,
          vmm,
          transport,
          topology,
          devices: needsDevices(tests) ? deviceSlots(vmm, matrix.devices) : [],
          expect: expectationFor(partial, matrix.expectations),
          leafExpect: leafExpectationsFor(partial, matrix.expectations),
          boot: bootFor(partial, matrix.boot, matrix.cellBoot),
          tests,
        });
      }
    }
  }
  return cells;
}

/**
 * Flat: the listed devices, one per root-bus slot. Bridged: one device behind
 * each root port, cycling through the list, so that six ports with rng, net
 * and blk give each kind twice, the second set at I/O windows 0x4000 and up.
 */
export function deviceSlots(vmm: VmmSpec, kinds: readonly DeviceKind[]): DeviceSlot[] {
  const count = vmm.type === 'qemu' && vmm.topology === 'bridged' ? vmm.ports : kinds.length;
  const seen = new Map<DeviceKind, number>();
  const slots: DeviceSlot[] = [];
  for (let i = 0; i < count; i++) {
    const kind = kinds[i % kinds.length]!;
    const ordinal = (seen.get(kind) ?? 0) + 1;
    seen.set(kind, ordinal);
    slots.push({ name: `${kind}${ordinal}`, kind, position: i + 1 });
  }
  return slots;
}

/** A `when:` of an expect or cell_boot rule matches a cell when every key it names does. */
function ruleMatches(cell: Record<CellKey, string>, when: Partial<Record<CellKey, string>>): boolean {
  return Object.entries(when).every(([k, v]) => cell[k as CellKey] === v);
}

/** The last rule without `test:` whose every key matches decides; no rule means pass. */
export function expectationFor(cell: Record<CellKey, string>, rules: readonly ExpectationRule[]): Expectation {
  let found: Expectation = { verdict: 'pass' };
  rules.forEach((rule, index) => {
    if (rule.test === undefined && ruleMatches(cell, rule.when))
      found = { verdict: rule.verdict, ...(rule.why ? { why: rule.why } : {}), rule: index };
  });
  return found;
}

/** The rules with `test:` that apply to a cell, in order (a later one wins for a test both name). */
export function leafExpectationsFor(cell: Record<CellKey, string>, rules: readonly ExpectationRule[]): LeafExpectation[] {
  return rules.flatMap((rule, index) =>
    rule.test !== undefined && ruleMatches(cell, rule.when)
      ? [
          {
            test: rule.test,
            ...(rule.verdict ? { verdict: rule.verdict } : {}),
            ...(rule.why ? { why: rule.why } : {}),
            ...(rule.mayPrint ? { mayPrint: rule.mayPrint } : {}),
            rule: index,
          },
        ]
      : [],
  );
}

/** The matrix's tests, or those of the last cell_tests rule that matches; `rule` is its index. */
export function testsFor(
  cell: Record<CellKey, string>,
  tests: readonly TestSpec[],
  rules: readonly CellTestsRule[],
): { tests: TestSpec[]; rule: number | null } {
  let found: { tests: TestSpec[]; rule: number | null } = { tests: [...tests], rule: null };
  rules.forEach((rule, index) => {
    if (ruleMatches(cell, rule.when)) found = { tests: rule.tests, rule: index };
  });
  return found;
}

/** The matrix's boot settings with every matching cell_boot rule applied in order. */
export function bootFor(cell: Record<CellKey, string>, boot: BootSettings, rules: readonly CellBootRule[]): BootSettings {
  let settings = boot;
  for (const rule of rules) {
    if (!ruleMatches(cell, rule.when)) continue;
    settings = {
      ...settings,
      ...(rule.timeoutSec !== undefined ? { timeoutSec: rule.timeoutSec } : {}),
      ...(rule.retries !== undefined ? { retries: rule.retries } : {}),
      ...(rule.repeat !== undefined ? { repeat: rule.repeat } : {}),
    };
  }
  return settings;
}

/** The values a cell is selected and matched by. */
export function cellKeys(cell: Pick<Cell, 'kernel' | 'vmm' | 'transport' | 'topology'>): Record<CellKey, string> {
  return {
    kernel: cell.kernel.id,
    vmm: cell.vmm.id,
    transport: cell.transport,
    type: cell.vmm.type,
    topology: cell.topology,
  };
}

/** Whether a cell's guest gets the matrix's devices: when one of its kinds uses them (KIND_NEEDS_DEVICES). */
export function needsDevices(tests: readonly TestSpec[]): boolean {
  return tests.some((t) => KIND_NEEDS_DEVICES[t.kind]);
}
