import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { defaultMatrixFile, projectRoot } from '../../harness/host/install-paths.js';
import {
  matrixRequirements,
  packageListFile,
  packagesForHost,
  parsePackageList,
  readPackageList,
  type HostProbe,
} from '../../harness/doctor/requirements.js';
import { loadMatrix } from '../../harness/matrix/load.js';
import { tempTree } from '../support/temp-tree.js';

const matrix = loadMatrix(defaultMatrixFile);
const packages = readPackageList();

t.test('the package list that ensure-deps.sh installs from parses, with every scope', async (t) => {
  t.ok(packages.length >= 10);
  t.same([...new Set(packages.map((p) => p.when))].sort(), ['build', 'optional', 'run', 'test']);
  t.same([...new Set(packages.map((p) => p.hosts))].sort(), ['any', 'arm64', 'not-arm64']);
  t.ok(packages.some((p) => p.name === 'qemu-system-arm' && p.file === '/usr/bin/qemu-system-aarch64'));
  t.ok(
    packages.every((p) => p.file.startsWith('/')),
    'files are absolute paths',
  );
  t.throws(
    () => parsePackageList('make /usr/bin/make run kernel build\n', 'list.tsv'),
    /^list\.tsv:1: expected package, file, run\|build\|test\|optional, any\|arm64\|not-arm64 and a reason, separated by tabs$/,
  );
  t.throws(
    () => parsePackageList('make\t/usr/bin/make\tbuild\tamd64\tkernel build\n', 'list.tsv'),
    /^list\.tsv:1: /,
    'an unknown host kind',
  );
  t.match(readFileSync(packageListFile, 'utf8'), /^# /, 'starts with its explanation');
});

const everything: HostProbe = {
  exists: () => true,
  which: (c) => `/usr/bin/${c}`,
  nodeVersion: '20.20.2',
  arch: 'x64',
  foreignArchitectures: () => [],
  readText: (path) => readFileSync(path, 'utf8'),
};

t.test('a host with everything: all found, the shared tarball and compiler listed once for both kernels', async (t) => {
  const reqs = matrixRequirements(matrix, packages, everything);
  t.ok(reqs.every((r) => r.found && r.fix === null));
  t.notOk(
    reqs.some((r) => r.what.startsWith('chromium')),
    'test-only packages are not listed',
  );
  const tarball = reqs.filter((r) => r.what.startsWith('tarball '));
  t.same(
    tarball.map((r) => r.what),
    ['tarball /usr/src/linux-source-6.1.tar.xz (kernel unpatched, patched)'],
  );
  t.same(
    reqs.filter((r) => r.what.startsWith('cross compiler')).map((r) => r.what),
    ['cross compiler aarch64-linux-gnu-gcc (kernel unpatched, patched)'],
  );
});

t.test('a bare host: each missing thing with the command that fixes it; ccache optional', async (t) => {
  const bare: HostProbe = {
    exists: () => false,
    which: () => null,
    nodeVersion: '18.19.0',
    arch: 'x64',
    foreignArchitectures: () => [],
    readText: () => null,
  };
  const reqs = matrixRequirements(matrix, packages, bare);
  const by = (prefix: string) => reqs.find((r) => r.what.startsWith(prefix))!;
  t.same(by('Node.js'), {
    what: 'Node.js 20.5 or newer',
    found: false,
    detail: 'Node.js 18.19.0',
    fix: 'install Node.js 20 (Debian 12 ships 18)',
    required: true,
  });
  t.equal(by('flex').fix, 'apt-get install flex');
  t.equal(by('tarball').fix, 'apt-get install linux-source-6.1', "the kernel definition's package");
  t.match(by('cross compiler').fix, /apt-get install gcc-aarch64-linux-gnu/);
  t.equal(by('ccache').required, false);
  t.ok(reqs.filter((r) => r.what !== by('ccache').what && !r.what.startsWith('WARNING')).every((r) => r.required && !r.found));
});

t.test("an arm64 host compiles natively: Debian's gcc and libc6-dev, never the cross packages", async (t) => {
  const arm64: HostProbe = {
    exists: () => false,
    which: () => null,
    nodeVersion: '20.20.2',
    arch: 'arm64',
    foreignArchitectures: () => [],
    readText: () => null,
  };
  const names = matrixRequirements(matrix, packages, arm64).map((r) => r.what.split(':')[0]);
  t.ok(names.includes('gcc') && names.includes('libc6-dev'), names.join(', '));
  t.notOk(names.some((n) => n === 'gcc-aarch64-linux-gnu' || n === 'libc6-dev-arm64-cross'));
  t.match(matrixRequirements(matrix, packages, arm64).find((r) => r.what.startsWith('cross compiler'))!.fix, /^apt-get install gcc,/);
  t.same(
    packagesForHost(packages, 'arm64', ['run']).map((p) => p.name),
    ['qemu-system-arm', 'gcc', 'libc6-dev'],
  );
  t.same(
    packagesForHost(packages, 'x64', ['run']).map((p) => p.name),
    ['qemu-system-arm', 'gcc-aarch64-linux-gnu', 'libc6-dev-arm64-cross'],
  );
});

t.test('a matrix whose kernels are all built Images needs no kernel build tools', async (t) => {
  const images = {
    ...matrix,
    kernels: matrix.kernels.map((k) => ({ ...k, source: { kind: 'image' as const, path: `/images/${k.id}/Image` } })),
  };
  const reqs = matrixRequirements(images, packages, bare());
  const names = reqs.map((r) => r.what.split(':')[0]!);
  for (const tool of ['flex', 'bison', 'make', 'linux-source-6.1', 'ccache']) t.notOk(names.includes(tool), `${tool} not asked for`);
  t.ok(names.includes('qemu-system-arm') && names.includes('gcc-aarch64-linux-gnu'), "QEMU and the agent's compiler still are");
  t.notOk(
    reqs.some((r) => r.what.startsWith('cross compiler')),
    'no kernel to compile',
  );
  t.same(
    reqs.filter((r) => r.what.startsWith('image ')).map((r) => r.what),
    ['image /images/unpatched/Image (kernel unpatched)', 'image /images/patched/Image (kernel patched)'],
  );
});

function bare(): HostProbe {
  return {
    exists: () => false,
    which: () => null,
    nodeVersion: '20.20.2',
    arch: 'x64',
    foreignArchitectures: () => [],
    readText: () => null,
  };
}

t.test('the versions matrix needs linux-source-6.12, named once for its two kernels; the default matrix never does', async (t) => {
  const versions = loadMatrix(join(projectRoot, 'matrices', 'murray-versions.yaml'));
  const no612: HostProbe = { ...everything, exists: (path) => !path.includes('linux-source-6.12') };
  const reqs = matrixRequirements(versions, packages, no612);
  const missing = reqs.filter((r) => !r.found);
  t.same(
    missing.map((r) => [r.what, r.fix]),
    [['tarball /usr/src/linux-source-6.12.tar.xz (kernel unpatched-6.12, patched-6.12)', 'apt-get install linux-source-6.12']],
  );
  t.ok(reqs.some((r) => r.what === 'tarball /usr/src/linux-source-6.1.tar.xz (kernel unpatched-6.1, patched-6.1)' && r.found));
  t.notOk(JSON.stringify(matrixRequirements(matrix, packages, no612)).includes('6.12'), 'the default matrix asks for 6.1 alone');
});

t.test('ensure-deps.sh --check --matrix: the source package a matrix names, only when asked, one clear error for a bad file', async (t) => {
  const dir = tempTree({
    'kernels/far.yaml': 'source:\n  tarball: /nonexistent/linux-source-9.9.tar.xz\n  package: linux-source-9.9\narch: arm64\n',
    'matrices/m.yaml': 'name: m\nkernels:\n  a: { definition: far }\n  b:\n    definition: far.yaml\nvmms:\n  q: { type: qemu }\n',
  });
  const script = join(projectRoot, 'harness', 'host', 'ensure-deps.sh');
  const check = (...args: string[]) =>
    spawnSync('bash', [script, '--check', ...args], { encoding: 'utf8', env: { ...process.env, KVMATRIX_SKIP_APT: '1' } });
  const plain = check();
  t.notMatch(plain.stderr, /linux-source-9\.9/, 'without --matrix: not asked for');
  const asked = check('--matrix', join(dir, 'matrices', 'm.yaml'));
  t.equal(asked.status, 1, 'missing: exit 1');
  t.match(asked.stderr, /missing Debian packages: (.* )?linux-source-9\.9(;| )/);
  t.equal(asked.stderr.split('linux-source-9.9').length, 2, 'named once for two kernels');
  const nofile = check('--matrix', join(dir, 'nope.yaml'));
  t.equal(nofile.status, 2);
  t.equal(nofile.stderr, `kvmatrix setup: --matrix ${join(dir, 'nope.yaml')}: no such file\n`);
});

t.test("a matrix with command tests also needs the arm64 glibc and arm64 among dpkg's architectures; one without does not", async (t) => {
  const commands = loadMatrix(join(projectRoot, 'matrices', 'murray-command.yaml'));
  const what = (reqs: ReturnType<typeof matrixRequirements>) => reqs.filter((r) => /glibc|dpkg's architectures/.test(r.what));
  t.same(what(matrixRequirements(matrix, packages, everything)), [], 'the default matrix runs no commands');
  const missing = what(matrixRequirements(commands, packages, bare()));
  t.same(
    missing.map((r) => [r.found, r.fix]),
    [
      [false, 'apt-get install libc6-arm64-cross'],
      [false, 'dpkg --add-architecture arm64 && apt-get update (the package is downloaded into the cache, never installed)'],
    ],
  );
  const ready = what(matrixRequirements(commands, packages, { ...everything, foreignArchitectures: () => ['arm64'] }));
  t.ok(ready.length === 2 && ready.every((r) => r.found));
  const arm64Host = what(matrixRequirements(commands, packages, { ...everything, arch: 'arm64' }));
  t.same(
    arm64Host.map((r) => r.detail),
    ['/lib/aarch64-linux-gnu/libc.so.6'],
    'an arm64 host has arm64 packages already',
  );
});

t.test(
  'doctor says whether each kernel built from source can warn: CONFIG_BUG and DEBUG_BUGVERBOSE as its base and fragments leave them',
  async (t) => {
    const warns = (reqs: ReturnType<typeof matrixRequirements>) => reqs.filter((r) => r.what.startsWith('WARNING and BUG reports'));
    const ours = warns(matrixRequirements(matrix, packages, everything));
    t.equal(ours.length, 1, 'one line for the two kernels of one definition');
    t.match(ours[0], { found: true, required: false, what: /on in .*kernels\/debian-6\.1\.yaml \(kernel unpatched, patched\)$/ });
    const tiny = warns(matrixRequirements(matrix, packages, { ...everything, readText: () => '# CONFIG_PRINTK is not set\n' }));
    t.match(
      tiny,
      [
        {
          found: false,
          required: false,
          detail: /^CONFIG_BUG and CONFIG_DEBUG_BUGVERBOSE are off: WARN_ON\(\) prints nothing/,
          fix: /^add CONFIG_BUG=y and CONFIG_DEBUG_BUGVERBOSE=y to a config fragment in .*debian-6\.1\.yaml$/,
        },
      ],
      'tinyconfig alone turns BUG off',
    );
    const quiet = warns(
      matrixRequirements(matrix, packages, { ...everything, readText: () => 'CONFIG_BUG=y\n# CONFIG_DEBUG_BUGVERBOSE is not set\n' }),
    );
    t.match(quiet, [{ found: false, detail: /^CONFIG_DEBUG_BUGVERBOSE is off: a WARNING or BUG report names no file and line/ }]);
    const defconfig = { ...matrix, kernels: matrix.kernels.map((k) => ({ ...k, config: { ...k.config, base: 'defconfig' } })) };
    t.match(
      warns(matrixRequirements(defconfig, packages, { ...everything, readText: () => '' })),
      [{ found: true }],
      'defconfig keeps BUG on',
    );
  },
);
