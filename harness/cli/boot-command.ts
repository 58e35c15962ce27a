import { resolve } from 'node:path';
import { Command, Option } from '@commander-js/extra-typings';
import { InputError } from '../matrix/input-error.js';
import { runExitCode } from '../report/summary.js';
import { runMatrix } from '../run/run-matrix.js';
import { buildJobsOption, buildTimeoutOption, cacheOption, ccacheOption, hostRunOptions, lkvmOption, loadSelection, positiveSeconds } from './options.js';

/**
 * One matrix cell for a developer at a terminal: its kernel built (or taken
 * from the cache), its console on stdout as it boots, then the verdict and
 * the command that boots it again. Progress and the verdict go to stderr,
 * so stdout is the console alone.
 */
export function bootSubcommand(version: string) {
  return new Command('boot')
    .description('boot one cell with its console on stdout; print its verdict and the command that boots it again')
    .argument('<cell>', 'cell id, as `kvmatrix list` prints it (e.g. patched/qemu-bridged/legacy)')
    .addOption(new Option('--matrix <file>', 'matrix file (default: matrices/murray.yaml)'))
    .addOption(new Option('--out <dir>', 'results root: the run goes to <dir>/<run-id>').default('results'))
    .addOption(cacheOption())
    .addOption(buildJobsOption())
    .addOption(buildTimeoutOption())
    .addOption(ccacheOption())
    .addOption(lkvmOption())
    .addOption(new Option('--timeout <seconds>', "boot timeout (default: the matrix's boot.timeout)").argParser(positiveSeconds))
    .action(async (cellId, opts) => {
      const { matrix, cells } = loadSelection(opts.matrix, [cellId], []);
      if (cells.length !== 1) {
        throw new InputError(`"${cellId}" selects ${cells.length} cells (${cells.map((c) => c.id).join(', ')}); boot takes exactly one`);
      }
      const { results, runDir } = await runMatrix({
        matrix,
        cells,
        selection: { cells: [cellId], filters: [] },
        outRoot: resolve(opts.out),
        bootJobs: 1,
        ...(await hostRunOptions(opts, version)),
        live: process.stdout,
      });
      const cell = results.cells[0]!;
      const lines = [
        '',
        `${cell.id}: ${cell.verdict} (expected ${cell.expected}${cell.status === 'unexpected' ? ', NOT as expected' : ''})`,
        ...cell.reasons.map((r) => `  ${r}`),
        ...(cell.hint ? [`  hint: ${cell.hint}`] : []),
        ...(cell.reproduce ? [`boot it again: sh ${resolve(runDir, cell.reproduce)}`] : []),
        `results: ${runDir}`,
      ];
      process.stderr.write(`${lines.join('\n')}\n`);
      process.exitCode = runExitCode(results);
    });
}
