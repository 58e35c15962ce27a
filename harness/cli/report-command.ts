import { Command } from '@commander-js/extra-typings';
import { loadRun } from '../report/load-results.js';
import { writeRenderedReports } from '../run/write-reports.js';

export function reportSubcommand() {
  return new Command('report')
    .description("write a run's report.tap, junit.xml and index.html again from its results.json (after an upgrade of kvmatrix, or for a copied run folder)")
    .argument('<run>', 'the run: its folder (results/<run-id>, results/latest) or its results.json')
    .action((runPath) => {
      const { results, runDir } = loadRun(runPath);
      writeRenderedReports(results, runDir);
      process.stdout.write(`${runDir}: report.tap, junit.xml, index.html written from results.json\n`);
    });
}
