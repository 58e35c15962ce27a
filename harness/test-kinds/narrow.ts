/**
 * `--test GLOB`: a cell that runs only what the glob can name. A test
 * kind the glob cannot reach is left out (a cell left with KUnit alone
 * boots without devices); KUnit's filter becomes the glob's (kunitFilterFor), the
 * kselftest targets those it reaches; and the
 * cell carries the glob, so that its verdict and reports keep only the
 * tests it names.
 */
import { InputError } from '../matrix/input-error.js';
import { globMatchesPath, testGlobProblem, testPath } from '../matrix/test-path.js';
import { needsDevices } from '../matrix/expand.js';
import type { Cell, TestSpec } from '../matrix/types.js';
import { globReachesCommand } from './command/command.js';
import { kunitFilterFor } from './kunit/kunit.js';
import { globReachesKselftest } from './kselftest/kselftest.js';

/** The cell narrowed to the glob, or null when it runs nothing the glob names. */
export function narrowCell(cell: Cell, glob: string): Cell | null {
  const tests = cell.tests.flatMap((test): TestSpec[] => {
    if (test.kind === 'kunit') {
      const filter = kunitFilterFor(glob);
      if (filter === undefined) return [];
      return [{ ...test, filter: filter ?? test.filter }];
    }
    if (test.kind === 'command') return globReachesCommand(glob, test.name) ? [test] : [];
    if (test.kind === 'kselftest') {
      // only the targets the glob reaches run (their tests by the glob's own rule, in the reports)
      const targets = test.targets.filter((target) => globReachesKselftest(glob, target));
      return targets.length > 0 ? [{ ...test, targets }] : [];
    }
    // the probe and kinds like it: kept when the glob names the kind or something below it
    return reaches(glob, test.kind) ? [test] : [];
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

/** Whether a glob can name a test kind or anything below it. */
function reaches(glob: string, kind: string): boolean {
  const first = glob.split('.')[0]!;
  return globMatchesPath(first, testPath(kind));
}
