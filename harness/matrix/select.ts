import { cellKeys } from './expand.js';
import { InputError } from './input-error.js';
import { CELL_KEYS, type Cell, type CellKey } from './types.js';

export interface CellSelection {
  /** Cell ids; `*` matches any run of characters. A cell matching any is kept. */
  cells?: string[];
  /** `key=value` or `key=v1,v2`; every filter must match. */
  filters?: string[];
}

/**
 * The cells a run works on. Throws an InputError naming the option when a
 * selector is malformed or selects nothing, so that a typo never turns into
 * an empty, green run.
 */
export function selectCells(all: readonly Cell[], selection: CellSelection): Cell[] {
  const filters = (selection.filters ?? []).map(parseFilter);
  let cells = all.filter((cell) => {
    const keys = cellKeys(cell);
    return filters.every(({ key, values }) => values.includes(keys[key]));
  });
  if (filters.length > 0 && cells.length === 0) {
    throw new InputError(`--filter ${selection.filters!.join(' --filter ')} selects no cell of this matrix`);
  }
  const patterns = selection.cells ?? [];
  if (patterns.length > 0) {
    for (const pattern of patterns) {
      const re = globToRegExp(pattern);
      if (!all.some((c) => re.test(c.id))) {
        const ids = all.map((c) => c.id);
        throw new InputError(`--cell ${pattern} matches no cell of this matrix; cells are:\n  ${ids.join('\n  ')}`);
      }
    }
    const res = patterns.map(globToRegExp);
    cells = cells.filter((c) => res.some((re) => re.test(c.id)));
    if (cells.length === 0) {
      throw new InputError('--cell and --filter together select no cell');
    }
  }
  return cells;
}

export function parseFilter(text: string): { key: CellKey; values: string[] } {
  const eq = text.indexOf('=');
  const key = eq > 0 ? text.slice(0, eq) : '';
  const values =
    eq > 0
      ? text
          .slice(eq + 1)
          .split(',')
          .filter(Boolean)
      : [];
  if (!(CELL_KEYS as readonly string[]).includes(key) || values.length === 0) {
    throw new InputError(`--filter ${text}: expected key=value with key one of ${CELL_KEYS.join(', ')}`);
  }
  return { key: key as CellKey, values };
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}
