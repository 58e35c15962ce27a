import { Command, Option } from '@commander-js/extra-typings';
import { DEFAULT_STORE, parseStoreTarget } from '../history/store-target.js';

function storeOption() {
  return new Option('--store <file|url>', 'the history: a SQLite file, or a postgres://USER@HOST:PORT/DATABASE a team shares')
    .default(parseStoreTarget(DEFAULT_STORE), DEFAULT_STORE)
    .argParser(parseStoreTarget);
}

export function historySubcommand() {
  const history = new Command('history').description(
    'a history of runs, in one SQLite file (results/history.sqlite) or on a PostgreSQL server: `history add` records runs',
  );
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
  return history;
}
