import { dirname } from 'node:path';
import { existsSync } from 'node:fs';
import { Command, Option } from '@commander-js/extra-typings';
import { InputError } from '../matrix/input-error.js';
import { EXIT } from './options.js';

export function compareSubcommand() {
  return new Command('compare')
    .description(
      'what changed between two runs: cells that started failing, cells fixed, devices whose BAR, driver or status changed, cells added or removed',
    )
    .argument('<before>', 'the earlier run: its folder (results/<run-id>, results/latest) or its results.json')
    .argument('<after>', 'the later run')
    .addOption(new Option('--tap <file>', 'also write the comparison as TAP: not ok only for cells that started failing'))
    .addOption(new Option('--junit <file>', 'also write it as JUnit XML: a <failure> only for cells that started failing'))
    .addHelpText('after', '\nExit status: 0 no cell started failing, 1 some did, 2 bad usage or a file that is not a kvmatrix run.')
    .action(async (beforePath, afterPath, opts) => {
      const [
        { writeFileAtomic },
        { compareRuns, isNewFailure },
        { renderComparisonJunit, renderComparisonTap, renderComparisonText },
        { loadRun },
      ] = await Promise.all([
        import('../host/atomic-file.js'),
        import('../report/compare.js'),
        import('../report/compare-report.js'),
        import('../report/load-results.js'),
      ]);
      const before = loadRun(beforePath);
      const after = loadRun(afterPath);
      for (const target of [opts.tap, opts.junit]) {
        if (target !== undefined && !existsSync(dirname(target))) throw new InputError('its folder does not exist', { file: target });
      }
      const comparison = compareRuns(before.results, after.results);
      process.stdout.write(renderComparisonText(comparison));
      if (opts.tap) writeFileAtomic(opts.tap, renderComparisonTap(comparison));
      if (opts.junit) writeFileAtomic(opts.junit, renderComparisonJunit(comparison));
      process.exitCode = comparison.cells.some(isNewFailure) ? EXIT.unexpected : EXIT.ok;
    });
}
