import { resolve } from 'node:path';
import { Command, Option } from '@commander-js/extra-typings';
import { kcidbBaseUrlOption, kcidbFileOption, kcidbOriginOption, outputFile } from './options.js';

export function reportSubcommand() {
  const report = new Command('report')
    .description(
      "write a run's report.tap, junit.xml and index.html again from its results.json (after an upgrade of kvmatrix, or for a copied run folder); `report merge` folds CI shards into one run",
    )
    .argument('<run>', 'the run: its folder (results/<run-id>, results/latest) or its results.json')
    .addOption(kcidbFileOption())
    .addOption(kcidbOriginOption())
    .addOption(kcidbBaseUrlOption())
    .addOption(
      new Option(
        '--pack <file>',
        'also write the run folder as one .tar.gz that unpacks anywhere, renders with `kvmatrix report` and boots with its reproduce.sh scripts',
      ).argParser(outputFile),
    )
    .action(async (runPath, opts) => {
      const [{ loadRun }, { writeKcidb, writeRenderedReports }] = await Promise.all([
        import('../report/load-results.js'),
        import('../run/write-reports.js'),
      ]);
      const { results, runDir } = loadRun(runPath);
      writeRenderedReports(results, runDir);
      process.stdout.write(`${runDir}: report.tap, junit.xml, index.html written from results.json\n`);
      if (opts.kcidb !== undefined) {
        await writeKcidb(results, opts.kcidb, { origin: opts.kcidbOrigin, ...(opts.kcidbBaseUrl ? { baseUrl: opts.kcidbBaseUrl } : {}) });
        process.stdout.write(`KCIDB submission: ${opts.kcidb}\n`);
      }
      if (opts.pack !== undefined) {
        const { packRun } = await import('../run/pack-run.js');
        const packed = await packRun(runDir, opts.pack);
        for (const line of packed.leftOut) process.stderr.write(`left out of the archive: ${line}\n`);
        process.stdout.write(`packed: ${opts.pack} (unpacks into ${packed.top}/)\n`);
      }
    });
  report.addCommand(
    new Command('merge')
      .description(
        'fold the runs of `kvmatrix run --shard k/n` into one run with results.json, TAP, JUnit and HTML; refuses shards of different matrices or selections, overlapping cells and missing shards',
      )
      .argument('<runs...>', "every shard's run folder or results.json")
      .addOption(
        new Option('--out <dir>', 'results root: the merged run goes to <dir>/<run-id>, and <dir>/latest points to it').default('results'),
      )
      .addOption(new Option('--partial', 'fold the shards given even when some are missing'))
      .addHelpText(
        'after',
        '\nExit status as for `kvmatrix run`: 0 every cell as expected, 1 some cell not, 2 bad input, 3 no cell booted.',
      )
      .action(async (runPaths, opts) => {
        const [{ loadRun }, { renderSummary, runExitCode }, { mergeRunFolders }] = await Promise.all([
          import('../report/load-results.js'),
          import('../report/summary.js'),
          import('../run/merge-runs.js'),
        ]);
        const shards = runPaths.map(loadRun);
        const { results, runDir } = mergeRunFolders(shards, resolve(opts.out), { partial: opts.partial ?? false });
        process.stdout.write(renderSummary(results, runDir));
        process.exitCode = runExitCode(results);
      })
      .exitOverride(),
  );
  return report;
}
