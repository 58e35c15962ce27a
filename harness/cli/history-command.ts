import { Command, Option } from '@commander-js/extra-typings';
import { resolve } from 'node:path';
import { describeStore } from '../history/store-target.js';
import { InputError } from '../matrix/input-error.js';
import { historyBisectSubcommand } from './history-bisect-command.js';
import { lastOption, nameOption, storeOption, windowQuery } from './history-options.js';
import { EXIT, outputFile } from './options.js';

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
      const view = await historyView(opts.store, windowQuery(opts));
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
        const { store: name } = await recordRuns(opts.store, runs, new Date(), (outcome) =>
          process.stdout.write(`${describeAdded(outcome)}\n`),
        );
        process.stdout.write(`history: ${name}\n`);
      })
      .exitOverride(),
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
        `\nExit status: 0 the newest run adds no regression, 1 it adds one, ${EXIT.cannotTell} cannot tell (a cell's boot was an error, the run was stopped, no cell tested, a test no longer reported, no run), 2 bad input, 3 a store out of reach.`,
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
        const view = await historyView(opts.store, windowQuery(opts));
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
      })
      .exitOverride(),
  );
  history.addCommand(historyBisectSubcommand(version).exitOverride());
  // `history --store F add RUN` would give F to `history` and add with the default store: refused, not guessed
  history.hook('preSubcommand', (parent, sub) => {
    const given = parent.options.filter((o) => parent.getOptionValueSource(o.attributeName()) === 'cli').map((o) => o.long ?? o.flags);
    if (given.length > 0) {
      throw new InputError(`${given.join(', ')} goes after the subcommand: kvmatrix history ${sub.name()} ... ${given[0]} ...`, {
        file: given[0]!,
      });
    }
  });
  return history;
}
