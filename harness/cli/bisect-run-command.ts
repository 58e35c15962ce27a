import { homedir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { Command, Option } from '@commander-js/extra-typings';
import { InputError } from '../matrix/input-error.js';
import type { BisectStep } from '../run/bisect-step.js';
import { testOption, triesOption, triesRunOptions, withHostRunOptions } from './options.js';

/**
 * `git bisect run kvmatrix bisect-run --cell <id>`: the checked-out tree
 * (with its uncommitted changes) built with the cell kernel's config and
 * booted in the cell; the exit code tells git good, bad, skip or abort.
 */
export function bisectRunSubcommand(version: string) {
  return withHostRunOptions(
    new Command('bisect-run')
      .description(
        'for `git bisect run`: build the checked-out kernel tree, boot one cell, exit 0 pass, 1 fail, 125 untestable, 128+ abort',
      )
      .requiredOption('--cell <id>', 'the cell to boot, as `kvmatrix list` prints it')
      .addOption(new Option('--matrix <file>', 'matrix file (default: matrices/murray.yaml)'))
      .addOption(new Option('--tree <dir>', 'the kernel git tree (default: the current folder)').default('.'))
      .addOption(new Option('--with-patches', "apply the cell kernel's patches to the tree too").default(false))
      .addOption(new Option('--out <dir>', 'results root, outside the tree (default: $XDG_STATE_HOME/kvmatrix/bisect-run)'))
      .addOption(triesOption())
      .addOption(testOption()),
  ).action(async (opts) => {
    const [{ runBisectStep }, { hostRunOptions }, { exactlyOne, loadSelection, narrowedToTest }] = await Promise.all([
      import('../run/bisect-step.js'),
      import('./host-run-options.js'),
      import('./selection.js'),
    ]);
    const { matrix, cells: chosen } = loadSelection(opts.matrix, [opts.cell], []);
    const cells = [exactlyOne(await narrowedToTest(chosen, opts.test), opts.cell, 'bisect-run')];
    const tree = resolve(opts.tree);
    const outRoot = resolve(opts.out ?? defaultBisectRunOut());
    refuseInside(outRoot, tree);
    const step = await runBisectStep({
      matrix,
      cell: cells[0]!,
      on: { tree, ref: 'HEAD', uncommitted: 'include', withPatches: opts.withPatches },
      run: { outRoot, ...triesRunOptions(opts.tries, cells[0]!), ...(await hostRunOptions(opts, version)) },
    });
    process.stdout.write(describeStep(cells[0]!.id, step));
    process.exitCode = step.decision.code;
  });
}

/** What a step came to, for the terminal and the bisect log. */
export function describeStep(cellId: string, step: BisectStep): string {
  const commit = step.commit
    ? `${step.commit.id.slice(0, 12)}${step.commit.uncommitted ? '+uncommitted' : ''} ${step.commit.subject}`
    : 'the tree';
  return [
    `${commit}: ${cellId} ${step.verdict ?? 'not booted'}: ${step.decision.mark} (exit ${step.decision.code}): ${step.decision.why}`,
    ...(step.tries.length > 0 ? [`  tries: ${step.tries.map((t) => t.verdict).join(' ')}`] : []),
    ...step.reasons.slice(0, Math.max(8, step.tries.length + 1)).map((r) => `  ${r}`),
    `  results: ${step.runDir}`,
    '',
  ].join('\n');
}

function defaultBisectRunOut(env: NodeJS.ProcessEnv = process.env): string {
  const state = env.XDG_STATE_HOME && env.XDG_STATE_HOME.startsWith('/') ? env.XDG_STATE_HOME : join(homedir(), '.local', 'state');
  return join(state, 'kvmatrix', 'bisect-run');
}

/** Results written into the tree would be built as part of it (they are untracked files). */
export function refuseInside(out: string, tree: string): void {
  const rel = relative(tree, out);
  if (rel === '' || (!rel.startsWith('..') && !rel.startsWith('/'))) {
    throw new InputError(
      `--out ${out} lies inside the kernel tree ${tree}: its files would be built as part of the tree; choose a folder outside it`,
    );
  }
}
