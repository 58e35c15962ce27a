import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, Option } from '@commander-js/extra-typings';
import { InputError } from '../matrix/input-error.js';
import type { BisectReport } from '../run/bisect.js';
import { newRunId } from '../run/run-id.js';
import { describeStep, refuseInside } from './bisect-run-command.js';
import { collect, EXIT, testOption, triesOption, triesRunOptions, withHostRunOptions } from './options.js';

/**
 * `kvmatrix bisect`: drives git bisect over a kernel tree for one cell,
 * printing each step as it is decided and the first bad commit at the end.
 */
export function bisectSubcommand(version: string) {
  return withHostRunOptions(
    new Command('bisect')
      .description('find the first commit of a kernel git tree where a cell fails; the tree itself is left as it was')
      .requiredOption('--tree <dir>', 'the kernel git tree')
      .requiredOption('--good <ref>', 'a commit where the cell passes (repeat for more)', collect, [] as string[])
      .requiredOption('--bad <ref>', 'a commit where the cell fails')
      .requiredOption('--cell <id>', 'the cell to boot, as `kvmatrix list` prints it')
      .addOption(new Option('--matrix <file>', 'matrix file (default: matrices/murray.yaml)'))
      .addOption(new Option('--with-patches', "apply the cell kernel's patches at every step").default(false))
      .addOption(new Option('--out <dir>', 'results root: the bisect goes to <dir>/bisect-<id>').default('results'))
      .addOption(triesOption())
      .addOption(testOption())
      .addHelpText(
        'after',
        '\nExit codes: 0 first bad commit found, 1 skipped commits hide it, 2 bad usage, 3 a step could not test its commit (harness or host trouble).',
      ),
  ).action(async (opts) => {
    const [{ bisectKernel }, { hostRunOptions }, { exactlyOne, loadSelection, narrowedToTest }] = await Promise.all([
      import('../run/bisect.js'),
      import('./host-run-options.js'),
      import('./selection.js'),
    ]);
    const { matrix, cells: chosen } = loadSelection(opts.matrix, [opts.cell], []);
    const cells = [exactlyOne(await narrowedToTest(chosen, opts.test), opts.cell, 'bisect')];
    const tree = resolve(opts.tree);
    if (!existsSync(tree)) throw new InputError(`--tree ${tree} does not exist`);
    const outDir = join(resolve(opts.out), `bisect-${newRunId(new Date())}`);
    refuseInside(outDir, tree);
    const cell = cells[0]!;
    process.stdout.write(`bisecting ${tree} between ${opts.good.join(', ')} (good) and ${opts.bad} (bad) on ${cell.id}\n`);
    const report = await bisectKernel({
      tree,
      good: opts.good,
      bad: opts.bad,
      matrix,
      cell,
      withPatches: opts.withPatches,
      outDir,
      run: { ...triesRunOptions(opts.tries, cell), ...(await hostRunOptions(opts, version)) },
      onStep: (step, index) => process.stdout.write(`step ${index}: ${describeStep(cell.id, step)}`),
    });
    process.stdout.write(`${describeOutcome(report)}\nbisect log and steps: ${outDir}\n`);
    process.exitCode = bisectExitCode(report);
  });
}

export function describeOutcome(report: BisectReport): string {
  const o = report.outcome;
  switch (o.kind) {
    case 'found':
      return `first bad commit: ${o.firstBad.commit} ${o.firstBad.subject}`;
    case 'ambiguous':
      return ['skipped commits hide the first bad commit; it is one of:', ...o.candidates.map((c) => `  ${c.commit} ${c.subject}`)].join(
        '\n',
      );
    case 'aborted':
      return `bisect stopped at ${o.at.commit} ${o.at.subject}: ${o.why}`;
    case 'interrupted':
      return 'bisect interrupted';
  }
}

export function bisectExitCode(report: BisectReport): number {
  switch (report.outcome.kind) {
    case 'found':
      return EXIT.ok;
    case 'ambiguous':
      return EXIT.unexpected;
    case 'aborted':
    case 'interrupted':
      return EXIT.infrastructure;
  }
}
