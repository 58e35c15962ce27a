/**
 * Two runs on one cache, and a build killed half-way: real builds of the
 * default matrix's patched kernel into caches of this test's own (ccache,
 * shared with the other tests, makes them quicker than a cold build).
 */
import { lstatSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { cliPath, kvmatrix, makeSpy } from '../support/cli.js';
import { childPids, processRunning } from '../support/processes.js';
import { tempTree } from '../support/temp-tree.js';

t.setTimeout(60 * 60 * 1000);

let sharedCache: string | undefined;

/** Every path under `dir` with its size and mtime: a file added, removed or written shows. */
function treeListing(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((path) => {
      const st = lstatSync(join(dir, path));
      return `${path} ${st.size} ${st.mtimeMs}`;
    })
    .sort();
}

/** `make ... Image` calls in a spy's log: one per kernel build that ran. */
const imageBuilds = (calls: string[]) => calls.filter((c) => / Image$/.test(c));

t.test('two kvmatrix build at once on one cache: one build, both get the same Image', async (t) => {
  const spy = makeSpy();
  const cache = tempTree({}, 'kvmatrix-cache-');
  const [a, b] = await Promise.all([
    kvmatrix(['build', 'patched', '--cache', cache], { spyDir: spy.dir, env: { CI: 'true' } }),
    kvmatrix(['build', 'patched', '--cache', cache], { spyDir: spy.dir, env: { CI: 'true' } }),
  ]);
  t.equal(a.code, 0, a.stderr.slice(-2000));
  t.equal(b.code, 0, b.stderr.slice(-2000));
  t.equal(a.stdout, b.stdout, 'the same Image path');
  t.equal(imageBuilds(spy.calls()).length, 1, `make Image ran once (${spy.calls().length} make calls in all)`);
  t.equal(readdirSync(join(cache, 'kernels')).length, 1, 'one kernel in the cache');
  t.same(readdirSync(join(cache, 'staging')), [], 'no staging debris');
  sharedCache = cache;
});

t.test(
  "then the unpatched kernel in the same cache: the patched one's config stage serves it, and the unpacked source stays as unpacked",
  async (t) => {
    // the cache of the test above: the patched kernel (the source as it is), its final .config, the unpacked source
    const cache = sharedCache;
    t.ok(cache, 'the test above made a cache');
    if (!cache) return;
    const [source] = readdirSync(join(cache, 'sources'));
    const before = treeListing(join(cache, 'sources', source!));
    const spy = makeSpy();
    const built = await kvmatrix(['build', 'unpatched', '--cache', cache], { spyDir: spy.dir, env: { CI: 'true' } });
    t.equal(built.code, 0, built.stderr.slice(-2000));
    t.equal(imageBuilds(spy.calls()).length, 1, 'make Image ran');
    t.same(
      spy.calls().filter((c) => /(tinyconfig|olddefconfig)$/.test(c)),
      [],
      'no config stage: the reversed patch touches no file it reads',
    );
    t.equal(readdirSync(join(cache, 'configs')).length, 1, 'one final .config for both kernels');
    t.equal(readdirSync(join(cache, 'kernels')).length, 2, 'two kernels in the cache');
    const log = readFileSync(join(dirname(built.stdout.trim().split('\t')[1]!), 'build.log'), 'utf8');
    t.match(log, /^kvmatrix: murray-ioport-map\.patch touches no file the config stage reads: one final \.config with and without it$/m);
    t.match(log, /^kvmatrix: the final \.config from the cache, /m);
    t.match(log, /^\$ git apply -R -p1 .*murray-ioport-map\.patch$/m, 'the patch was applied, to the copy');
    t.same(treeListing(join(cache, 'sources', source!)), before, 'every file of the unpacked source as it was: none added, none changed');
    t.same(readdirSync(join(cache, 'staging')), [], 'the build folder is gone');
  },
);

t.test('its final .config gone from the cache, a kernel is configured again and found built: no make Image', async (t) => {
  const cache = sharedCache;
  t.ok(cache, 'the tests above made a cache');
  if (!cache) return;
  const kernelsBefore = readdirSync(join(cache, 'kernels')).sort();
  rmSync(join(cache, 'configs'), { recursive: true, force: true });
  const spy = makeSpy();
  const again = await kvmatrix(['build', 'patched', '--cache', cache], { spyDir: spy.dir, env: { CI: 'true' } });
  t.equal(again.code, 0, again.stderr.slice(-2000));
  t.ok(
    spy.calls().some((c) => / tinyconfig$/.test(c)),
    'the config stage ran',
  );
  t.same(imageBuilds(spy.calls()), [], 'no make Image');
  t.same(readdirSync(join(cache, 'kernels')).sort(), kernelsBefore, 'the same two kernels');
  t.match(again.stdout, new RegExp(`^patched\t${join(cache, 'kernels')}/(${kernelsBefore.join('|')})/Image$`, 'm'));
  t.same(readdirSync(join(cache, 'staging')), [], 'nothing left in staging');
});

t.test('a build stopped half-way leaves nothing that looks built, and the next run builds again', async (t) => {
  const spy = makeSpy();
  const cache = tempTree({}, 'kvmatrix-cache-');
  const env = { PATH: `${spy.dir}:${process.env.PATH}`, CI: 'true' };
  const child = execa(process.execPath, [cliPath, 'build', 'patched', '--cache', cache], { reject: false, stdin: 'ignore', env });
  let stderr = '';
  await new Promise<void>((resolve) => {
    void child.finally(resolve);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (/building \(make Image\)/.test(stderr)) resolve();
    });
  });
  // let make get going, then note what runs
  const descendants = (pid: number): number[] => childPids(pid).flatMap((c) => [c, ...descendants(c)]);
  let running: number[] = [];
  for (let i = 0; i < 100 && running.length < 3; i++) {
    await new Promise((r) => setTimeout(r, 100));
    running = descendants(child.pid!);
  }
  t.ok(running.length >= 3, `make and its compilers are running (${running.length})`);
  child.kill('SIGTERM');
  const stopped = await child;
  t.equal(stopped.exitCode, 143, stderr.slice(-1000));
  t.same(running.filter(processRunning), [], 'no make or compiler is left');
  t.same(readdirSync(join(cache, 'kernels')), [], 'nothing published');

  spy.reset();
  const again = await kvmatrix(['build', 'patched', '--cache', cache], { spyDir: spy.dir, env: { CI: 'true' } });
  t.equal(again.code, 0, again.stderr.slice(-2000));
  t.equal(imageBuilds(spy.calls()).length, 1, 'the next run built it');
  t.equal(readdirSync(join(cache, 'kernels')).length, 1);
});
