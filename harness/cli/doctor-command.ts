import { Command } from '@commander-js/extra-typings';
import { defaultMatrixFile } from '../host/install-paths.js';
import { EXIT, lkvmOption } from './options.js';

export function doctorSubcommand() {
  return new Command('doctor')
    .description("report this host's KVM, the QEMU a matrix would use, and the lkvm each kvmtool entry would use")
    .argument('[matrix]', 'matrix file (default: matrices/murray.yaml)')
    .addOption(lkvmOption())
    .action(async (matrixFile, opts) => {
      const [{ gatherDoctorFacts, renderDoctor }, { loadMatrix }, { kvmtoolHostFacts }, { validatedFiles }] = await Promise.all([
        import('../doctor/doctor.js'),
        import('../matrix/load.js'),
        import('./host-run-options.js'),
        import('./validated-files.js'),
      ]);
      const matrix = loadMatrix(matrixFile ?? defaultMatrixFile, { memo: validatedFiles() });
      const { text, ok } = renderDoctor(await gatherDoctorFacts(matrix, kvmtoolHostFacts(opts.lkvm)));
      process.stdout.write(text);
      process.exitCode = ok ? EXIT.ok : EXIT.infrastructure;
    });
}
