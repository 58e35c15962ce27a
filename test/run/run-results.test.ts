/**
 * results.json as a run puts it together: the digest of the whole matrix
 * is there whatever command wrote the run (run, a shard, boot, a bisect
 * step) and whatever part of the matrix it ran, so that shards merge and
 * nights compare.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import t from 'tap';
import { defaultMatrixFile } from '../../harness/host/install-paths.js';
import { matrixDigest } from '../../harness/matrix/digest.js';
import { expandMatrix } from '../../harness/matrix/expand.js';
import { loadMatrix } from '../../harness/matrix/load.js';
import { runResults } from '../../harness/run/run-results.js';

const matrix = loadMatrix(defaultMatrixFile);
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const run = { runId: 'r', startedAt: new Date(0), stoppedBy: null, qemu: null, kernels: [], cells: [] };

t.test('the whole matrix digested, whatever the selection', async (t) => {
  const one = runResults({ matrix, accel: 'tcg', version: '0', selection: { cells: ['patched/qemu-flat/legacy'], filters: [] } }, run);
  const all = runResults({ matrix, accel: 'tcg', version: '0', selection: { cells: [], filters: [] } }, run);
  t.equal(one.matrix.digest, matrixDigest(expandMatrix(matrix), sha256));
  t.equal(one.matrix.digest, all.matrix.digest, 'one cell of it, or all of it: one matrix');
  const otherTests = runResults(
    { matrix: { ...matrix, tests: [{ kind: 'dmesg' }] }, accel: 'tcg', version: '0', selection: { cells: [], filters: [] } },
    run,
  );
  t.not(otherTests.matrix.digest, all.matrix.digest, 'its tests are part of it');
});
