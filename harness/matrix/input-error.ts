/**
 * A problem with something the user wrote: a matrix, a kernel definition, a
 * patch, a command-line value. It carries where it came from so that the one
 * message the user sees points at the line to fix.
 */
export interface InputLocation {
  file: string;
  line?: number;
  col?: number;
  /** Key path inside the file, such as `kernels.unpatched.patches[0]`. */
  keyPath?: string;
}

export class InputError extends Error {
  override readonly name = 'InputError';
  readonly location: InputLocation | undefined;
  readonly detail: string;

  constructor(detail: string, location?: InputLocation) {
    super(formatInputError(detail, location));
    this.detail = detail;
    this.location = location;
  }
}

export function formatInputError(detail: string, location?: InputLocation): string {
  if (!location) return detail;
  let where = location.file;
  if (location.line !== undefined) {
    where += `:${location.line}`;
    if (location.col !== undefined) where += `:${location.col}`;
  }
  const key = location.keyPath ? ` ${location.keyPath}:` : '';
  return `${where}:${key} ${detail}`;
}

/** `kernels.unpatched.patches[0]` from `['kernels', 'unpatched', 'patches', 0]`. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}
