#!/usr/bin/env node
// kvmatrix's bin (dist/cli/main.cjs after `npm run build`). It runs the
// bundled CLI, dist/cli/bundle.cjs, with the code V8 compiled for it in an
// earlier run of the same command: each start would otherwise parse and
// compile the bundle again (some 60 ms before a boot). The code is kept in
// the kvmatrix cache under code/, a file per command, bundle and Node
// version, written after the run (so it holds every function the run
// compiled, not just the top level) and used only if V8 accepts it. A
// missing, damaged or unwritable file costs speed, never a result. Node 20
// has no such cache of its own for ES modules, hence a CommonJS bundle.
'use strict';
const { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { homedir } = require('node:os');
const { join } = require('node:path');
const { Script } = require('node:vm');

/** Kept per folder: each command's code for a few builds of kvmatrix and Node versions. */
const KEEP = 32;

const bundle = join(__dirname, 'bundle.cjs');
// the entry's #! line, blanked (the line count stays) to go inside a function;
// the bundle is ASCII (bundle.mjs), which latin1 reads without a UTF-8 check
const source = readFileSync(bundle, 'latin1').replace(/^#!.*/, '');
const built = statSync(bundle);
// as resolveCacheRoot (harness/kernel/cache.ts) finds it, without --cache: the code is kvmatrix's, not the run's
const xdg =
  process.env.XDG_CACHE_HOME && process.env.XDG_CACHE_HOME.startsWith('/') ? process.env.XDG_CACHE_HOME : join(homedir(), '.cache');
const codeDir = join(process.env.KVMATRIX_CACHE || join(xdg, 'kvmatrix'), 'code');
// one file per command: each holds what its command compiled, `run` the scheduler, `--help` next to nothing
const word = process.argv.slice(2).find((arg) => !arg.startsWith('-')) ?? 'help';
const command = /^[a-z][a-z-]{0,20}$/.test(word) ? word : 'other';
const codeFile = join(
  codeDir,
  `bundle-${process.version}-${process.arch}-${built.size}-${Math.trunc(built.mtimeMs)}-${built.ino}-${command}.v8`,
);

let cachedData;
try {
  cachedData = readFileSync(codeFile);
} catch {
  // first run of this build: compiled from source, and kept at exit
}
const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
  filename: bundle,
  ...(cachedData ? { cachedData } : {}),
});
// Kept only from a run that compiled what its command does: `run --help` or
// a usage error compiles a fraction of it, and code kept from such a run
// would serve every later run of that command until the next build. The
// bundle sets the flag once a command has run to its end (cli/main.ts).
const ranToItsEnd = () => command === 'help' || globalThis.kvmatrixCommandRan === true;
if (!cachedData || script.cachedDataRejected) process.once('exit', () => ranToItsEnd() && keepCode());
script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, __dirname);

function keepCode() {
  const partial = `${codeFile}.${process.pid}`;
  try {
    mkdirSync(codeDir, { recursive: true });
    writeFileSync(partial, script.createCachedData());
    renameSync(partial, codeFile);
    const kept = readdirSync(codeDir)
      .filter((name) => name.endsWith('.v8'))
      .map((name) => ({ path: join(codeDir, name), mtime: statSync(join(codeDir, name)).mtimeMs }))
      .sort((a, b) => b.mtime - a.mtime);
    for (const old of kept.slice(KEEP)) rmSync(old.path, { force: true });
  } catch {
    // a read-only or full cache: the next run compiles from source again
    try {
      rmSync(partial, { force: true });
    } catch {
      // its folder could not be made: there is no partial file
    }
  }
}
