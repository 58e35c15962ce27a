import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, Option } from '@commander-js/extra-typings';
import { describeStore } from '../history/store-target.js';
import { InputError } from '../matrix/input-error.js';
import { lastOption, nameOption, storeOption, windowQuery } from './history-options.js';
import { positiveInt, testOption, triesRunOptions, withHostRunOptions } from './options.js';

/**
 * `history bisect`: a regression's last good and first bad runs built two
 * commits of a kernel tree; bisect between them on that cell (and test),
 * print the first bad commit and keep it in the history on the regression.
 */
export function historyBisectSubcommand(version: string) {
  return withHostRunOptions(
    new Command('bisect')
      .description(
        'bisect a regression of the history between the commits its last good and first bad runs built; the first bad commit is printed and recorded on the regression',
      )
      .requiredOption('--cell <id>', 'the regressed cell, as `kvmatrix history` names it')
      .requiredOption('--tree <dir>', 'the kernel git tree the runs built from')
      .addOption(new Option('--matrix <file>', 'matrix file (default: matrices/murray.yaml)'))
      .addOption(testOption())
      .addOption(
        new Option('--tries <n>', 'boots per commit (default: 3 when the test was unstable some night of the window, else 1)').argParser(
          positiveInt,
        ),
      )
      .addOption(new Option('--with-patches', "apply the cell kernel's patches at every step").default(false))
      .addOption(new Option('--out <dir>', 'results root: the bisect goes to <dir>/bisect-<id>').default('results'))
      .addOption(storeOption())
      .addOption(nameOption())
      .addOption(lastOption())
      .addHelpText(
        'after',
        '\nExit codes as for `kvmatrix bisect`: 0 first bad commit found (and recorded), 1 skipped commits hide it, 2 bad usage or no such regression, 3 a step could not test its commit.',
      ),
  ).action(async (opts) => {
    const [
      { labelledWindow },
      { bisectTarget },
      { recordBisection },
      { bisectKernel },
      { hostRunOptions },
      { exactlyOne, loadSelection, narrowedToTest },
      { describeStep, refuseInside },
      { describeOutcome, bisectExitCode },
      { newRunId },
    ] = await Promise.all([
      import('../history/history-view.js'),
      import('../history/bisect-target.js'),
      import('../history/record-bisection.js'),
      import('../run/bisect.js'),
      import('./host-run-options.js'),
      import('./selection.js'),
      import('./bisect-run-command.js'),
      import('./bisect-command.js'),
      import('../run/run-id.js'),
    ]);
    const labelled = await labelledWindow(opts.store, windowQuery(opts));
    if (!labelled) throw new InputError('no run in this history', { file: '--store' });
    const target = bisectTarget(labelled.window, labelled.view, opts.cell, opts.test);
    const { matrix, cells: chosen } = loadSelection(opts.matrix, [opts.cell], []);
    const cell = exactlyOne(await narrowedToTest(chosen, opts.test), opts.cell, 'bisect');
    const tree = resolve(opts.tree);
    if (!existsSync(tree)) throw new InputError(`--tree ${tree} does not exist`);
    const outDir = join(resolve(opts.out), `bisect-${newRunId(new Date())}`);
    refuseInside(outDir, tree);
    const what = target.entry.test === undefined ? cell.id : `${target.entry.test} on ${cell.id}`;
    process.stdout.write(
      `regression of ${what}: last good ${target.entry.lastGood} (${target.good.slice(0, 12)}), first bad ${target.entry.firstBad} (${target.bad.slice(0, 12)})\n`,
    );
    const tries = opts.tries ?? target.tries;
    process.stdout.write(
      `bisecting ${tree} between ${target.good} (good) and ${target.bad} (bad), ${tries} boot${tries === 1 ? '' : 's'} a commit\n`,
    );
    const report = await bisectKernel({
      tree,
      good: [target.good],
      bad: target.bad,
      matrix,
      cell,
      withPatches: opts.withPatches,
      outDir,
      run: { ...triesRunOptions(tries, cell), ...(await hostRunOptions(opts, version)) },
      onStep: (step, index) => process.stdout.write(`step ${index}: ${describeStep(cell.id, step)}`),
    });
    process.stdout.write(`${describeOutcome(report)}\nbisect log and steps: ${outDir}\n`);
    const found = report.outcome.kind === 'found' ? report.outcome.firstBad : null;
    await recordBisection(opts.store, {
      cell_id: target.entry.cell,
      test: target.entry.test ?? '',
      first_bad_run: target.entry.firstBad,
      last_good_run: target.entry.lastGood,
      good_commit: target.good,
      bad_commit: target.bad,
      outcome: report.outcome.kind,
      first_bad_commit: found?.commit ?? null,
      first_bad_subject: found?.subject ?? null,
      folder: outDir,
      recorded_at: new Date().toISOString(),
    });
    process.stdout.write(`recorded on the regression in ${describeStore(opts.store)}\n`);
    process.exitCode = bisectExitCode(report);
  });
}
