/**
 * What the kinds ask of a kernel's build, as the registry gathers it: the
 * build (kernel/build.ts) knows no kind and takes this plain data. A
 * kernel no test asks anything of gets nothing; a kunitconfig is a
 * fragment merged before the kselftest targets' configs, which the source
 * holds and the cache key names by the targets (the key's field as it was
 * before the kinds had a seam, so cached kernels stay found).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { findDroppedOptions } from '../../harness/kernel/config-check.js';
import { StageError } from '../../harness/kernel/stage-error.js';
import { companionNames } from '../../harness/kernel/test-inputs.js';
import { kernelWithoutTests } from '../../harness/matrix/kernel-tests.js';
import { kunitconfigCheckFragments } from '../../harness/matrix/kunitconfig.js';
import { loadMatrix } from '../../harness/matrix/load.js';
import { kernelTestInputs } from '../../harness/test-kinds/registry.js';
import { matrixProject, ONE_CELL_MATRIX } from '../support/matrix-files.js';
import { tempTree } from '../support/temp-tree.js';

const kernelOf = (tests: string) => loadMatrix(matrixProject(`${ONE_CELL_MATRIX}tests:\n${tests}`)).kernels[0]!;

t.test('a kernel whose cells run only the probe and commands: nothing asked', async (t) => {
  const kernel = kernelOf(`  - probe\n  - command: { name: up, run: [/bin/true] }\n`);
  t.same(kernelTestInputs(kernel), { fragments: [], treeFragments: [], keyInputs: {}, companions: [] });
  t.equal(kernelWithoutTests(kernel), null, 'and no separate build to host nested kvmtool');
});

t.test('KUnit and kselftests: the kunitconfig as a fragment, the targets from the tree, their build after the kernel', async (t) => {
  const kernel = kernelOf(
    `  - kunit:\n      kunitconfig:\n        - CONFIG_KUNIT=y\n        - '  CONFIG_LIST_KUNIT_TEST=y'\n  - kselftest: { targets: [timers, size] }\n`,
  );
  const inputs = kernelTestInputs(kernel);
  t.equal(inputs.fragments.length, 1);
  const [fragment] = inputs.fragments;
  t.equal(fragment!.text, 'CONFIG_KUNIT=y\nCONFIG_LIST_KUNIT_TEST=y\n', 'trimmed lines, as merged and hashed');
  t.equal(fragment!.buildFile, 'kvmatrix.kunitconfig');
  t.same(
    fragment!.check,
    [{ file: kernel.kunitconfig!.file, text: `${'\n'.repeat(9)}CONFIG_KUNIT=y\nCONFIG_LIST_KUNIT_TEST=y\n` }],
    'checked where the lines were written, at their own line numbers, in one fragment',
  );
  t.equal(fragment!.askedBy, 'the kunitconfig');
  t.same(inputs.keyInputs, { kselftestTargets: ['size', 'timers'] }, 'the cache key names the targets, sorted');
  t.same(
    inputs.companions.map((c) => c.stage),
    ['kselftest'],
  );
  t.same(companionNames('kselftest'), {
    built: 'kselftests',
    layerFile: 'kselftests.cpio.gz',
    logFile: 'kselftest-build.log',
    logField: 'kselftestBuildLog',
  });

  // the targets' configs, read from a tree: a target without one adds nothing, a missing target is the kselftest stage's error
  const tree = tempTree({}, 'kvmatrix-tree-');
  for (const target of ['timers', 'size']) {
    mkdirSync(join(tree, 'tools/testing/selftests', target), { recursive: true });
    writeFileSync(join(tree, 'tools/testing/selftests', target, 'Makefile'), '');
  }
  writeFileSync(join(tree, 'tools/testing/selftests/timers/config'), 'CONFIG_HIGH_RES_TIMERS=y\n');
  const [fromTree] = inputs.treeFragments;
  t.equal(fromTree!.askedBy, 'the kselftest targets');
  t.same(fromTree!.read(tree), [{ file: 'tools/testing/selftests/timers/config', text: 'CONFIG_HIGH_RES_TIMERS=y\n' }]);
  const missing = kernelTestInputs(kernelOf(`  - kselftest: { targets: [nope] }\n`)).treeFragments[0]!;
  const thrown = t.throws(() => missing.read(tree)) as unknown;
  t.ok(thrown instanceof StageError && thrown.stage === 'kselftest', 'a missing target fails the kernel at the kselftest stage');
  t.match((thrown as Error).message, 'kselftest target "nope" does not exist in the source of kernel');

  const definition = kernelWithoutTests(kernel)!;
  t.same(
    kernelTestInputs(definition),
    { fragments: [], treeFragments: [], keyInputs: {}, companions: [] },
    'without its tests, a plain build',
  );
  t.equal(definition.id, kernel.id);
});

t.test('a kunitconfig written as a flow list, several options on one line of the matrix: the config check checks each', async (t) => {
  const kernel = kernelOf(`  - kunit: { kunitconfig: [CONFIG_KUNIT=y, CONFIG_LIST_KUNIT_TEST=y] }\n`);
  const [fragment] = kernelTestInputs(kernel).fragments;
  const dropped = findDroppedOptions(fragment!.check, '# CONFIG_KUNIT is not set\n# CONFIG_LIST_KUNIT_TEST is not set\n');
  t.same(
    dropped.map((d) => `${d.option} ${d.line}`),
    ['CONFIG_KUNIT 8', 'CONFIG_LIST_KUNIT_TEST 8'],
    'both dropped options, each at the line that asked for it',
  );
  t.equal(fragment!.check.length, 2, 'the second option of the line in a fragment of its own');
  t.same(
    kunitconfigCheckFragments({ file: 'f', lines: [{ line: 0, text: 'CONFIG_A=y' }] }),
    [{ file: 'f', text: 'CONFIG_A=y\n' }],
    'a line without a number is checked at the first, not lost',
  );
});
