import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, Option } from '@commander-js/extra-typings';
import { stoppable } from '../host/graceful-stop.js';
import { parseStoreTarget } from '../history/store-target.js';
import { InputError } from '../matrix/input-error.js';
import { parseShard } from '../matrix/shard.js';
import { wantsLiveProgress } from './progress-mode.js';
import {
  bootCount,
  cellOption,
  filterOption,
  kcidbBaseUrlOption,
  kcidbFileOption,
  kcidbOriginOption,
  positiveInt,
  testOption,
  withHostRunOptions,
} from './options.js';

export function runSubcommand(version: string) {
  return withHostRunOptions(
    new Command('run')
      .description('build the kernels a matrix needs, boot its cells, and write results.json, report.tap, junit.xml and index.html')
      .argument('[matrix]', 'matrix file (default: matrices/murray.yaml)')
      .addOption(cellOption())
      .addOption(filterOption())
      .addOption(testOption())
      .addOption(new Option('--jobs <n>', 'cells booted at once').argParser(positiveInt).default(Math.max(1, availableParallelism())))
      .addOption(
        new Option(
          '--repeat <n>',
          "boot every selected cell n times; boots that disagree make the cell flaky (default: the matrix's boot.repeat, 1)",
        ).argParser(bootCount),
      )
      .addOption(
        new Option(
          '--shard <k/n>',
          'only the k-th of n slices of the selected cells (for a CI job matrix; merge with `kvmatrix report merge`)',
        ).argParser(parseShard),
      )
      .addOption(
        new Option('--out <dir>', 'results root: the run goes to <dir>/<run-id>, and <dir>/latest points to it').default('results'),
      )
      .addOption(kcidbFileOption())
      .addOption(kcidbOriginOption())
      .addOption(kcidbBaseUrlOption())
      .addOption(new Option('--history', 'add the run to the history when it ends (see `kvmatrix history add`); not with --shard'))
      .addOption(
        new Option(
          '--store <file|url>',
          'the history --history adds to: a SQLite file, or a postgres:// URL (default: <out>/history.sqlite)',
        ).argParser(parseStoreTarget),
      ),
  ).action(async (matrixFile, opts) => {
    const [{ shardCells }, { renderSummary, runExitCode }, { runMatrix }, { hostRunOptions }, { loadSelection, narrowedToTest }] =
      await Promise.all([
        import('../matrix/shard.js'),
        import('../report/summary.js'),
        import('../run/run-matrix.js'),
        import('./host-run-options.js'),
        import('./selection.js'),
      ]);
    const history = opts.history || opts.store ? (opts.store ?? parseStoreTarget(join(opts.out, 'history.sqlite'))) : null;
    if (history && opts.shard) {
      throw new InputError('a shard is not added to the history: merge the shards (kvmatrix report merge), then add the merged run', {
        file: '--history',
      });
    }
    const { matrix, cells: chosen } = loadSelection(matrixFile, opts.cell, opts.filter);
    const selected = await narrowedToTest(chosen, opts.test);
    const cells = opts.shard ? shardCells(selected, opts.shard) : selected;
    const live = wantsLiveProgress(process.stderr, process.env)
      ? (await import('./live-progress.js')).liveProgress(process.stderr, cells.length)
      : null;
    const hostOptions = await hostRunOptions(opts, version);
    // bad input is refused before the patch check, which may first unpack a source tarball
    (await import('../run/kvmtool-plan.js')).refuseUnusableLkvm(matrix, cells, hostOptions.kvmtoolHost);
    // a store that is not a history is refused before the run, not after it
    if (history) await (await import('../history/record-runs.js')).readyStore(history, resolve(opts.out));
    // SIGINT and SIGTERM stop the patch check, VMs and builds, then this still writes the reports of what finished
    await stoppable(async (signal) => {
      const { results, runDir } = await runMatrix({
        matrix,
        cells,
        selection: { cells: opts.cell, filters: opts.filter, ...(opts.test !== undefined ? { test: opts.test } : {}) },
        ...(opts.shard ? { shard: { ...opts.shard, selected: selected.length } } : {}),
        outRoot: resolve(opts.out),
        bootJobs: opts.jobs,
        ...hostOptions,
        ...(opts.repeat !== undefined ? { repeat: opts.repeat } : {}),
        ...(live ? { events: live.events } : {}),
        signal,
        checkPatches: true,
      }).finally(() => live?.stop());
      process.stdout.write(renderSummary(results, runDir));
      if (opts.kcidb !== undefined) {
        await (
          await import('../run/write-reports.js')
        ).writeKcidb(results, opts.kcidb, { origin: opts.kcidbOrigin, ...(opts.kcidbBaseUrl ? { baseUrl: opts.kcidbBaseUrl } : {}) });
        process.stdout.write(`KCIDB submission: ${opts.kcidb}\n`);
      }
      process.exitCode = runExitCode(results);
      if (process.exitCode === 3) process.stderr.write('kvmatrix: no cell could be booted; see the reasons above\n');
      if (history) {
        const told = await (await import('../history/record-runs.js')).recordFinishedRun(history, runDir, results);
        for (const line of told.out) process.stdout.write(`${line}\n`);
        for (const line of told.err) process.stderr.write(`kvmatrix: ${line}\n`);
        // a stopped run exits as stopped; a store that failed is trouble of the machine's
        if (!told.recorded && !results.interrupted) process.exitCode = 3;
      }
    });
  });
}
