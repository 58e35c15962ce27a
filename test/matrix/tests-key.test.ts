/**
 * The matrix keys of a cell's tests: tests:, cell_tests:, a kunitconfig
 * (a file or lines) and expect rules with test:. Bad input is one
 * InputError naming the file, line and key.
 */
import { join } from 'node:path';
import t from 'tap';
import { projectRoot } from '../../harness/host/install-paths.js';
import { expandMatrix } from '../../harness/matrix/expand.js';
import { loadMatrix } from '../../harness/matrix/load.js';
import type { KunitTestSpec } from '../../harness/matrix/types.js';
import { loadError, matrixProject } from '../support/matrix-files.js';

const kernelDef = 'source:\n  tarball: /nonexistent/linux.tar.xz\n';
const base = `name: t
kernels:
  a: { definition: k }
  b: { definition: k }
vmms:
  q: { type: qemu }
  kt: { type: kvmtool, host_kernel: a }
transports: [modern]
`;

function project(matrix: string, extra: Record<string, string> = {}): string {
  return matrixProject(matrix, { 'kernels/k.yaml': kernelDef, 'matrices/k.kunitconfig': 'CONFIG_KUNIT=y\n', ...extra });
}

t.test('without tests:, every cell probes, as before', async (t) => {
  const cells = expandMatrix(loadMatrix(project(base)));
  t.same([...new Set(cells.map((c) => JSON.stringify(c.tests)))], ['[{"kind":"probe"}]']);
  t.ok(cells.every((c) => c.devices.length === 3 && c.kernel.kunitconfig === undefined));
});

t.test('tests: with kunit; cell_tests: for some cells; the kernel carries the kunitconfig', async (t) => {
  const file = project(
    `${base}tests:\n  - probe\n  - kunit: { kunitconfig: k.kunitconfig, filter: 'list-*' }\ncell_tests:\n  - when: { type: kvmtool }\n    tests: [probe]\n`,
  );
  const matrix = loadMatrix(file);
  const cells = expandMatrix(matrix);
  const q = cells.find((c) => c.id === 'a/q/modern')!;
  t.same(
    q.tests.map((x) => x.kind),
    ['probe', 'kunit'],
  );
  t.equal((q.tests[1] as KunitTestSpec).filter, 'list-*');
  t.same((q.tests[1] as KunitTestSpec).kunitconfig, {
    file: join(file, '..', 'k.kunitconfig'),
    lines: [{ line: 1, text: 'CONFIG_KUNIT=y' }],
  });
  t.same(cells.find((c) => c.id === 'a/kt/modern')!.tests, [{ kind: 'probe' }], 'the cell_tests rule');
  t.ok(
    matrix.kernels.every((k) => k.kunitconfig?.lines[0]?.text === 'CONFIG_KUNIT=y'),
    'both kernels are built with it',
  );
});

t.test('kunitconfig lines written in the matrix keep their own line numbers', async (t) => {
  const file = project(
    `${base}tests:\n  - kunit:\n      kunitconfig:\n        - CONFIG_KUNIT=y\n        - '# a comment'\n        - CONFIG_LIST_KUNIT_TEST=y\n`,
  );
  const kunit = loadMatrix(file).kernels[0]!.kunitconfig!;
  t.equal(kunit.file, file);
  t.same(
    kunit.lines.map((l) => l.line),
    [12, 13, 14],
  );
});

t.test('a kunit-only cell has no devices', async (t) => {
  const cells = expandMatrix(loadMatrix(project(`${base}tests:\n  - kunit: { kunitconfig: k.kunitconfig }\n`)));
  t.ok(cells.every((c) => c.devices.length === 0));
  const withCommand = expandMatrix(
    loadMatrix(project(`${base}tests:\n  - kunit: { kunitconfig: k.kunitconfig }\n  - command: { name: c, run: [/bin/true] }\n`)),
  );
  t.ok(
    withCommand.every((c) => c.devices.length > 0),
    'a program in the guest gets the devices, without the probe',
  );
});

t.test('expect rules with test: reach the cells they apply to, in order', async (t) => {
  const file = project(
    `${base}expect:\n  - when: { kernel: a }\n    test: 'kunit.list-kunit-test.*'\n    verdict: fail\n    why: known\n  - when: { kernel: a }\n    test: 'probe.rng1'\n    verdict: skip\n`,
  );
  const cells = expandMatrix(loadMatrix(file));
  const a = cells.find((c) => c.id === 'a/q/modern')!;
  t.same(
    a.leafExpect,
    [
      { test: 'kunit.list-kunit-test.*', verdict: 'fail', why: 'known', rule: 0 },
      { test: 'probe.rng1', verdict: 'skip', rule: 1 },
    ],
    'each naming its place in expect:',
  );
  t.same(a.expect, { verdict: 'pass' }, 'the cell itself is still expected to pass');
  t.same(cells.find((c) => c.id === 'b/q/modern')!.leafExpect, []);
});

t.test('bad input: one error naming the file, the line and the key', async (t) => {
  const missing = loadError(project(`${base}tests:\n  - kunit: { kunitconfig: nope.kunitconfig }\n`));
  t.match(
    missing.message,
    /m\.yaml:10:\d+: tests\[0\]\.kunit\.kunitconfig: kunitconfig .*nope\.kunitconfig does not exist or is not a file$/,
  );

  const badLine = project(`${base}tests:\n  - kunit: { kunitconfig: k.kunitconfig }\n`, {
    'matrices/k.kunitconfig': '# fine\n\nCONFIG_KUNIT=y\nKUNIT=y\n',
  });
  t.match(
    loadError(badLine).message,
    /k\.kunitconfig:4: "KUNIT=y" is not a config option: a line is CONFIG_NAME=value, "# CONFIG_NAME is not set", a # comment or blank \(the kunitconfig named by tests\[0\]\.kunit\.kunitconfig in .*m\.yaml\)$/,
  );

  const empty = project(`${base}tests:\n  - kunit: { kunitconfig: k.kunitconfig }\n`, { 'matrices/k.kunitconfig': '# only a comment\n' });
  t.match(loadError(empty).message, /k\.kunitconfig: names no config option/);

  const inline = loadError(project(`${base}tests:\n  - kunit:\n      kunitconfig: [CONFIG_KUNIT=y, 'menuconfig']\n`));
  t.match(inline.message, /m\.yaml:11:\d+: tests\[0\]\.kunit\.kunitconfig\[1\]: "menuconfig" is not a config option/);

  const list = loadError(project(`${base}tests:\n  - kunit: { kunitconfig: k.kunitconfig, filter: 'a,b' }\n`));
  t.match(list.message, /tests\[0\]\.kunit\.filter: one glob, as kunit\.filter_glob= takes it .* no lists/);

  const kind = loadError(project(`${base}tests: [kselftest]\n`));
  t.match(
    kind.message,
    /tests\[0\]: a test is "probe", "dmesg", \{ kunit: \{ kunitconfig, filter \} \}, \{ command: \{ name, run, files, timeout, expect_exit \} \} or \{ kselftest: \{ targets, skip, timeout \} \}/,
  );

  const glob = loadError(project(`${base}expect:\n  - when: {}\n    test: 'kunit.a b'\n    verdict: fail\n`));
  t.match(glob.message, /expect\[0\]\.test: "a b" in "kunit\.a b" holds a character a test path never has/);

  const cellSkip = loadError(project(`${base}expect:\n  - when: { kernel: a }\n    verdict: skip\n`));
  t.match(cellSkip.message, /expect\[0\]\.verdict: "skip" is for tests/);

  const unknown = loadError(project(`${base}cell_tests:\n  - when: { vmm: nope }\n    tests: [probe]\n`));
  t.match(unknown.message, /cell_tests\[0\]\.when\.vmm: no vmm "nope" in this matrix/);
});

t.test('a built kernel cannot take a kunitconfig; cells of one kernel cannot ask two', async (t) => {
  const image = project(
    `${base.replace('b: { definition: k }', 'b: { definition: img }')}tests:\n  - kunit: { kunitconfig: k.kunitconfig }\n`,
    {
      'kernels/img.yaml': 'source:\n  image: /nonexistent/Image\n',
    },
  );
  t.match(
    loadError(image).message,
    /m\.yaml:10:\d+: tests: kernel "b" is already built \(its source is an image\): a kunitconfig cannot apply to it$/,
  );

  const two = project(
    `${base}tests:\n  - kunit: { kunitconfig: k.kunitconfig }\ncell_tests:\n  - when: { vmm: kt }\n    tests:\n      - kunit: { kunitconfig: [CONFIG_KUNIT=y, CONFIG_KUNIT_TEST=y] }\n`,
  );
  t.match(
    loadError(two).message,
    /cell_tests\[0\]\.tests: the cells of kernel "a" ask for two kunitconfigs .*: a kernel is built with one; give those cells a kernel entry of their own$/,
  );
});

t.test('matrices/kunit.yaml loads: probe and kunit in every cell, both kernels expected to pass', async (t) => {
  const matrix = loadMatrix(join(projectRoot, 'matrices', 'kunit.yaml'));
  const cells = expandMatrix(matrix);
  t.equal(cells.length, 12);
  t.ok(cells.every((c) => c.tests.map((x) => x.kind).join() === 'probe,kunit'));
  t.ok(
    cells.every((c) => c.expect.verdict === 'pass' && c.leafExpect.length === 0),
    'no failure expected anywhere',
  );
  t.same(
    cells.find((c) => c.id === 'patched/qemu-bridged/legacy')!.devices.map((d) => d.name),
    ['rng1', 'blk1', 'rng2', 'blk2'],
  );
  t.same(
    matrix.kernels.map((k) => [k.id, k.patches.map((p) => p.path.split('/').at(-1))]),
    [
      ['unpatched', []],
      ['patched', ['cmdline-get-range.patch']],
    ],
  );
});
