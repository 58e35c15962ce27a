/**
 * The lint's flow rule, tried on a small tree of its own: an import down
 * the data flow passes; one up it, or a circle between two folders, fails
 * with the rule's name. The same config checks harness/ in `npm run lint`.
 */
import { execa } from 'execa';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { projectRoot } from '../../harness/host/install-paths.js';
import { tempTree } from '../support/temp-tree.js';

const depcruise = join(projectRoot, 'node_modules', '.bin', 'depcruise');

async function cruise(files: Record<string, string>): Promise<{ code: number; out: string }> {
  const dir = tempTree({
    'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', strict: true } }),
    ...files,
  });
  copyFileSync(join(projectRoot, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'));
  const run = await execa(depcruise, ['harness', '--config', '.dependency-cruiser.cjs'], { cwd: dir, reject: false });
  return { code: run.exitCode ?? -1, out: `${String(run.stdout)}${String(run.stderr)}` };
}

t.test('an import down the flow passes: report reads verdict', async (t) => {
  const run = await cruise({
    'harness/verdict/tree.ts': 'export const leaf = 1;\n',
    'harness/report/tap.ts': "import { leaf } from '../verdict/tree.js';\nexport const x = leaf;\n",
  });
  t.equal(run.code, 0, run.out);
});

t.test('an import up the flow fails, naming the rule: matrix reads run', async (t) => {
  const run = await cruise({
    'harness/run/run-id.ts': 'export const id = 1;\n',
    'harness/matrix/load.ts': "import { id } from '../run/run-id.js';\nexport const x = id;\n",
  });
  t.not(run.code, 0);
  t.match(run.out, /no-import-up-from-matrix: harness\/matrix\/load\.ts → harness\/run\/run-id\.ts/);
});

t.test('a circle inside one folder is left to the folder; one through two folders fails', async (t) => {
  const inside = await cruise({
    'harness/console/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
    'harness/console/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
  });
  t.equal(inside.code, 0, inside.out);
  const across = await cruise({
    'harness/console/a.ts': "import { b } from '../vmm/b.js';\nexport const a = () => b;\n",
    'harness/vmm/b.ts': "import { a } from '../console/a.js';\nexport const b = () => a;\n",
  });
  t.not(across.code, 0);
  t.match(across.out, /no-circle-between-folders/);
});
