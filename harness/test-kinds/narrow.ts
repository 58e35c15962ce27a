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
  const tests = cell.tests.flatMap((test): TestSpec[] => {
    const narrowed = kindOf(test).narrow(test, glob);
    return narrowed ? [narrowed] : [];
  });
  if (tests.length === 0) return null;
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
