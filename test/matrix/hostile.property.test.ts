/**
 * Property-based: the matrix loader over hostile matrices, generated from
 * the default matrix by edits (lines dropped, duplicated or swapped, values
 * replaced by odd strings with shell metacharacters, unknown keys) and from
 * raw text. It either loads or throws one InputError that names the file
 * (or a file it names, with the key that named it); nothing else escapes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import t from 'tap';
import { defaultMatrixFile, projectRoot } from '../../harness/host/install-paths.js';
import { InputError } from '../../harness/matrix/input-error.js';
import { loadMatrix } from '../../harness/matrix/load.js';
import { tempTree } from '../support/temp-tree.js';

const original = readFileSync(defaultMatrixFile, 'utf8').replace(
  /^kernels:\n/m,
  `paths:\n  kernels: ${join(projectRoot, 'kernels')}\n  patches: ${join(projectRoot, 'patches')}\nkernels:\n`,
);
const lines = original.split('\n');
const dir = tempTree({});
const file = join(dir, 'm.yaml');
const RUNS = 300;

/** Loads text as a matrix; returns what escaped that is not an InputError naming the file. */
function escapes(text: string): string | null {
  writeFileSync(file, text);
  try {
    loadMatrix(file);
    return null;
  } catch (error) {
    // the matrix itself, or a file it names (a definition) with the key that named it
    if (error instanceof InputError && (error.message.startsWith(file) || error.message.includes(` in ${file})`))) return null;
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
}

const odd = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    '$(rm -rf /)',
    '`reboot`',
    "'; echo pwned #",
    '&& true',
    '| cat',
    '../../../etc/passwd',
    '~root',
    '*',
    '\\',
    '"',
    'null',
    '~',
    '6.10',
    '0x4000',
    '-1',
    '1e999',
    '{a: [',
    ']]',
    '!!binary AAAA',
    '&anchor',
    '*alias',
    '<<: *x',
  ),
);
const edit = fc.oneof(
  fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), with: fc.nat() }),
  fc.record({ kind: fc.constant('value' as const), at: fc.nat(), value: odd }),
  fc.record({ kind: fc.constant('key' as const), at: fc.nat(), key: fc.stringMatching(/^[a-z_]{1,12}$/), value: odd }),
  fc.record({ kind: fc.constant('indent' as const), at: fc.nat(), by: fc.integer({ min: -4, max: 4 }) }),
);

interface Edit {
  kind: 'drop' | 'duplicate' | 'swap' | 'value' | 'key' | 'indent';
  at: number;
  with?: number;
  value?: string;
  key?: string;
  by?: number;
}

function apply(text: string[], e: Edit): string[] {
  const out = [...text];
  const i = e.at % out.length;
  const line = out[i]!;
  switch (e.kind) {
    case 'drop':
      out.splice(i, 1);
      break;
    case 'duplicate':
      out.splice(i, 0, line);
      break;
    case 'swap': {
      const j = e.with! % out.length;
      [out[i], out[j]] = [out[j]!, line];
      break;
    }
    case 'value':
      out[i] = line.includes(':') ? `${line.slice(0, line.indexOf(':') + 1)} ${e.value}` : `${line}${e.value}`;
      break;
    case 'key':
      out.splice(i, 0, `${line.match(/^\s*/)![0]}${e.key}: ${e.value}`);
      break;
    case 'indent':
      out[i] = e.by! >= 0 ? `${' '.repeat(e.by!)}${line}` : line.replace(new RegExp(`^ {0,${-e.by!}}`), '');
      break;
  }
  return out;
}

t.test('the default matrix loads as it is', async (t) => {
  t.equal(escapes(original), null);
  t.same(
    loadMatrix(file).kernels.map((k) => k.id),
    ['unpatched', 'patched'],
  );
});

t.test('edited matrices: loaded, or one InputError naming the file', async (t) => {
  fc.assert(
    fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
      const text = edits.reduce((acc, e) => apply(acc, e), lines).join('\n');
      const escaped = escapes(text);
      if (escaped) throw new Error(`${escaped}\n--- matrix ---\n${text}`);
    }),
    { numRuns: RUNS },
  );
  t.pass(`${RUNS} edited matrices`);
});

t.test('raw text: loaded, or one InputError naming the file', async (t) => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }), odd), (text) => {
      const escaped = escapes(text);
      if (escaped) throw new Error(`${escaped}\n--- text ---\n${JSON.stringify(text)}`);
    }),
    { numRuns: RUNS },
  );
  t.pass(`${RUNS} raw texts`);
});
