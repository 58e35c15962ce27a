import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultMatrixFile, projectRoot } from '../../../harness/host/install-paths.js';
import { imageMatrix } from './image-matrix.js';
import { RIG_PATHS } from './rig-spec.js';

/** The matrices the rig runs, by the name they have inside it. */
export const RIG_MATRICES = {
  murray: defaultMatrixFile,
  'murray-kvmtool-2020': join(projectRoot, 'matrices', 'murray-kvmtool-2020.yaml'),
} as const;

export const rigMatrixPath = (name: keyof typeof RIG_MATRICES) => `${RIG_PATHS.matrices}/${name}.yaml`;
export const rigLkvmPath = (name: string) => `${RIG_PATHS.bin}/${name}`;

/**
 * The files a job hands in: each lkvm (name -> path out here) under
 * RIG_PATHS.bin, the kernel Images built out here (kernel id -> Image), and
 * the rig's matrices with those Images for kernels.
 */
export function matrixJobInputs(
  images: Record<string, string>,
  lkvms: Record<string, string>,
): { files: Record<string, string>; texts: Record<string, string> } {
  const files: Record<string, string> = {};
  const texts: Record<string, string> = {};
  for (const [name, path] of Object.entries(lkvms)) files[rigLkvmPath(name)] = path;
  for (const [id, image] of Object.entries(images)) files[`${RIG_PATHS.images}/${id}/Image`] = image;
  for (const [name, file] of Object.entries(RIG_MATRICES)) {
    const rewritten = imageMatrix(readFileSync(file, 'utf8'), file);
    texts[rigMatrixPath(name as keyof typeof RIG_MATRICES)] = rewritten.matrix;
    for (const [definition, text] of Object.entries(rewritten.definitions)) texts[`${RIG_PATHS.kernels}/${definition}`] = text;
  }
  return { files, texts };
}
