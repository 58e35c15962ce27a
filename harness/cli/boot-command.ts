import { resolve } from 'node:path';
import { Command, Option } from '@commander-js/extra-typings';
import { stoppable } from '../host/graceful-stop.js';
import { InputError } from '../matrix/input-error.js';
import type { LoadedSelection } from './selection.js';
import { testOption, withHostRunOptions } from './options.js';

/**
 * One matrix cell for a developer at a terminal: its kernel built (or taken
 * from the cache), its console on stdout as it boots, then the verdict and
 * the command that boots it again. Progress and the verdict go to stderr,
 * so stdout is the console alone.
 */
export function bootSubcommand(version: string) {
  return withHostRunOptions(
    new Command('boot')
      .description('boot one cell with its console on stdout; print its verdict and the command that boots it again')
      .argument(
        '[cell]',
        'cell id, as `kvmatrix list` prints it (e.g. patched/qemu-bridged/legacy); or spell it out with --kernel and --vmm',
      )
      .addOption(new Option('--matrix <file>', 'matrix file (default: matrices/murray.yaml)'))
      .addOption(new Option('--kernel <id|Image>', 'a kernel id of the matrix, or the path of a built arm64 Image'))
      .addOption(new Option('--vmm <id|type>', 'a VMM id of the matrix, or qemu or kvmtool'))
      .addOption(new Option('--transport <legacy|modern>', 'virtio-pci transport (with --kernel; default legacy)'))
      .addOption(new Option('--topology <flat|bridged>', 'PCI topology of a QEMU VMM (with --kernel)'))
      .addOption(new Option('--devices <kinds>', "comma-separated devices, e.g. rng,blk (with --kernel; default: the matrix's)"))
      .addOption(testOption())
      .addOption(new Option('--out <dir>', 'results root: the run goes to <dir>/<run-id>').default('results')),
  ).action(async (cellId, opts) => {
    const [{ runExitCode }, { runMatrix }, { hostRunOptions }] = await Promise.all([
      import('../report/summary.js'),
      import('../run/run-matrix.js'),
      import('./host-run-options.js'),
    ]);
    const chosen = await chosenCell(cellId, opts);
    const { matrix } = chosen;
    const cells = await (await import('./selection.js')).narrowedToTest(chosen.cells, opts.test);
    const hostOptions = await hostRunOptions(opts, version);
    // bad input is refused before the patch check, which may first unpack a source tarball
    (await import('../run/kvmtool-plan.js')).refuseUnusableLkvm(matrix, cells, hostOptions.kvmtoolHost);
    // stopped (SIGINT, SIGTERM), it still writes its run as `run` does
    const { results, runDir } = await stoppable((signal) =>
      runMatrix({
        checkPatches: true,
        matrix,
        cells,
        selection: { cells: [cells[0]!.id], filters: [] },
        outRoot: resolve(opts.out),
        bootJobs: 1,
        ...hostOptions,
        live: process.stdout,
        signal,
      }),
    );
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

interface CellOptions {
  matrix?: string;
  kernel?: string;
  vmm?: string;
  transport?: string;
  topology?: string;
  devices?: string;
}

/** The one cell to boot: named by id, or spelt out with --kernel and --vmm. */
async function chosenCell(cellId: string | undefined, opts: CellOptions): Promise<LoadedSelection> {
  const [{ exactlyOne, loadSelection }, { explicitCell }] = await Promise.all([
    import('./selection.js'),
    import('../matrix/explicit-cell.js'),
  ]);
  const explicit = ['kernel', 'vmm', 'transport', 'topology', 'devices'].filter((k) => opts[k as keyof CellOptions] !== undefined);
  if (cellId !== undefined) {
    if (explicit.length > 0) {
      throw new InputError(`give a cell id or --${explicit.join('/--')}, not both`);
    }
    const selection = loadSelection(opts.matrix, [cellId], []);
    return { ...selection, cells: [exactlyOne(selection.cells, cellId, 'boot')] };
  }
  if (opts.kernel === undefined || opts.vmm === undefined) {
    throw new InputError('boot needs a cell id, or --kernel and --vmm (with --transport, --topology, --devices as needed)');
  }
  const { matrix, cell } = explicitCell(loadSelection(opts.matrix, [], []).matrix, {
    kernel: opts.kernel,
    vmm: opts.vmm,
    ...(opts.transport !== undefined ? { transport: opts.transport } : {}),
    ...(opts.topology !== undefined ? { topology: opts.topology } : {}),
    ...(opts.devices !== undefined ? { devices: opts.devices } : {}),
  });
  return { matrix, cells: [cell] };
}
