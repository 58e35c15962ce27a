import { parseDocument } from 'yaml';

/** A matrix rewritten for the rig, and the kernel definitions it names. */
export interface ImageMatrix {
  /** The matrix file's text; it lies in RIG_PATHS.matrices. */
  matrix: string;
  /** Kernel definition file name (in RIG_PATHS.kernels) -> text. */
  definitions: Record<string, string>;
  kernelIds: string[];
}

/**
 * The same matrix with every kernel replaced by a built Image handed in from
 * outside (`source: image`), so that the rig needs no kernel compiler. Cell
 * ids, VMMs, devices, boot settings and expectations stay as they are: the
 * verdicts inside can be held against the ones outside.
 */
export function imageMatrix(text: string, file: string): ImageMatrix {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
  const matrix = doc.toJS() as { kernels?: Record<string, { description?: string }> };
  const kernelIds = Object.keys(matrix.kernels ?? {});
  if (kernelIds.length === 0) throw new Error(`${file}: no kernels`);
  const definitions: Record<string, string> = {};
  for (const id of kernelIds) {
    const description = matrix.kernels![id]!.description;
    doc.setIn(['kernels', id], doc.createNode({ definition: `${id}-image`, ...(description ? { description } : {}) }));
    definitions[`${id}-image.yaml`] =
      `description: kernel ${id} of ${file}, built outside the rig\nsource:\n  image: ../images/${id}/Image\n`;
  }
  doc.setIn(['paths'], doc.createNode({ kernels: '../kernels', patches: '../patches' }));
  return { matrix: doc.toString(), definitions, kernelIds };
}
