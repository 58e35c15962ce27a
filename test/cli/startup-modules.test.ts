/**
 * The CLI loads only what the command it runs needs: `kvmatrix --help` and
 * a command's --help read the command definitions alone, while running a
 * command loads its own modules. Which modules, not how long: the time is
 * the bench's business.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { projectRoot } from '../../harness/host/install-paths.js';
import { cliPath } from '../support/cli.js';

// tsc's output keeps a file per module, so the trace names them; the bin
// (cliPath) runs the same code bundled, each dynamic import still evaluated
// only when it is reached
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
const HEAVY = [
  /node_modules\/zod\//,
  /node_modules\/yaml\//,
  /node_modules\/execa\//,
  /node_modules\/fast-xml-builder\//,
  /node_modules\/log-update\//,
  /harness\/run\/run-matrix\.js$/,
  /harness\/kernel\/build\.js$/,
  /harness\/matrix\/load\.js$/,
];
const heavyIn = (modules: string[]) => modules.filter((m) => HEAVY.some((h) => h.test(m)));

t.test("--help, a command's --help and --version load no matrix, kernel, report or VMM code", async (t) => {
  for (const args of [['--help'], ['run', '--help'], ['bisect-run', '--help'], ['--version']]) {
    const modules = await modulesLoadedBy(args);
    t.same(heavyIn(modules), [], `kvmatrix ${args.join(' ')}: ${modules.length} modules, none of the heavy ones`);
    t.ok(
      modules.some((m) => m.endsWith('harness/cli/main.js')),
      'the trace saw the CLI itself',
    );
  }
});

t.test('running a command loads what it needs', async (t) => {
  const list = await modulesLoadedBy(['list']);
  t.ok(
    list.some((m) => /harness\/matrix\/load\.js$/.test(m)),
    'list loads the matrix loader',
  );
  t.ok(
    list.some((m) => /node_modules\/zod\//.test(m)),
    'and the schema library',
  );
  t.notOk(
    list.some((m) => /harness\/run\/run-matrix\.js$/.test(m)),
    'but not the scheduler',
  );
  t.notOk(
    list.some((m) => /node_modules\/(proper-lockfile|fast-xml-builder)\//.test(m)),
    'nor the lock or JUnit libraries (loaded when a lock is taken, a report written)',
  );
});

t.test("the bin keeps V8's code for the bundle in the cache, uses it, and shrugs off a bad or unwritable one", async (t) => {
  const cache = tempTree({});
  const codeDir = join(cache, 'code');
  const run = (args: string[], env: Record<string, string> = { KVMATRIX_CACHE: cache }) =>
    execa(process.execPath, [cliPath, ...args], { reject: false, env, cwd: projectRoot });
  const kept = () => (existsSync(codeDir) ? readdirSync(codeDir).filter((f) => f.endsWith('.v8')) : []);

  // the bin reads the bundle as latin1, which is the same text only for ASCII
  const bundle = readFileSync(join(projectRoot, 'dist', 'cli', 'bundle.cjs'));
  t.equal(
    bundle.findIndex((byte) => byte > 0x7f),
    -1,
    'the bundle is ASCII',
  );

  const first = await run(['--version']);
  t.equal(first.exitCode, 0, first.stderr);
  t.equal(kept().length, 1, 'the first run keeps the compiled code');
  const file = join(codeDir, kept()[0]!);
  const written = statSync(file).mtimeMs;
  t.ok(statSync(file).size > 10_000, `${statSync(file).size} bytes of code`);

  const help = await run(['--help']);
  t.equal(help.exitCode, 0);
  t.match(help.stdout, /Usage: kvmatrix/);
  t.equal(statSync(file).mtimeMs, written, 'the next run takes it as it is (V8 accepted it: a rejected one is written again)');

  writeFileSync(file, 'not V8 code');
  const damaged = await run(['--help']);
  t.equal(damaged.exitCode, 0, 'a damaged file costs a compile, not the command');
  t.equal(damaged.stdout, help.stdout);
  t.ok(statSync(file).size > 10_000, 'and is replaced by good code');

  // a command's code is kept from a run of it that went through, not from its --help or a usage error
  const command = (name: string) => kept().filter((f) => f.endsWith(`-${name}.v8`));
  t.equal((await run(['list', '--help'])).exitCode, 0);
  t.equal((await run(['list', '--no-such-option'])).exitCode, 2);
  t.same(command('list'), [], 'list --help and a usage error keep no code for list');
  const list = await run(['list']);
  t.equal(list.exitCode, 0, list.stderr);
  t.equal(command('list').length, 1, 'list run to its end keeps it');
  t.ok(statSync(join(codeDir, command('list')[0]!)).size > statSync(file).size, 'holding more than the code of --help');

  const blocked = join(cache, 'a-file');
  writeFileSync(blocked, '');
  const unwritable = await run(['--help'], { KVMATRIX_CACHE: join(blocked, 'cache') });
  t.equal(unwritable.exitCode, 0, 'a cache that cannot be written: the command still runs');
  t.equal(unwritable.stdout, help.stdout);
  t.equal(unwritable.stderr, '', 'and says nothing about it');
});

t.test('the bundled CLI keeps the files it validated per build, and sees an edit at once', async (t) => {
  const cache = tempTree({});
  const root = tempTree({
    'matrices/m.yaml': 'name: small\nkernels:\n  a:\n    definition: k\nvmms:\n  q:\n    type: qemu\n',
    'kernels/k.yaml': 'source:\n  tarball: /nonexistent/linux.tar.xz\n',
  });
  const matrix = join(root, 'matrices', 'm.yaml');
  const list = (cli: string) =>
    execa(process.execPath, [cli, 'list', matrix], { reject: false, env: { KVMATRIX_CACHE: cache }, cwd: projectRoot });
  const parsed = join(cache, 'parsed');
  const keptFiles = () => (existsSync(parsed) ? readdirSync(parsed).sort() : []);

  const fromTsc = await list(compiledCli);
  t.equal(fromTsc.exitCode, 0, fromTsc.stderr);
  t.same(keptFiles(), [], "tsc's output keeps nothing: it has no one build to key by");

  const first = await list(cliPath);
  t.equal(first.stdout, fromTsc.stdout, 'the bin lists the same cells');
  t.same(
    keptFiles().map((f) => f.replace(/-[0-9a-f]{32}\.json$/, '')),
    ['kernel', 'matrix'],
    'and keeps the matrix and the kernel file',
  );
  const second = await list(cliPath);
  t.equal(second.stdout, first.stdout, 'the next run, from what was kept, lists the same');

  writeFileSync(matrix, readFileSync(matrix, 'utf8').replace('  q:\n', '  edited:\n'));
  const edited = await list(cliPath);
  t.equal(edited.exitCode, 0, edited.stderr);
  t.match(edited.stdout, /a\/edited\/legacy/, 'an edited matrix is read again');
  t.notMatch(edited.stdout, /a\/q\//);
});
