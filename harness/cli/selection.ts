/**
 * The cells a command works on, one way for every command that takes
 * cells: the matrix loaded (default matrices/murray.yaml), the cells
 * --cell and --filter select, narrowed to --test, and for the commands
 * that take one cell, exactly one.
 */
import { defaultMatrixFile } from '../host/install-paths.js';
import { expandMatrix } from '../matrix/expand.js';
import { InputError } from '../matrix/input-error.js';
import { loadMatrix } from '../matrix/load.js';
import { selectCells } from '../matrix/select.js';
import type { Cell, Matrix } from '../matrix/types.js';
import { validatedFiles } from './validated-files.js';

export interface LoadedSelection {
  matrix: Matrix;
  cells: Cell[];
}

/** The matrix and the cells the options select. */
export function loadSelection(matrixFile: string | undefined, cells: string[], filters: string[]): LoadedSelection {
  const matrix = loadMatrix(matrixFile ?? defaultMatrixFile, { memo: validatedFiles() });
  return { matrix, cells: selectCells(expandMatrix(matrix), { cells, filters }) };
}

/** The cells narrowed to --test when it was given (the kinds narrow their own tests); as they are otherwise. */
export async function narrowedToTest(cells: Cell[], test: string | undefined): Promise<Cell[]> {
  return test === undefined ? cells : (await import('../test-kinds/narrow.js')).narrowCells(cells, test);
}

/** The one cell a selector chose, or one InputError naming what it chose instead. */
export function exactlyOne(cells: readonly Cell[], selector: string, command: string): Cell {
  if (cells.length !== 1) {
    throw new InputError(
      `"${selector}" selects ${cells.length} cells (${cells.map((c) => c.id).join(', ')}); ${command} takes exactly one`,
    );
  }
  return cells[0]!;
}
