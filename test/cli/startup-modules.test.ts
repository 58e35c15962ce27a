/**
 * The CLI loads only what the command it runs needs: `kvmatrix --help` and
 * a command's --help read the command definitions alone, while running a
 * command loads its own modules. Which modules, not how long: the time is
 * the bench's business.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { projectRoot } from '../../harness/host/install-paths.js';
import { cliPath } from '../support/cli.js';

// tsc's output keeps a file per module, so the trace names them; the bin
// (cliPath) is the same code bundled and split at the same dynamic imports
const compiledCli = join(projectRoot, 'dist', 'harness', 'cli', 'main.js');
import { tempTree } from '../support/temp-tree.js';

const register = join(projectRoot, 'test', 'support', 'module-trace', 'register.mjs');

/** The project's and its dependencies' ES modules a CLI call loads, as paths below the project. */
async function modulesLoadedBy(args: string[], cli = compiledCli): Promise<string[]> {
  const trace = join(tempTree({}), 'modules.txt');
  const run = await execa(process.execPath, ['--import', register, cli, ...args], {
    reject: false,
    env: { KVMATRIX_MODULE_TRACE: trace },
    cwd: projectRoot,
  });
  if (run.exitCode !== 0) throw new Error(`kvmatrix ${args.join(' ')} exited ${run.exitCode}: ${run.stderr}`);
  return readFileSync(trace, 'utf8')
    .trim()
    .split('\n')
    .map((url) => url.replace(`file://${projectRoot}/`, ''));
}

// what running a matrix needs, and what no --help should pay for
const HEAVY = [/node_modules\/zod\//, /node_modules\/yaml\//, /node_modules\/execa\//, /node_modules\/xmlbuilder2\//, /node_modules\/log-update\//, /harness\/run\/run-matrix\.js$/, /harness\/kernel\/build\.js$/, /harness\/matrix\/load\.js$/];
const heavyIn = (modules: string[]) => modules.filter((m) => HEAVY.some((h) => h.test(m)));

t.test('--help, a command\'s --help and --version load no matrix, kernel, report or VMM code', async (t) => {
  for (const args of [['--help'], ['run', '--help'], ['bisect-run', '--help'], ['--version']]) {
    const modules = await modulesLoadedBy(args);
    t.same(heavyIn(modules), [], `kvmatrix ${args.join(' ')}: ${modules.length} modules, none of the heavy ones`);
    t.ok(modules.some((m) => m.endsWith('harness/cli/main.js')), 'the trace saw the CLI itself');
  }
});

t.test('running a command loads what it needs', async (t) => {
  const list = await modulesLoadedBy(['list']);
  t.ok(list.some((m) => /harness\/matrix\/load\.js$/.test(m)), 'list loads the matrix loader');
  t.ok(list.some((m) => /node_modules\/zod\//.test(m)), 'and the schema library');
  t.notOk(list.some((m) => /harness\/run\/run-matrix\.js$/.test(m)), 'but not the scheduler');
  t.notOk(list.some((m) => /node_modules\/(proper-lockfile|xmlbuilder2)\//.test(m)), 'nor the lock or JUnit libraries (loaded when a lock is taken, a report written)');
});

t.test('the bundled bin keeps the split: --help loads no chunk with the matrix loader, list does', async (t) => {
  const holdsLoader = (files: string[]) => files.filter((f) => readFileSync(join(projectRoot, f), 'utf8').includes('function loadMatrix('));
  const help = await modulesLoadedBy(['--help'], cliPath);
  t.ok(help.every((f) => f.startsWith('dist/cli/')), `only the bundle's files (${help.length})`);
  t.same(holdsLoader(help), [], '--help: no chunk holding loadMatrix');
  const list = await modulesLoadedBy(['list'], cliPath);
  t.equal(holdsLoader(list).length, 1, 'list: the chunk holding loadMatrix');
  t.ok(list.length > help.length, `list loads more files (${list.length}) than --help (${help.length})`);
});
