import { Command, Option } from '@commander-js/extra-typings';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_STORE, describeStore, parseStoreTarget } from '../history/store-target.js';
import { DEFAULT_WINDOW } from '../history/window.js';
import { InputError } from '../matrix/input-error.js';
import { EXIT, outputFile, positiveInt, testOption, triesRunOptions, withHostRunOptions } from './options.js';

function storeOption() {
  return new Option('--store <file|url>', 'the history: a SQLite file, or a postgres://USER@HOST:PORT/DATABASE a team shares')
    .default(parseStoreTarget(DEFAULT_STORE), DEFAULT_STORE)
    .argParser(parseStoreTarget);
}

function nameOption() {
  return new Option('--name <matrix>', "the matrix whose runs to look at (default: the newest run's)");
}

function lastOption() {
  return new Option('--last <n>', `how many of its newest runs (default ${DEFAULT_WINDOW})`).argParser(positiveInt).default(DEFAULT_WINDOW);
}

export function historySubcommand(version: string) {
  const history = new Command('history')
    .enablePositionalOptions()
    .description(
      'label every cell and test over the newest runs of a matrix (regression, unstable, fixed, missing, new, persistent, known, pass, cannot-tell; README, History); `history add` records runs, `history gate` decides a night',
    )
    .addOption(storeOption())
    .addOption(nameOption())
    .addOption(lastOption())
    .addOption(new Option('--json', 'print every cell and test with its label and nights as JSON'))
    .addOption(
      new Option(
        '--html <dir>',
        "also write the history as one page, <dir>/index.html, linking each run's own page where its folder is at hand",
      ),
    )
    .action(async (opts) => {
      const [{ historyView }, { renderHistoryText }] = await Promise.all([
        import('../history/history-view.js'),
        import('../history/history-text.js'),
      ]);
      const view = await historyView(opts.store, { last: opts.last, ...(opts.name !== undefined ? { matrix: opts.name } : {}) });
      if (!view)
        throw new InputError(opts.name ? `no run of matrix ${opts.name} in this history` : 'no run in this history', {
          file: describeStore(opts.store),
        });
      process.stdout.write(opts.json ? `${JSON.stringify(view, null, 2)}\n` : renderHistoryText(view));
      if (opts.html !== undefined) {
        const page = (await import('../history/history-page.js')).writeHistoryPage(view, resolve(opts.html));
        process.stderr.write(`history page: ${page}\n`);
      }
    });
  history.addCommand(
    new Command('add')
      .description(
        'record runs in the history: every cell and judged test with its verdict, expectation and reasons, and what the run booted (kernel sources and patch sets, QEMU and lkvm, the matrix, kvmatrix, the host). Each run is recorded whole or not at all; a run added before is recorded once',
      )
      .argument('<runs...>', 'run folders (results/<run-id>, results/latest; a merged run, never its shards) or their results.json')
      .addOption(storeOption())
      .addHelpText(
        'after',
        '\nExit status: 0 recorded, 2 a run or store that cannot be used (named; nothing of it added), 3 a store out of reach.',
      )
      .action(async (runPaths, opts) => {
        const [{ loadRun }, { recordRuns, describeAdded }] = await Promise.all([
          import('../report/load-results.js'),
          import('../history/record-runs.js'),
        ]);
        const runs = runPaths.map(loadRun);
        const { store: name, added } = await recordRuns(opts.store, runs, new Date());
        for (const outcome of added) process.stdout.write(`${describeAdded(outcome)}\n`);
        process.stdout.write(`history: ${name}\n`);
      }),
  );
  history.addCommand(
    new Command('gate')
      .description('decide the newest run of a matrix against its history: does it add a regression?')
      .addOption(
        new Option('--tap <file>', 'also write the decision as TAP: not ok only for cells with a regression this run adds').argParser(
          outputFile,
        ),
      )
      .addOption(new Option('--junit <file>', 'also write it as JUnit XML: a <failure> only for those cells').argParser(outputFile))
      .addHelpText(
        'after',
        `\nExit status: 0 the newest run adds no regression, 1 it adds one, ${EXIT.cannotTell} cannot tell (a cell's boot was an error, the run was stopped, no run), 2 bad input, 3 a store out of reach.`,
      )
      .addOption(storeOption())
      .addOption(nameOption())
      .addOption(lastOption())
      .action(async (opts) => {
        const [{ historyView }, { decideGate }, { renderGateJunit, renderGateTap }, { renderHistoryText }, { writeFileAtomic }] =
          await Promise.all([
            import('../history/history-view.js'),
            import('../history/gate.js'),
            import('../history/gate-report.js'),
            import('../history/history-text.js'),
            import('../host/atomic-file.js'),
          ]);
        const view = await historyView(opts.store, { last: opts.last, ...(opts.name !== undefined ? { matrix: opts.name } : {}) });
        const decision = decideGate(view);
        if (view) process.stdout.write(renderHistoryText(view));
        if (decision.kind === 'regression')
          process.stdout.write(
            `gate: ${decision.runId} adds ${decision.added.length} regression${decision.added.length === 1 ? '' : 's'}\n`,
          );
        else if (decision.kind === 'cannot-tell') process.stdout.write(`gate: cannot tell: ${decision.why.join('; ')}\n`);
        else process.stdout.write(`gate: ${decision.runId} adds no regression\n`);
        if (view && opts.tap) writeFileAtomic(opts.tap, renderGateTap(view, decision));
        if (view && opts.junit) writeFileAtomic(opts.junit, renderGateJunit(view, decision));
        process.exitCode = decision.kind === 'regression' ? EXIT.unexpected : decision.kind === 'cannot-tell' ? EXIT.cannotTell : EXIT.ok;
      }),
  );
  history.addCommand(historyBisectSubcommand(version));
  return history;
}

/**
 * `history bisect`: a regression's last good and first bad runs built two
 * commits of a kernel tree; bisect between them on that cell (and test),
 * print the first bad commit and keep it in the history on the regression.
 */
function historyBisectSubcommand(version: string) {
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
    const labelled = await labelledWindow(opts.store, { last: opts.last, ...(opts.name !== undefined ? { matrix: opts.name } : {}) });
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
