/**
 * `--test GLOB`: a cell that runs only what the glob can name. Each kind
 * narrows its own tests (kind.ts narrow); one the glob cannot reach is
 * left out (a cell left with KUnit alone boots without devices); and the
 * cell carries the glob, so that its verdict and reports keep only the
 * tests it names.
 */
import { InputError } from '../matrix/input-error.js';
import { testGlobProblem } from '../matrix/test-path.js';
import { needsDevices } from '../matrix/expand.js';
import type { Cell, TestSpec } from '../matrix/types.js';
import { kindOf } from './registry.js';

/** The cell narrowed to the glob, or null when it runs nothing the glob names. */
export function narrowCell(cell: Cell, glob: string): Cell | null {
  const narrowed = cell.tests.flatMap((test): TestSpec[] => {
    const kept = kindOf(test).narrow(test, glob);
    return kept ? [kept] : [];
  });
  if (narrowed.length === 0) return null;
  // a kind that reads the whole boot (dmesg) sees the boot the matrix runs, not a smaller one
  const tests = narrowed.some((test) => kindOf(test).readsWholeBoot) ? cell.tests : narrowed;
  return { ...cell, tests, devices: needsDevices(tests) ? cell.devices : [], only: glob };
}

/**
 * Every selected cell narrowed to --test; cells that run nothing it names
 * are left out. One InputError when the glob is malformed or no cell runs
 * anything it names.
 */
export function narrowCells(cells: readonly Cell[], glob: string): Cell[] {
  const problem = testGlobProblem(glob);
  if (problem) throw new InputError(`--test ${glob}: ${problem}`);
  const narrowed = cells.map((c) => narrowCell(c, glob)).filter((c): c is Cell => c !== null);
  if (narrowed.length === 0) {
    const kinds = [...new Set(cells.flatMap((c) => c.tests.map((t) => t.kind)))].join(', ');
    throw new InputError(`--test ${glob} names no test the selected cells run (they run ${kinds})`);
  }
  return narrowed;
}
