/**
 * npm run soak -- --runs N [--jobs J] [--matrix FILE] [--keep DIR]
 *
 * Runs a matrix (default matrices/murray.yaml; its kvmtool cells too when
 * KVMATRIX_LKVM is set) N times through the CLI on a warm kernel cache, as
 * a nightly would, and prints after each run the cells that did not go as
 * expected and why; at the end a table of those cells by run, and the
 * median and longest run time. A run folder with such a cell is kept under
 * --keep (default: a new folder in the temporary directory); the others
 * are removed once read. Exit 1 when any cell went against the matrix.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, renameSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultMatrixFile } from '../harness/host/install-paths.js';
import { expandMatrix } from '../harness/matrix/expand.js';
import { loadMatrix } from '../harness/matrix/load.js';
import type { RunResults } from '../harness/report/types.js';
import { cliPath } from '../test/support/cli.js';
import { renderSoakTable, type SoakRun } from './soak-table.js';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const runs = Number(option('--runs') ?? 10);
const jobs = Number(option('--jobs') ?? availableParallelism());
const matrix = option('--matrix') ?? defaultMatrixFile;
const keep = option('--keep') ?? mkdtempSync(join(tmpdir(), 'kvmatrix-soak-'));
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(jobs) || jobs < 1) {
  console.error('usage: npm run soak -- --runs N [--jobs J] [--matrix FILE] [--keep DIR]');
  process.exit(2);
}

// each cell's boot timeout, to show how close the slowest boot came to it
const timeouts = new Map(expandMatrix(loadMatrix(matrix)).map((c) => [c.id, c.boot.timeoutSec]));

// a warm cache: whatever the matrix needs is built (or found) before the clock starts
const build = spawnSync(process.execPath, [cliPath, 'build', '--matrix', matrix], { stdio: ['ignore', 'ignore', 'inherit'] });
if (build.status !== 0) {
  console.error(`soak: kvmatrix build --matrix ${matrix} failed (exit ${build.status}); nothing was run`);
  process.exit(3);
}
console.log(
  `soak: ${runs} runs of ${matrix}, --jobs ${jobs}, ${availableParallelism()} cores${process.env.KVMATRIX_LKVM ? `, lkvm ${process.env.KVMATRIX_LKVM}` : ', no lkvm (kvmtool cells skip)'}`,
);

const done: SoakRun[] = [];
for (let n = 1; n <= runs; n++) {
  const out = mkdtempSync(join(tmpdir(), 'kvmatrix-soak-run-'));
  const started = performance.now();
  const run = spawnSync(process.execPath, [cliPath, 'run', matrix, '--jobs', String(jobs), '--out', out], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ms = performance.now() - started;
  let results: RunResults;
  try {
    results = JSON.parse(readFileSync(join(out, 'latest', 'results.json'), 'utf8')) as RunResults;
  } catch {
    console.log(`run ${n}/${runs}: exit ${run.status}, no results.json; output kept in ${out}\n${run.stderr.slice(-2000)}`);
    done.push({
      ms,
      exit: run.status ?? -1,
      cells: 0,
      unexpected: [{ id: '(whole run)', verdict: 'error', reason: `exit ${run.status}, no results` }],
      slowest: null,
    });
    continue;
  }
  const unexpected = results.cells
    .filter((c) => c.status === 'unexpected')
    .map((c) => ({ id: c.id, verdict: c.verdict, reason: c.reasons[0] ?? '' }));
  const booted = results.cells.filter((c) => c.timings.bootMs !== null);
  const slowest = booted.sort((a, b) => b.timings.bootMs! - a.timings.bootMs!)[0];
  done.push({
    ms,
    exit: run.status ?? -1,
    cells: results.cells.length,
    unexpected,
    slowest: slowest ? { id: slowest.id, bootMs: slowest.timings.bootMs!, timeoutSec: timeouts.get(slowest.id) ?? 0 } : null,
  });
  const ran = results.cells.filter((c) => c.status !== 'skipped').length;
  if (unexpected.length === 0) {
    console.log(`run ${n}/${runs}: ${ran} cells booted, all as expected, ${(ms / 1000).toFixed(1)} s`);
    rmSync(out, { recursive: true, force: true });
  } else {
    const kept = join(keep, `run-${n}`);
    renameSync(realpathSync(join(out, 'latest')), kept);
    rmSync(out, { recursive: true, force: true });
    console.log(
      `run ${n}/${runs}: ${unexpected.length} of ${ran} cells NOT as expected, ${(ms / 1000).toFixed(1)} s; run folder kept: ${kept}`,
    );
    for (const u of unexpected) console.log(`  ${u.id}: ${u.verdict}: ${u.reason}`);
  }
}
console.log(`\n${renderSoakTable(done)}`);
process.exitCode = done.some((r) => r.unexpected.length > 0) ? 1 : 0;
