import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from '@commander-js/extra-typings';
import { InputError } from '../matrix/input-error.js';
import { defaultMatrixFile } from '../host/install-paths.js';
import { wantsLiveProgress } from './progress-mode.js';
import { buildJobsOption, buildTimeoutOption, cacheOption, ccacheOption } from './options.js';

export function buildSubcommand() {
  return new Command('build')
    .description('build (or find in the cache) the kernels of a matrix, without booting anything')
    .argument('[kernel...]', 'kernel ids of the matrix (default: all)')
    .addOption(new Option('--matrix <file>', 'matrix file (default: matrices/murray.yaml)'))
    .addOption(buildJobsOption())
    .addOption(cacheOption())
    .addOption(buildTimeoutOption())
    .addOption(ccacheOption())
    .addOption(new Option('--log-dir <dir>', 'where build logs go (default: a new folder under the system temporary folder)'))
    .action(async (kernelIds, opts) => {
      const [
        { loadMatrix },
        { cacheLayout, ensureCacheDirs, resolveCacheRoot },
        { obtainKernel },
        { ccacheAvailable },
        { plainEvents },
        { validatedFiles },
        { kernelTestInputs },
      ] = await Promise.all([
        import('../matrix/load.js'),
        import('../kernel/cache.js'),
        import('../kernel/build.js'),
        import('../kernel/toolchain.js'),
        import('./event-lines.js'),
        import('./validated-files.js'),
        import('../test-kinds/registry.js'),
      ]);
      const matrix = loadMatrix(opts.matrix ?? defaultMatrixFile, { memo: validatedFiles() });
      for (const id of kernelIds) {
        if (!matrix.kernels.some((k) => k.id === id)) {
          throw new InputError(`no kernel "${id}" in ${matrix.file} (it has: ${matrix.kernels.map((k) => k.id).join(', ')})`);
        }
      }
      const wanted = kernelIds.length > 0 ? matrix.kernels.filter((k) => kernelIds.includes(k.id)) : matrix.kernels;
      const layout = cacheLayout(resolveCacheRoot(opts.cache));
      ensureCacheDirs(layout);
      // created only if something is actually built
      const logRoot = opts.logDir ?? join(tmpdir(), `kvmatrix-build-${process.pid}-${Date.now()}`);
      const live = wantsLiveProgress(process.stderr, process.env)
        ? (await import('./live-progress.js')).liveProgress(process.stderr, 0)
        : null;
      const events = live?.events ?? plainEvents((line) => process.stderr.write(`${line}\n`));
      const ccache = opts.ccache && (await ccacheAvailable());
      let failed = 0;
      try {
        for (const spec of wanted) {
          const outcome = await obtainKernel(
            spec,
            {
              layout,
              jobs: opts.buildJobs,
              ccache,
              logDir: join(logRoot, spec.id),
              timeoutSec: opts.buildTimeout,
              ...(events.kernel ? { onProgress: events.kernel } : {}),
            },
            kernelTestInputs(spec),
          );
          events.kernelDone?.(outcome);
          if (outcome.ok) process.stdout.write(`${spec.id}\t${outcome.image}\n`);
          else failed++;
        }
      } finally {
        live?.stop();
      }
      process.exitCode = failed > 0 ? 1 : 0;
    });
}
