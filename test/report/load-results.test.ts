import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { loadRun } from '../../harness/report/load-results.js';
import { InputError } from '../../harness/matrix/input-error.js';
import { mixedRun } from '../support/results.js';
import { tempTree } from '../support/temp-tree.js';

function folderWith(data: unknown): string {
  return tempTree({ 'results.json': typeof data === 'string' ? data : JSON.stringify(data) });
}

t.test('a run folder and its results.json read back as the run that was written', async (t) => {
  const results = mixedRun();
  const dir = folderWith(results);
  const byFolder = loadRun(dir);
  t.same(byFolder.results, results);
  t.equal(byFolder.runDir, dir);
  t.equal(loadRun(join(dir, 'results.json')).runDir, dir, 'paths stay relative to the folder either way');
});

t.test('fields a later kvmatrix adds are kept, not refused', async (t) => {
  const results = { ...mixedRun(), retries: { cells: 1 } };
  t.same((loadRun(folderWith(results)).results as unknown as { retries: unknown }).retries, { cells: 1 });
});

t.test('what is not a run is one InputError naming the file and the key', async (t) => {
  const bad = (data: unknown) => {
    const dir = folderWith(data);
    try {
      loadRun(dir);
    } catch (error) {
      t.type(error, InputError);
      return (error as InputError).message.replace(dir, '<dir>');
    }
    return 'no error';
  };
  t.match(bad('{ not json'), /^<dir>\/results\.json: not JSON: /);
  t.match(
    bad({ ...mixedRun(), schema: 'kvmatrix-results/0' }),
    /^<dir>\/results\.json: schema: not a kvmatrix results file this version reads/,
  );
  const wrongVerdict = mixedRun();
  (wrongVerdict.cells[2] as { verdict: string }).verdict = 'passed';
  t.match(bad(wrongVerdict), /^<dir>\/results\.json: cells\[2\]\.verdict: /);
  const noDevices = mixedRun() as unknown as { cells: Record<string, unknown>[] };
  delete noDevices.cells[1]!.devices;
  t.match(bad(noDevices), /^<dir>\/results\.json: cells\[1\]\.devices: /);

  const empty = tempTree({});
  t.throws(() => loadRun(empty), { message: `${empty}/results.json: no results.json here: is this a kvmatrix run folder?` });
  t.throws(() => loadRun(join(empty, 'nope')), { message: `${join(empty, 'nope')}: no such run folder or results file` });
  writeFileSync(join(empty, 'x.json'), 'null');
  t.throws(() => loadRun(join(empty, 'x.json')), InputError);
});
