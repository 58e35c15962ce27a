import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { projectRoot } from '../../harness/host/install-paths.js';
import { InputError } from '../../harness/matrix/input-error.js';
import { loadMatrix } from '../../harness/matrix/load.js';
import { recallValidated, rememberValidated, type ValidatedMemo } from '../../harness/matrix/validated-memo.js';
import { tempTree } from '../support/temp-tree.js';

const kernelDef = `source:
  tarball: /nonexistent/linux.tar.xz
config:
  fragments: [frag.config]
`;

const matrixText = `name: small
kernels:
  a:
    definition: k
    patches: [fix.patch]
vmms:
  q:
    type: qemu
`;

function project(files: Record<string, string> = {}): { root: string; matrix: string } {
  const root = tempTree({
    'matrices/m.yaml': matrixText,
    'kernels/k.yaml': kernelDef,
    'kernels/frag.config': 'CONFIG_PCI=y\n',
    'patches/fix.patch': '--- a/x\n+++ b/x\n',
    ...files,
  });
  return { root, matrix: join(root, 'matrices/m.yaml') };
}

const memoIn = (build = 'build-1'): ValidatedMemo => ({ dir: join(tempTree({}), 'parsed'), build });
const kept = (memo: ValidatedMemo) => (existsSync(memo.dir) ? readdirSync(memo.dir).sort() : []);

function loadError(load: () => unknown): InputError {
  try {
    load();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

t.test('a file validated once is taken from the memo the next time, as it was kept', async (t) => {
  const { matrix } = project();
  const memo = memoIn();
  const fresh = loadMatrix(matrix);
  t.strictSame(loadMatrix(matrix, { memo }), fresh, 'the first load validates, and gives what a load without memo gives');
  const files = kept(memo);
  t.same(
    files.map((f) => f.replace(/-[0-9a-f]{32}\.json$/, '')),
    ['kernel', 'matrix'],
    'one kept file per file read',
  );
  t.strictSame(loadMatrix(matrix, { memo }), fresh, 'the second load gives the same');

  // what is kept is what is used: a kept file changed behind its back shows through
  const matrixKept = join(
    memo.dir,
    files.find((f) => f.startsWith('matrix-'))!,
  );
  writeFileSync(matrixKept, readFileSync(matrixKept, 'utf8').replace('"small"', '"from-the-memo"'));
  t.equal(loadMatrix(matrix, { memo }).name, 'from-the-memo', 'the kept data, not the file, on a hit');
});

t.test('an edited file, another build or another kind of file is validated again', async (t) => {
  const { matrix } = project();
  const memo = memoIn();
  loadMatrix(matrix, { memo });
  writeFileSync(matrix, matrixText.replace('name: small', 'name: edited'));
  t.equal(loadMatrix(matrix, { memo }).name, 'edited', 'an edit is seen at once');
  t.equal(kept(memo).filter((f) => f.startsWith('matrix-')).length, 2, 'and kept beside the old text');

  const other = { ...memo, build: 'build-2' };
  t.equal(recallValidated(other, 'matrix', readFileSync(matrix, 'utf8')), undefined, 'another build recalls nothing');
  t.equal(recallValidated(memo, 'kernel', readFileSync(matrix, 'utf8')), undefined, 'nor another kind of file with the same text');
  t.match(recallValidated(memo, 'matrix', readFileSync(matrix, 'utf8')), { name: 'edited' }, 'this build recalls it');
});

t.test('a mistake is never kept, and is reported the same each time', async (t) => {
  const { matrix } = project({ 'matrices/m.yaml': matrixText.replace('type: qemu', 'type: qemu\n    ports: 99') });
  const memo = memoIn();
  const first = loadError(() => loadMatrix(matrix, { memo }));
  const second = loadError(() => loadMatrix(matrix, { memo }));
  t.match(first.message, /m\.yaml:9:\d+: vmms\.q\.ports: /);
  t.equal(second.message, first.message);
  t.same(kept(memo), [], 'nothing kept');
});

t.test('an error found after validation still names its line when the file came from the memo', async (t) => {
  const { root, matrix } = project();
  const memo = memoIn();
  loadMatrix(matrix, { memo });
  rmSync(join(root, 'kernels/frag.config'));
  const withMemo = loadError(() => loadMatrix(matrix, { memo }));
  const without = loadError(() => loadMatrix(matrix));
  t.equal(withMemo.message, without.message, 'the same message, line and column');
  t.match(withMemo.message, /k\.yaml:4:\d+: config\.fragments\[0\]: config fragment .* does not exist/);
  t.ok(
    kept(memo).some((f) => f.startsWith('kernel-')),
    'the kernel file was taken from the memo',
  );
});

t.test('every matrix of the project loads from the memo exactly as it validates', async (t) => {
  const memo = memoIn();
  const dir = join(projectRoot, 'matrices');
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
    const file = join(dir, name);
    const fresh = loadMatrix(file);
    loadMatrix(file, { memo });
    t.strictSame(loadMatrix(file, { memo }), fresh, name);
  }
  t.ok(kept(memo).length >= 4, `${kept(memo).length} files kept`);
});

t.test('a damaged, unreadable or unwritable memo costs a validation, never a result', async (t) => {
  const { matrix } = project();
  const memo = memoIn();
  const fresh = loadMatrix(matrix);
  loadMatrix(matrix, { memo });
  for (const file of kept(memo)) writeFileSync(join(memo.dir, file), '{"name": ');
  t.strictSame(loadMatrix(matrix, { memo }), fresh, 'damaged kept files are read as not kept');
  t.strictSame(loadMatrix(matrix, { memo }), fresh, 'and written again');
  t.ok(
    kept(memo).every((f) => JSON.parse(readFileSync(join(memo.dir, f), 'utf8')) !== null),
    'now whole',
  );

  const blocked = join(tempTree({ 'a-file': '' }), 'a-file');
  t.strictSame(loadMatrix(matrix, { memo: { dir: join(blocked, 'parsed'), build: 'b' } }), fresh, 'a memo folder that cannot be made');
});

t.test('data that JSON cannot carry is not kept; the memo keeps the most recent files', async (t) => {
  const memo = memoIn();
  rememberValidated(memo, 'matrix', 'x: 1', { x: undefined });
  rememberValidated(memo, 'matrix', 'y: 1', { y: Infinity });
  t.same(kept(memo), [], 'nothing written for either');

  for (let i = 0; i < 70; i++) rememberValidated(memo, 'matrix', `n: ${i}`, { n: i });
  t.equal(kept(memo).length, 64, '64 kept of 70');
});
