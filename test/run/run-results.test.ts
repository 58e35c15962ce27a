/**
 * results.json as a run puts it together: the digest of the whole matrix
 * is there whatever command wrote the run (run, a shard, boot, a bisect
 * step) and whatever part of the matrix it ran, so that shards merge and
 * nights compare; and what a night's inputs were beyond the matrix: the
 * machine, kvmatrix's commit, each VMM entry with its QEMU's version and
 * its lkvm's sha256.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import t from 'tap';
import { defaultMatrixFile, projectRoot } from '../../harness/host/install-paths.js';
import { matrixDigest } from '../../harness/matrix/digest.js';
import { expandMatrix } from '../../harness/matrix/expand.js';
import { loadMatrix } from '../../harness/matrix/load.js';
import { runResults } from '../../harness/run/run-results.js';
import { vmmFacts } from '../../harness/run/vmm-facts.js';
import { checkoutCommit } from '../../harness/host/checkout-commit.js';
import { runResultsSchema } from '../../harness/report/results-schema.js';
import * as z from 'zod/mini';
import { tempTree } from '../support/temp-tree.js';
import { execFileSync } from 'node:child_process';
import { hostname } from 'node:os';

const matrix = loadMatrix(defaultMatrixFile);
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const run = { runId: 'r', startedAt: new Date(0), stoppedBy: null, qemu: null, vmms: [], kernels: [], cells: [] };

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

t.test("schema 2: the host's name, kvmatrix's commit, each VMM entry as it ran; valid by the results schema", async (t) => {
  const vmms = vmmFacts(
    [
      { id: 'qemu-flat', type: 'qemu', qemu: '/usr/bin/qemu-system-aarch64', lkvm: null, era: null },
      { id: 'qemu-flat', type: 'qemu', qemu: '/usr/bin/qemu-system-aarch64', lkvm: null, era: null },
      {
        id: 'kvmtool',
        type: 'kvmtool',
        qemu: '/usr/bin/qemu-system-aarch64',
        lkvm: { path: '/opt/lkvm', from: 'matrix', sha256: 'ab'.repeat(32), era: 'virtio-transport' },
        era: 'virtio-transport',
      },
      { id: 'missing', type: 'qemu', qemu: '/nope/qemu', lkvm: null, era: null },
    ],
    new Map([
      ['/usr/bin/qemu-system-aarch64', 'QEMU emulator version 7.2.19'],
      ['/nope/qemu', null],
    ]),
  );
  t.same(vmms, [
    { id: 'qemu-flat', type: 'qemu', qemu: { binary: '/usr/bin/qemu-system-aarch64', version: 'QEMU emulator version 7.2.19' } },
    {
      id: 'kvmtool',
      type: 'kvmtool',
      qemu: { binary: '/usr/bin/qemu-system-aarch64', version: 'QEMU emulator version 7.2.19' },
      lkvm: { path: '/opt/lkvm', sha256: 'ab'.repeat(32), era: 'virtio-transport' },
    },
    { id: 'missing', type: 'qemu', qemu: { binary: '/nope/qemu', version: null } },
  ]);
  const results = runResults({ matrix, accel: 'tcg', version: '0', selection: { cells: [], filters: [] } }, { ...run, vmms });
  t.equal(results.schema, 'kvmatrix-results/2');
  t.equal(results.host.name, hostname());
  t.equal(
    results.host.kvmatrixCommit,
    execFileSync('git', ['-C', projectRoot, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim(),
    "the checkout's HEAD",
  );
  t.same(results.host.vmms, vmms);
  const valid = (value: unknown) => z.safeParse(runResultsSchema, JSON.parse(JSON.stringify(value))).success;
  t.ok(valid(results), 'valid as written');
  const { name: _name, vmms: _vmms, kvmatrixCommit: _commit, ...olderHost } = results.host;
  t.ok(valid({ ...results, schema: 'kvmatrix-results/1', host: olderHost }), 'and a schema 1 run still reads');
  t.notOk(valid({ ...results, schema: 'kvmatrix-results/3' }), 'a later one does not');
});

t.test(
  "the checkout's commit read from its git folder: a branch, a detached HEAD, packed refs, a worktree; none outside one",
  async (t) => {
    const sha = 'c'.repeat(40);
    const branch = tempTree({ '.git/HEAD': 'ref: refs/heads/main\n', [`.git/refs/heads/main`]: `${sha}\n` });
    t.equal(checkoutCommit(branch), sha);
    t.equal(checkoutCommit(tempTree({ '.git/HEAD': `${'d'.repeat(40)}\n` })), 'd'.repeat(40), 'detached');
    const packed = tempTree({
      '.git/HEAD': 'ref: refs/heads/main\n',
      '.git/packed-refs': `# pack-refs\n${'e'.repeat(40)} refs/heads/main\n`,
    });
    t.equal(checkoutCommit(packed), 'e'.repeat(40), 'packed refs');
    const common = tempTree({
      'git/HEAD': 'ref: refs/heads/main\n',
      'git/refs/heads/main': `${sha}\n`,
      'git/worktrees/w/HEAD': 'ref: refs/heads/other\n',
      'git/worktrees/w/commondir': '../..\n',
      'git/refs/heads/other': `${'f'.repeat(40)}\n`,
    });
    const worktree = tempTree({ '.git': `gitdir: ${common}/git/worktrees/w\n` });
    t.equal(checkoutCommit(worktree), 'f'.repeat(40), "a worktree's own branch, from the common folder");
    t.equal(checkoutCommit(tempTree({})), null, 'no checkout');
    t.equal(checkoutCommit(tempTree({ '.git/HEAD': 'garbage\n' })), null, 'a HEAD it cannot read');
  },
);
