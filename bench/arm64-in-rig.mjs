// The arm64 section of npm run bench, run inside the arm64 host rig by its
// own Node.js against kvmatrix's dist/ (the rig has no TypeScript loader):
//   native   one kvmtool cell booted by the harness in process (lkvm run
//            natively, console parse, verdict, reproduce script) against
//            the same `lkvm run` argv spawned bare in the same kind of folder;
//   qemu-kvm one QEMU cell under KVM the same way, against its qemu argv bare.
// Interleaved A B A B; prints one line per figure, medians. Both sides get
// the same stdin (an empty pipe held open, as the harness gives lkvm) and,
// for lkvm, a private HOME: the bench measures the harness, not a console.
//
// node arm64-in-rig.mjs <kvmatrix dir> <matrix> <lkvm> <rounds>
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [root, matrixFile, lkvmPath, roundsText] = process.argv.slice(2);
const rounds = Number(roundsText);
const load = (path) => import(join(root, 'dist', 'harness', path));
const { loadMatrix } = await load('matrix/load.js');
const { expandMatrix } = await load('matrix/expand.js');
const { obtainKernel } = await load('kernel/build.js');
const { kernelTestInputs } = await load('test-kinds/registry.js');
const { cacheLayout, ensureCacheDirs, resolveCacheRoot } = await load('kernel/cache.js');
const { buildGuestImage } = await load('guest/build-agent.js');
const { diskImage } = await load('guest/disk.js');
const { bootQemuCell } = await load('run/boot-cell.js');
const { bootKvmtoolCell } = await load('run/boot-kvmtool-cell.js');
const { lkvmIrqchip, lkvmNativeCommand } = await load('vmm/kvmtool.js');
const { qemuCommand } = await load('vmm/qemu.js');
const { inspectLkvm } = await load('vmm/lkvm.js');

const layout = cacheLayout(resolveCacheRoot());
ensureCacheDirs(layout);
const cells = expandMatrix(loadMatrix(matrixFile));
const work = mkdtempSync(join(tmpdir(), 'kvmatrix-bench-'));
const qcell = cells.find((c) => c.id === 'patched/qemu-flat/legacy');
const kcell = cells.find((c) => c.id === 'patched/kvmtool/legacy');
const kernel = await obtainKernel(
  qcell.kernel,
  { layout, jobs: 2, ccache: false, logDir: work, timeoutSec: 60 },
  kernelTestInputs(qcell.kernel),
);
if (!kernel.ok) throw new Error(`no kernel: ${kernel.message}`);
const guest = await buildGuestImage(layout, qcell.kernel.crossCompile);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const report = (name, a, b, target) =>
  console.log(
    `${name.padEnd(8)} harness ${median(a).toFixed(0).padStart(6)} ms  bare ${median(b).toFixed(0).padStart(6)} ms  ratio ${(median(a) / median(b)).toFixed(3)}  (${target}; n=${a.length}; min-max harness ${Math.min(...a).toFixed(0)}-${Math.max(...a).toFixed(0)}, bare ${Math.min(...b).toFixed(0)}-${Math.max(...b).toFixed(0)})`,
  );

/** Wall time of the bare argv in `cwd`, console to a file, stdin an empty pipe held open. */
function timeBare(argv, cwd, env) {
  return new Promise((resolve, reject) => {
    const out = openSync(join(cwd, 'console.log'), 'w');
    const started = performance.now();
    const child = spawn(argv[0], argv.slice(1), { cwd, stdio: ['pipe', out, out], env: { ...process.env, ...env, LC_ALL: 'C' } });
    child.on('error', reject);
    child.on('exit', (code) => {
      closeSync(out);
      if (code !== 0) reject(new Error(`${argv.join(' ')} exited ${code}; see ${cwd}/console.log`));
      else resolve(performance.now() - started);
    });
  });
}

function bareDir(name, cell) {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  for (const slot of cell.devices.filter((d) => d.kind === 'blk')) writeFileSync(join(dir, `${slot.name}.img`), diskImage(slot.name));
  return dir;
}
const disksOf = (cell) => Object.fromEntries(cell.devices.filter((d) => d.kind === 'blk').map((d) => [d.name, `${d.name}.img`]));

// native kvmtool
{
  const lkvm = inspectLkvm({ path: lkvmPath, from: '--lkvm' }, false);
  if ('problem' in lkvm) throw new Error(lkvm.problem);
  const dir = bareDir('bare-kvmtool', kcell);
  const argv = lkvmNativeCommand(
    kcell,
    lkvm.path,
    { image: kernel.image, initrd: guest.initramfs, disks: disksOf(kcell) },
    { nonce: 'bench', irqchip: lkvmIrqchip(kcell.vmm, 'native') },
  ).argv;
  const harness = [];
  const bare = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    const { judged } = await bootKvmtoolCell(
      kcell,
      kernel,
      guest,
      { mode: 'native', lkvm },
      { runId: `k${i}`, runDir: join(work, `k${i}`), accel: 'kvm' },
    );
    harness.push(performance.now() - started);
    if (judged.verdict !== 'pass') throw new Error(`${kcell.id} did not pass: ${judged.reasons.join('; ')}`);
    const home = mkdtempSync(join(tmpdir(), 'bench-lkvm-'));
    bare.push(await timeBare(argv, dir, { HOME: home }));
    rmSync(home, { recursive: true, force: true });
  }
  report('native', harness, bare, `${kcell.id}, native kvmtool, in process; target ratio <= 1.05`);
}

// QEMU under KVM
{
  const dir = bareDir('bare-qemu', qcell);
  const argv = qemuCommand(
    qcell,
    { image: kernel.image, initrd: guest.initramfs, disks: disksOf(qcell) },
    { accel: 'kvm', nonce: 'bench' },
  ).argv;
  const harness = [];
  const bare = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    const { judged } = await bootQemuCell(qcell, kernel, guest, { runId: `q${i}`, runDir: join(work, `q${i}`), accel: 'kvm' });
    harness.push(performance.now() - started);
    if (judged.verdict !== 'pass') throw new Error(`${qcell.id} did not pass: ${judged.reasons.join('; ')}`);
    bare.push(await timeBare(argv, dir, {}));
  }
  report('qemu-kvm', harness, bare, `${qcell.id}, QEMU with -accel kvm, in process; target ratio <= 1.05`);
}
rmSync(work, { recursive: true, force: true });
