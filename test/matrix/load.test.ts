import { dirname, join } from 'node:path';
import t from 'tap';
import { InputError } from '../../harness/matrix/input-error.js';
import { loadMatrix } from '../../harness/matrix/load.js';
import { expandMatrix } from '../../harness/matrix/expand.js';
import { defaultMatrixFile } from '../../harness/host/install-paths.js';
import { tempTree } from '../support/temp-tree.js';

const kernelDef = `source:
  tarball: /nonexistent/linux.tar.xz
config:
  fragments: [frag.config]
`;

const goodMatrix = `name: small
kernels:
  a:
    definition: k
    patches:
      - path: fix.patch
        direction: reverse
vmms:
  q:
    type: qemu
`;

/** goodMatrix without the kernel's own patches, for kernels that are already built. */
const unpatchedMatrix = goodMatrix.replace('    patches:\n      - path: fix.patch\n        direction: reverse\n', '');

function project(matrix: string, extra: Record<string, string> = {}): string {
  const root = tempTree({
    'matrices/m.yaml': matrix,
    'kernels/k.yaml': kernelDef,
    'kernels/frag.config': 'CONFIG_PCI=y\n',
    'patches/fix.patch': '--- a/x\n+++ b/x\n',
    ...extra,
  });
  return join(root, 'matrices/m.yaml');
}

/** Loads and returns the InputError, failing the test if there is none. */
function loadError(t: { fail(message: string): unknown }, file: string): InputError {
  try {
    loadMatrix(file);
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  t.fail('expected an InputError');
  throw new Error('unreachable');
}

t.test('the default matrix loads into the 12 Murray cells', async (t) => {
  const matrix = loadMatrix(defaultMatrixFile);
  const cells = expandMatrix(matrix);
  t.equal(cells.length, 12);
  t.same(
    cells.filter((c) => c.expect.verdict === 'fail').map((c) => c.id),
    ['unpatched/qemu-bridged/legacy'],
  );
  const unpatched = matrix.kernels.find((k) => k.id === 'unpatched')!;
  t.equal(unpatched.patches.length, 1);
  t.equal(unpatched.patches[0]!.direction, 'reverse');
  t.match(unpatched.patches[0]!.path, /patches\/murray-ioport-map\.patch$/);
  t.equal(matrix.kernels.find((k) => k.id === 'patched')!.patches.length, 0);
  const bridged = cells.find((c) => c.id === 'patched/qemu-bridged/legacy')!;
  t.same(
    bridged.devices.map((d) => `${d.name}@${d.position}`),
    ['rng1@1', 'net1@2', 'blk1@3', 'rng2@4', 'net2@5', 'blk2@6'],
  );
});

t.test('a good small matrix resolves its paths and defaults', async (t) => {
  const file = project(goodMatrix);
  const m = loadMatrix(file);
  t.equal(m.name, 'small');
  t.same(m.transports, ['legacy', 'modern']);
  t.same(m.devices, ['rng', 'net', 'blk']);
  t.equal(m.boot.timeoutSec, 60);
  t.match(m.kernels[0]!.config.fragments[0]!, /kernels\/frag\.config$/);
  t.equal(m.kernels[0]!.source.kind, 'tarball');
});

t.test(
  "a QEMU VMM's tcg_cpu: max with the quick pointer authentication by default, a model of the matrix's choosing, nothing a shell would read",
  async (t) => {
    const vmm = (text: string) => loadMatrix(project(goodMatrix.replace('    type: qemu\n', `    type: qemu\n${text}`))).vmms[0]!;
    t.match(vmm(''), { type: 'qemu', tcgCpu: 'max,pauth-impdef=on' });
    t.match(vmm('    tcg_cpu: cortex-a57\n'), { type: 'qemu', tcgCpu: 'cortex-a57' });
    const err = loadError(t, project(goodMatrix.replace('    type: qemu\n', '    type: qemu\n    tcg_cpu: "max -smp 8"\n')));
    t.equal(err.location?.keyPath, 'vmms.q.tcg_cpu');
    t.match(err.detail, /as -cpu takes them/);
  },
);

t.test('an unknown key is reported at its own line with the key path', async (t) => {
  const file = project(goodMatrix.replace('    type: qemu\n', '    type: qemu\n    topolgy: bridged\n'));
  const err = loadError(t, file);
  t.equal(err.location?.file, file);
  t.equal(err.location?.line, 11);
  t.equal(err.location?.col, 5);
  t.equal(err.location?.keyPath, 'vmms.q.topolgy');
  t.match(err.message, /m\.yaml:11:5: vmms\.q\.topolgy: unknown key "topolgy"/);
});

t.test('a wrong enum value names the key path and the line', async (t) => {
  const file = project(goodMatrix.replace('direction: reverse', 'direction: backwards'));
  const err = loadError(t, file);
  t.equal(err.location?.line, 7);
  t.equal(err.location?.col, 20);
  t.equal(err.location?.keyPath, 'kernels.a.patches[0].direction');
  t.match(err.detail, /"forward"\|"reverse"/);
});

t.test('a wrong type is reported where the value is', async (t) => {
  const file = project(`${goodMatrix}boot:\n  timeout: soon\n`);
  const err = loadError(t, file);
  t.equal(err.location?.line, 12);
  t.equal(err.location?.col, 12);
  t.equal(err.location?.keyPath, 'boot.timeout');
  t.match(err.detail, /number/);
});

t.test('a YAML syntax error carries its line', async (t) => {
  const file = project('name: x\nkernels: [\n');
  const err = loadError(t, file);
  t.ok(err.location?.line !== undefined && err.location.line >= 2, `line ${err.location?.line}`);
  t.equal(err.location?.file, file);
});

t.test('a duplicate key is a syntax error, not a silent override', async (t) => {
  const file = project(`${goodMatrix}name: again\n`);
  const err = loadError(t, file);
  t.match(err.message, /m\.yaml:\d+/);
});

t.test('a missing kernel definition points at the definition key', async (t) => {
  const file = project(goodMatrix.replace('definition: k', 'definition: nosuch'));
  const err = loadError(t, file);
  t.equal(err.location?.line, 4);
  t.equal(err.location?.keyPath, 'kernels.a.definition');
  t.match(err.detail, /kernel definition "nosuch" not found/);
});

t.test('a missing patch file points at the patch entry', async (t) => {
  const file = project(goodMatrix.replace('path: fix.patch', 'path: gone.patch'));
  const err = loadError(t, file);
  t.equal(err.location?.line, 6);
  t.match(err.detail, /patch .*gone\.patch does not exist/);
});

t.test('an error inside a kernel definition names that file', async (t) => {
  const file = project(goodMatrix, { 'kernels/k.yaml': kernelDef.replace('[frag.config]', '[missing.config]') });
  const err = loadError(t, file);
  t.match(err.location?.file ?? '', /kernels\/k\.yaml$/);
  t.equal(err.location?.line, 4);
  t.equal(err.location?.keyPath, 'config.fragments[0]');
  t.match(
    err.detail,
    new RegExp(`\\(named by kernels\\.a\\.definition in ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)$`),
    'and which matrix key named it',
  );
});

t.test('a number where a string belongs says to quote it', async (t) => {
  const file = project(goodMatrix, { 'kernels/k.yaml': 'source:\n  tarball: 6.10\n' });
  const err = loadError(t, file);
  t.match(err.detail, /quote it/);
  t.equal(err.location?.keyPath, 'source.tarball');
});

t.test('an expectation naming an unknown kernel is refused', async (t) => {
  const file = project(`${goodMatrix}expect:\n  - when: { kernel: b }\n    verdict: fail\n`);
  const err = loadError(t, file);
  t.equal(err.location?.keyPath, 'expect[0].when.kernel');
  t.match(err.detail, /no kernel "b" in this matrix \(it has: a\)/);
});

t.test('ids must be safe in paths and cell ids', async (t) => {
  const file = project(goodMatrix.replace('  a:\n', '  "a/b":\n'));
  const err = loadError(t, file);
  t.match(err.detail, /lower-case letters/);
  t.equal(err.location?.line, 3);
});

t.test('a missing matrix file is one clear error', async (t) => {
  const err = loadError(t, '/nonexistent/matrix.yaml');
  t.equal(err.message, '/nonexistent/matrix.yaml: no such file');
});

t.test('kvmtool entries: defaults, the patched kernel as nested host, a pinned lkvm resolved', async (t) => {
  const matrix = loadMatrix(
    project(`name: kv
kernels:
  patched: { definition: k }
  old: { definition: k }
vmms:
  kvmtool: { type: kvmtool }
  kvmtool-2020:
    type: kvmtool
    lkvm: ../bin/lkvm-2020
    transport_flag: force-pci
    host_kernel: old
    irqchip: gicv3
`),
  );
  const [current, old] = matrix.vmms;
  t.notOk('irqchip' in current!, 'no irqchip: lkvm chooses natively');
  t.match(current, { type: 'kvmtool', mode: 'auto', transportFlag: 'auto', hostKernel: 'patched', qemuBinary: 'qemu-system-aarch64' });
  t.notOk('lkvm' in current!, 'no lkvm pinned: --lkvm or KVMATRIX_LKVM decide');
  t.match(old, { lkvm: /\/bin\/lkvm-2020$/, transportFlag: 'force-pci', hostKernel: 'old', irqchip: 'gicv3' });
});

t.test('a host_kernel the matrix does not have is an error at its line', async (t) => {
  const file = project(`name: kv
kernels:
  a: { definition: k }
vmms:
  kv:
    type: kvmtool
    host_kernel: patched
`);
  const error = loadError(t, file);
  t.match(
    error.message,
    /m\.yaml:7:\d+: vmms\.kv\.host_kernel: no kernel "patched" in this matrix to boot as the nested host \(it has: a\)/,
  );
});

t.test('an unknown kvmtool mode or transport flag names the allowed values', async (t) => {
  const error = loadError(
    t,
    project(`name: kv
kernels:
  a: { definition: k }
vmms:
  kv: { type: kvmtool, transport_flag: legacy-only }
`),
  );
  t.match(error.message, /vmms\.kv\.transport_flag/);
  t.match(error.message, /virtio-transport/);
  const irq = loadError(
    t,
    project(`name: kv
kernels:
  a: { definition: k }
vmms:
  kv: { type: kvmtool, irqchip: gicv4 }
`),
  );
  t.match(irq.message, /m\.yaml:5:\d+: vmms\.kv\.irqchip: .*gicv3-its/);
});

t.test('the 2020 kvmtool matrix loads: legacy only, force-pci, unpatched expected to fail', async (t) => {
  const matrix = loadMatrix(join(dirname(defaultMatrixFile), 'murray-kvmtool-2020.yaml'));
  const cells = expandMatrix(matrix);
  t.same(
    cells.map((c) => `${c.id} ${c.expect.verdict}`),
    ['unpatched/kvmtool-2020/legacy fail', 'patched/kvmtool-2020/legacy pass'],
  );
  t.match(matrix.vmms[0], { type: 'kvmtool', transportFlag: 'force-pci', hostKernel: 'patched' });
});

t.test('a git source: a path relative to the definition, a URL kept, ref HEAD by default', async (t) => {
  const local = project(goodMatrix, { 'kernels/k.yaml': 'source:\n  git: ../linux\n  uncommitted: include\n' });
  t.same(loadMatrix(local).kernels[0]!.source, {
    kind: 'git',
    tree: join(dirname(dirname(local)), 'linux'),
    remote: false,
    ref: 'HEAD',
    uncommitted: 'include',
  });
  const remote = project(goodMatrix, { 'kernels/k.yaml': 'source:\n  git: https://example.invalid/linux.git\n  ref: v6.1\n' });
  t.same(loadMatrix(remote).kernels[0]!.source, {
    kind: 'git',
    tree: 'https://example.invalid/linux.git',
    remote: true,
    ref: 'v6.1',
    uncommitted: 'ignore',
  });
});

t.test('a git source that contradicts itself is refused where it is written', async (t) => {
  const cases: [string, RegExp][] = [
    ['source:\n  git: ../linux\n  tarball: x.tar\n', /k\.yaml:2:\d+: source: give exactly one of "tarball"/],
    ['source:\n  tarball: x.tar\n  ref: v6.1\n', /source: "ref" and "uncommitted" go with "git"/],
    [
      'source:\n  git: ../linux\n  ref: v6.1\n  uncommitted: include\n',
      /"uncommitted: include" builds the checked-out tree, so "ref" must be HEAD/,
    ],
    [
      'source:\n  git: git@example.invalid:linux.git\n  uncommitted: include\n',
      /k\.yaml:3:\d+: source\.uncommitted: "uncommitted: include" needs a local tree/,
    ],
    ['source:\n  git: ../linux\n  ref: --upload-pack=x\n', /source\.ref: a commit-ish/],
  ];
  for (const [definition, message] of cases) {
    const error = loadError(t, project(goodMatrix, { 'kernels/k.yaml': definition }));
    t.match(error.message, message, definition);
  }
});

t.test('a download source: the URL kept, the sha256 in lower case', async (t) => {
  const sum = 'AB'.repeat(32);
  const file = project(unpatchedMatrix, { 'kernels/k.yaml': `source:\n  download: https://example.invalid/Image.gz\n  sha256: ${sum}\n` });
  t.same(loadMatrix(file).kernels[0]!.source, { kind: 'download', url: 'https://example.invalid/Image.gz', sha256: 'ab'.repeat(32) });
});

t.test('a download source without its checksum, or of another scheme, is refused where it is written', async (t) => {
  const sum = 'ab'.repeat(32);
  const cases: [string, RegExp][] = [
    ['source:\n  download: https://example.invalid/Image\n', /k\.yaml:2:\d+: source: "download" needs "sha256"/],
    [`source:\n  tarball: x.tar\n  sha256: ${sum}\n`, /source: "download" needs "sha256" .* and "sha256" goes with "download"/],
    [`source:\n  download: ftp://example.invalid/Image\n  sha256: ${sum}\n`, /k\.yaml:2:\d+: source\.download: an http, https or file URL/],
    [`source:\n  download: Image\n  sha256: ${sum}\n`, /source\.download: an http, https or file URL \(file:\/\/\/absolute\/path\)/],
    ['source:\n  download: https://example.invalid/Image\n  sha256: abc\n', /source\.sha256: the sha256 of the file, 64 hex digits/],
    [
      `source:\n  download: https://example.invalid/Image\n  sha256: ${sum}\n  git: ../linux\n`,
      /give exactly one of .*"download" \(a URL of a built kernel\)/,
    ],
  ];
  for (const [definition, message] of cases) {
    const error = loadError(t, project(goodMatrix, { 'kernels/k.yaml': definition }));
    t.match(error.message, message, definition);
  }
});

t.test('a built kernel (image or download) with patches or config is refused, not silently left unpatched', async (t) => {
  const sum = 'ab'.repeat(32);
  const download = `source:\n  download: https://example.invalid/Image\n  sha256: ${sum}\n`;
  const cases: [string, Record<string, string>, RegExp][] = [
    [
      unpatchedMatrix,
      { 'kernels/k.yaml': `${download}patches: [x.patch]\n`, 'patches/x.patch': '' },
      /k\.yaml:4:\d+: patches: a download is already built: "patches" cannot apply to it/,
    ],
    [
      unpatchedMatrix,
      { 'kernels/k.yaml': `${download}config:\n  fragments: [f.config]\n`, 'kernels/f.config': '' },
      /k\.yaml:\d+:\d+: config: a download is already built: "config" cannot apply to it/,
    ],
    [
      unpatchedMatrix,
      { 'kernels/k.yaml': 'source:\n  image: Image\nconfig:\n  base: defconfig\n' },
      /k\.yaml:\d+:\d+: config: an image is already built: "config" cannot apply to it/,
    ],
    [
      goodMatrix,
      { 'kernels/k.yaml': download },
      /m\.yaml:\d+:\d+: kernels\.a\.patches: kernel "a" is already built \(its source is a download\): patches cannot apply to it/,
    ],
  ];
  for (const [matrix, files, message] of cases) {
    const error = loadError(t, project(matrix, files));
    t.match(error.message, message);
  }
});

t.test('YAML aliases to nothing, or that expand too far, are one InputError naming the file', async (t) => {
  const unresolved = loadError(t, project('name: m\nkernels: *nowhere\n'));
  t.match(unresolved.message, /m\.yaml: YAML aliases: Unresolved alias/);
  const laughs = [
    'a: &a [x, x, x, x, x, x, x, x, x, x]',
    ...'bcdefghi'.split('').map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcdefghi'[i]}`).join(', ')}]`),
  ].join('\n');
  const bomb = loadError(t, project(`${laughs}\nname: m\n`));
  t.match(bomb.message, /m\.yaml: YAML aliases: /);
});

t.test('cell_boot: per-cell timeout and retries, later rules winning, unknown names refused where written', async (t) => {
  const matrix = `name: small\nkernels:\n  a:\n    definition: k\nvmms:\n  q:\n    type: qemu\n  kv:\n    type: kvmtool\nboot:\n  timeout: 30\ncell_boot:\n  - when: { type: kvmtool }\n    timeout: 180\n  - when: { vmm: kv, transport: modern }\n    retries: 0\n`;
  const cells = expandMatrix(loadMatrix(project(matrix)));
  const boot = Object.fromEntries(cells.map((c) => [c.id, [c.boot.timeoutSec, c.boot.retries]]));
  t.same(boot, {
    'a/q/legacy': [30, 1],
    'a/q/modern': [30, 1],
    'a/kv/legacy': [180, 1],
    'a/kv/modern': [180, 0],
  });
  const typo = loadError(t, project(matrix.replace('vmm: kv,', 'vmm: kvm,')));
  t.match(typo.message, /m\.yaml:\d+:\d+: cell_boot\[1\]\.when\.vmm: no vmm "kvm" in this matrix \(it has: q, kv\)/);
  const empty = loadError(t, project(`${matrix}  - when: { vmm: q }\n`));
  t.match(empty.message, /cell_boot\[2\]: give "timeout", "retries", "repeat" or several of them/);
});

t.test('repeat: boot.repeat for every cell, cell_boot rules for some, limits named where written', async (t) => {
  const matrix = `name: small\nkernels:\n  a:\n    definition: k\nvmms:\n  q:\n    type: qemu\n  kv:\n    type: kvmtool\nboot:\n  repeat: 3\ncell_boot:\n  - when: { type: kvmtool }\n    repeat: 1\n`;
  const cells = expandMatrix(loadMatrix(project(matrix)));
  t.same(Object.fromEntries(cells.map((c) => [c.id, c.boot.repeat])), {
    'a/q/legacy': 3,
    'a/q/modern': 3,
    'a/kv/legacy': 1,
    'a/kv/modern': 1,
  });
  const plain = expandMatrix(loadMatrix(project('name: small\nkernels:\n  a:\n    definition: k\nvmms:\n  q:\n    type: qemu\n')));
  t.ok(
    plain.every((c) => c.boot.repeat === 1),
    'one boot by default',
  );
  const zero = loadError(t, project(matrix.replace('repeat: 3', 'repeat: 0')));
  t.match(zero.message, /m\.yaml:\d+:\d+: boot\.repeat: .*>=1/);
  const many = loadError(t, project(matrix.replace('repeat: 1', 'repeat: 101')));
  t.match(many.message, /m\.yaml:\d+:\d+: cell_boot\[0\]\.repeat: .*<=100/);
});
