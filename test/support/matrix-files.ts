/**
 * Matrices written by tests: one in a project of its own (matrices/ and
 * kernels/ side by side, for the loader's tests), the head of one on the
 * project's own kernels (for runs), and the InputError a bad one gives.
 */
import { join } from 'node:path';
import { projectRoot } from '../../harness/host/install-paths.js';
import { InputError } from '../../harness/matrix/input-error.js';
import { loadMatrix } from '../../harness/matrix/load.js';
import { tempTree } from './temp-tree.js';

/** matrices/m.yaml in a new project whose kernels/k.yaml names a tarball that is not there; `extra` adds files. */
export function matrixProject(matrix: string, extra: Record<string, string> = {}): string {
  const root = tempTree({ 'matrices/m.yaml': matrix, 'kernels/k.yaml': 'source:\n  tarball: /nonexistent/linux.tar.xz\n', ...extra });
  return join(root, 'matrices/m.yaml');
}

/** A matrix of one cell (kernel a from matrixProject's kernel k, QEMU q, modern), its tests still to be written; they start at line 7. */
export const ONE_CELL_MATRIX = `name: t
kernels:
  a: { definition: k }
vmms:
  q: { type: qemu }
transports: [modern]
`;

/** The InputError loading the matrix gives; throws when it loads. */
export function loadError(file: string): InputError {
  try {
    loadMatrix(file);
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

/** A matrix's first lines: its name, the project's kernels and patches, and the default matrix's patched kernel. */
export function matrixHead(name: string): string[] {
  return [
    `name: ${name}`,
    'paths:',
    `  kernels: ${join(projectRoot, 'kernels')}`,
    `  patches: ${join(projectRoot, 'patches')}`,
    'kernels:',
    '  patched: { definition: debian-6.1 }',
  ];
}
