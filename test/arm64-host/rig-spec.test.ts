import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { defaultMatrixFile, projectRoot } from '../../harness/host/install-paths.js';
import { readPackageList } from '../../harness/doctor/requirements.js';
import { expandMatrix } from '../../harness/matrix/expand.js';
import { loadMatrix } from '../../harness/matrix/load.js';
import { imageMatrix } from '../support/arm64-host/image-matrix.js';
import { checkSteps, mmdebstrapArgv, rigDebianPackages, rigKvmatrix, rigQemuArgv } from '../support/arm64-host/rig-spec.js';
import { tempTree } from '../support/temp-tree.js';

t.test('the rig holds what ensure-deps.sh gives an arm64 host for a run, the arm64 kernel, kmod and mount', async (t) => {
  t.same(rigDebianPackages(readPackageList()), [
    'qemu-system-arm',
    'gcc',
    'libc6-dev',
    'busybox-static',
    'linux-image-arm64',
    'kmod',
    'mount',
  ]);
});

t.test('mmdebstrap: arm64, from the given apt sources, docs and most modules filtered out', async (t) => {
  const argv = mmdebstrapArgv(['qemu-system-arm', 'kmod'], '/tmp/root', ['/etc/apt/sources.list.d/debian.sources']);
  t.same(argv.slice(0, 4), ['mmdebstrap', '--architectures=arm64', '--variant=apt', '--include=qemu-system-arm,kmod']);
  t.same(argv.slice(-3), ['bookworm', '/tmp/root', '/etc/apt/sources.list.d/debian.sources']);
  t.ok(argv.includes('--dpkgopt=path-exclude=/lib/modules/*/kernel/*'));
  t.ok(argv.includes('--dpkgopt=path-include=/lib/modules/*/kernel/drivers/block/virtio_blk.ko'), 'the results disk can be read');
  t.ok(argv.includes('--dpkgopt=path-exclude=/etc/kernel/postinst.d/*'), 'no initrd is built under qemu-user');
});

t.test('the rig boots under TCG with EL2 and a GICv3, two vCPUs, and a results disk', async (t) => {
  const argv = rigQemuArgv({
    qemu: 'qemu-system-aarch64',
    kernel: 'Image',
    initrd: 'i.cpio',
    resultsDisk: 'r.img',
    memoryMiB: 4096,
    cpus: 2,
  });
  t.same(argv.slice(0, 7), [
    'qemu-system-aarch64',
    '-M',
    'virt,gic-version=3,virtualization=on',
    '-accel',
    'tcg',
    '-cpu',
    'max,pauth-impdef=on',
  ]);
  t.same(argv.slice(argv.indexOf('-smp'), argv.indexOf('-smp') + 2), ['-smp', '2']);
  t.same(argv.slice(argv.indexOf('-m'), argv.indexOf('-m') + 2), ['-m', '4096']);
  t.ok(argv.includes('file=r.img,format=raw,if=none,id=results'));
  t.match(argv[argv.indexOf('-append') + 1], /console=ttyAMA0 .*rdinit=\/init/);
});

t.test('job steps: names that make file names, each once', async (t) => {
  t.doesNotThrow(() => checkSteps([{ name: 'run-2020', argv: rigKvmatrix('run'), timeoutSec: 1 }]));
  t.throws(() => checkSteps([{ name: '../x', argv: ['true'], timeoutSec: 1 }]), /lower-case letters, digits and dashes/);
  t.throws(
    () =>
      checkSteps([
        { name: 'a', argv: ['true'], timeoutSec: 1 },
        { name: 'a', argv: ['true'], timeoutSec: 1 },
      ]),
    /named twice/,
  );
  t.same(rigKvmatrix('doctor'), ['node', '/opt/kvmatrix/dist/cli/main.cjs', 'doctor'], 'the bin users run');
});

t.test('an image matrix keeps every cell, VMM and expectation, with built Images for kernels', async (t) => {
  for (const file of [defaultMatrixFile, join(projectRoot, 'matrices', 'murray-kvmtool-2020.yaml')]) {
    const original = loadMatrix(file);
    const rewritten = imageMatrix(readFileSync(file, 'utf8'), file);
    const files: Record<string, string> = {
      'matrices/m.yaml': rewritten.matrix,
      'images/unpatched/Image': 'x',
      'images/patched/Image': 'x',
    };
    for (const [name, text] of Object.entries(rewritten.definitions)) files[`kernels/${name}`] = text;
    const dir = tempTree(files);
    const loaded = loadMatrix(join(dir, 'matrices', 'm.yaml'));
    t.same(rewritten.kernelIds, ['unpatched', 'patched']);
    t.same(
      loaded.kernels.map((k) => k.source),
      [
        { kind: 'image', path: join(dir, 'images', 'unpatched', 'Image') },
        { kind: 'image', path: join(dir, 'images', 'patched', 'Image') },
      ],
    );
    const cells = (m: typeof original) => expandMatrix(m).map((c) => ({ id: c.id, expect: c.expect, devices: c.devices, boot: c.boot }));
    t.same(cells(loaded), cells(original), `${file}: the same cells, expectations, devices and boot settings`);
  }
});
