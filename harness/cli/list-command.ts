import { Command, Option } from '@commander-js/extra-typings';
import { cellOption, filterOption } from './options.js';

export function listSubcommand() {
  return new Command('list')
    .description('print the cells of a matrix: id, expectation, devices and tests (with the expect rules that name tests)')
    .argument('[matrix]', 'matrix file (default: matrices/murray.yaml)')
    .addOption(cellOption())
    .addOption(filterOption())
    .addOption(new Option('--json', 'one JSON object per cell'))
    .action(async (matrixFile, opts) => {
      const [{ loadSelection }, { describeTest }] = await Promise.all([import('./selection.js'), import('../test-kinds/registry.js')]);
      const { cells } = loadSelection(matrixFile, opts.cell, opts.filter);
      for (const cell of cells) {
        const devices = cell.devices.map((d) => d.name);
        const tests = cell.tests.map((t) => describeTest(t).text);
        const leafExpect = cell.leafExpect.map((e) =>
          [e.test, e.verdict, ...(e.mayPrint ? [`may print ${e.mayPrint.join(', ')}`] : [])].filter(Boolean).join(' '),
        );
        if (opts.json) {
          const line = {
            id: cell.id,
            kernel: cell.kernel.id,
            vmm: cell.vmm.id,
            type: cell.vmm.type,
            transport: cell.transport,
            topology: cell.topology,
            expect: cell.expect.verdict,
            devices,
            tests: cell.tests.map((t) => describeTest(t).json),
            ...(cell.leafExpect.length ? { expectTests: cell.leafExpect } : {}),
          };
          process.stdout.write(`${JSON.stringify(line)}\n`);
        } else {
          const expect = cell.expect.verdict === 'fail' ? 'expect fail' : 'expect pass';
          const more = [tests.join('+'), ...(leafExpect.length ? [`expect ${leafExpect.join(', ')}`] : [])].join('  ');
          process.stdout.write(
            `${cell.id.padEnd(40)} ${expect.padEnd(12)} ${cell.topology.padEnd(8)} ${(devices.join(',') || '-').padEnd(30)} ${more}\n`.replace(
              / +\n$/,
              '\n',
            ),
          );
        }
      }
    });
}
