/**
 * What goes wrong around the kernel under test: a kernel that cannot be
 * built is an `error` for its own cells, with a message that names what went
 * wrong, and the rest of the matrix still runs; a missing VMM is found
 * before anything is built; an interrupt leaves no VM behind.
 */
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { runKcidb } from '../support/kcidb.js';
import { projectRoot } from '../../harness/host/install-paths.js';
import { execa } from 'execa';
import { cliPath, kvmatrix, makeSpy, readResults } from '../support/cli.js';
import { childPids, processName, processRunning } from '../support/processes.js';
import { parseTap } from '../support/tap.js';
import { tempTree } from '../support/temp-tree.js';
import { smallDisk } from '../support/tmpfs.js';

t.setTimeout(60 * 60 * 1000);

const paths = `paths:\n  kernels: ${join(projectRoot, 'kernels')}\n  patches: ${join(projectRoot, 'patches')}\n`;

t.test('a patch that does not apply is refused before anything is built or written', async (t) => {
  // 6.1 already carries the fix: applying it forward again must fail
  const dir = tempTree({
    'm.yaml': `name: patch-error\n${paths}kernels:\n  twice:\n    definition: debian-6.1\n    patches: [murray-ioport-map.patch]\n  patched:\n    definition: debian-6.1\nvmms:\n  qemu-flat: { type: qemu, topology: flat }\ntransports: [legacy]\n`,
  });
  const spy = makeSpy();
  const run = await kvmatrix(['run', join(dir, 'm.yaml'), '--out', join(dir, 'results')], { spyDir: spy.dir });
  t.equal(run.code, 2, 'bad input');
  t.match(
    run.stderr,
    new RegExp(
      `^kvmatrix: ${join(dir, 'm.yaml')}: kernels\\.twice\\.patches: patch murray-ioport-map\\.patch does not apply forward to kernel twice: error: .*; fix the patch or its direction, or take it out of the kernel$`,
    ),
  );
  t.equal(run.stderr.split('\n').length, 1, 'one line');
  t.notOk(existsSync(join(dir, 'results')), 'nothing written in results/');
  t.same(spy.calls(), [], 'no make ran');

  // the same kernel through `kvmatrix build` is that kernel's failure at the patch stage
  const build = await kvmatrix(['build', 'twice', '--matrix', join(dir, 'm.yaml')]);
  t.equal(build.code, 1);
  t.match(build.stderr, /kernel twice: FAILED at patch: patch murray-ioport-map\.patch does not apply forward to kernel twice/);
});

t.test('an option the config drops is an error naming the option and its fragment line', async (t) => {
  // USB mass storage depends on USB and SCSI, which tinyconfig does not have
  const dir = tempTree({
    'kernels/dropped.yaml': `source:\n  tarball: /usr/src/linux-source-6.1.tar.xz\n  package: linux-source-6.1\nconfig:\n  fragments:\n    - ${join(projectRoot, 'kernels/fragments/virtio-pci-min.config')}\n    - extra.config\n`,
    'kernels/extra.config': '# needs USB and SCSI\nCONFIG_USB_STORAGE=y\n',
    'm.yaml': `name: config-error\npaths:\n  kernels: kernels\nkernels:\n  dropped:\n    definition: dropped\nvmms:\n  qemu-flat: { type: qemu, topology: flat }\ntransports: [legacy]\n`,
  });
  const run = await kvmatrix(['run', join(dir, 'm.yaml'), '--out', join(dir, 'results')]);
  t.equal(run.code, 3, 'nothing could run');
  const results = readResults(join(dir, 'results', 'latest'));
  const kernel = results.kernels[0]!;
  t.equal(kernel.stage, 'config');
  t.match(kernel.message, /CONFIG_USB_STORAGE/);
  t.match(kernel.logTail!.join('\n'), /extra\.config:2: CONFIG_USB_STORAGE=y was asked for but the final \.config is not set/);
  t.equal(results.cells[0]!.verdict, 'error');
  t.match(results.cells[0]!.reasons.join('\n'), /extra\.config:2: CONFIG_USB_STORAGE=y/, 'the cell carries the log tail');
  t.match(run.stderr, /no cell could be booted/);
  const kcidb = await runKcidb(join(dir, 'results', 'latest'));
  t.match(
    kcidb.builds,
    [{ config_name: 'dropped', status: 'FAIL', log_excerpt: /CONFIG_USB_STORAGE=y was asked for/ }],
    'KCIDB: the build failed, with why',
  );
  t.match(kcidb.tests, [{ status: 'MISS' }], 'and its cell never ran');
});

t.test('a missing QEMU is an error found before any kernel is built', async (t) => {
  const spy = makeSpy();
  const dir = tempTree({
    'm.yaml': `name: no-qemu\n${paths}kernels:\n  patched:\n    definition: debian-6.1\nvmms:\n  q: { type: qemu, binary: /nonexistent/qemu-system-aarch64 }\ntransports: [legacy]\n`,
  });
  const run = await kvmatrix(['run', join(dir, 'm.yaml'), '--out', join(dir, 'results')], { spyDir: spy.dir });
  t.equal(run.code, 3);
  t.same(spy.calls(), [], 'no make ran');
  const cell = readResults(join(dir, 'results', 'latest')).cells[0]!;
  t.equal(cell.verdict, 'error');
  t.match(cell.reasons[0], /\/nonexistent\/qemu-system-aarch64 not found/);
  t.match(cell.hint ?? '', /apt-get install qemu-system-arm/);
});

t.test('a VMM that crashes once is retried and the cell passes; the crash is kept in the record', async (t) => {
  const dir = tempTree({});
  const state = join(dir, 'crashed-once');
  // QEMU that dies at once on its first boot (not on --version), then is the real one
  const qemu = join(dir, 'flaky-qemu');
  writeFileSync(
    qemu,
    `#!/bin/sh\ncase "$1" in --version) exec qemu-system-aarch64 --version;; esac\nif [ ! -e '${state}' ]; then : > '${state}'; echo 'flaky-qemu: simulated crash' >&2; exit 1; fi\nexec qemu-system-aarch64 "$@"\n`,
  );
  chmodSync(qemu, 0o755);
  writeFileSync(
    join(dir, 'm.yaml'),
    `name: flaky\n${paths}kernels:\n  patched:\n    definition: debian-6.1\nvmms:\n  q: { type: qemu, binary: ${qemu} }\ntransports: [legacy]\n`,
  );
  const run = await kvmatrix(['run', join(dir, 'm.yaml'), '--out', join(dir, 'results')], { env: { CI: 'true' } });
  t.equal(run.code, 0, run.stderr.slice(-2000));
  t.match(run.stderr, /^cell patched\/q\/legacy: error, booting it again \(retry 1\): /m);
  t.match(run.stderr, /^cell patched\/q\/legacy: pass in \d+\.\d s, after 1 retry$/m);
  const cell = readResults(join(dir, 'results', 'latest')).cells[0]!;
  t.equal(cell.verdict, 'pass');
  t.equal(cell.retried?.length, 1);
  t.equal(cell.retried![0]!.verdict, 'error');
  t.ok(existsSync(join(dir, 'results', 'latest', cell.retried![0]!.console!)), "the crashed boot's console is kept beside the passing one");
  t.match(cell.retried![0]!.reasons.join('\n'), /simulated crash|code 1/, 'with why it was an error');

  const none = await kvmatrix(['run', join(dir, 'm.yaml'), '--out', join(dir, 'results'), '--retries', '0'], { env: { CI: 'true' } });
  t.equal(none.code, 0, 'the state file is there: this QEMU no longer crashes');
  rmSync(state);
  const noRetry = await kvmatrix(['run', join(dir, 'm.yaml'), '--out', join(dir, 'results'), '--retries', '0'], { env: { CI: 'true' } });
  t.equal(noRetry.code, 1, '--retries 0: the crash is the verdict');
  const crashed = readResults(join(dir, 'results', 'latest')).cells[0]!;
  t.equal(crashed.verdict, 'error');
  t.equal(crashed.retried, undefined);
});

const smallCacheDisk = smallDisk('64m');
if (!('skip' in smallCacheDisk)) t.teardown(smallCacheDisk.unmount);

t.test(
  'a cache disk that fills up while the source unpacks: a clear error, the disk given back',
  { skip: 'skip' in smallCacheDisk ? smallCacheDisk.skip : false },
  async (t) => {
    const disk = smallCacheDisk as { dir: string };
    const dir = tempTree({
      'm.yaml': `name: full\n${paths}kernels:\n  patched:\n    definition: debian-6.1\nvmms:\n  q: { type: qemu }\ntransports: [legacy]\n`,
    });
    const run = await kvmatrix(['run', join(dir, 'm.yaml'), '--cache', disk.dir, '--out', join(dir, 'results')], { env: { CI: 'true' } });
    t.equal(run.code, 3, 'nothing could boot');
    t.match(
      run.stderr,
      /kernel patched: FAILED at source: cannot unpack \/usr\/src\/linux-source-6\.1\.tar\.xz: no space left on the device$/m,
    );
    const kernel = readResults(join(dir, 'results', 'latest')).kernels[0]!;
    t.match(kernel.hint, /the disk holding the kvmatrix cache is full: free space there, or give --cache on a larger disk/);
    t.same(readdirSync(join(disk.dir, 'staging')), [], 'the half-unpacked tree is gone');
    t.same(readdirSync(join(disk.dir, 'sources')), [], 'no source tree published');
  },
);

t.test('a guest that never powers off is a timeout, its console kept, its VM gone', async (t) => {
  // no root and no initramfs init: the kernel waits for a root device forever
  const dir = tempTree({
    'm.yaml': `name: hang\n${paths}kernels:\n  patched:\n    definition: debian-6.1\nvmms:\n  q: { type: qemu }\ntransports: [legacy]\nboot:\n  timeout: 300\n  append: rdinit=/nonexistent root=/dev/nonexistent rootwait\ncell_boot:\n  - when: { vmm: q }\n    timeout: 8\n`,
  });
  const child = execa(process.execPath, [cliPath, 'run', join(dir, 'm.yaml'), '--out', join(dir, 'results')], {
    reject: false,
    stdin: 'ignore',
    env: { CI: 'true' },
  });
  let vms: number[] = [];
  child.stderr!.on('data', (chunk: Buffer) => {
    if (!chunk.toString().includes(': booting')) return;
    setTimeout(() => (vms = childPids(child.pid!).filter(processRunning)), 1000);
  });
  const result = await child;
  t.equal(result.exitCode, 1, String(result.stderr).slice(-1000));
  t.ok(vms.length > 0, `a VM ran (pids ${vms.join(', ')})`);
  for (const pid of vms) t.equal(processRunning(pid), false, `pid ${pid} is gone`);
  const cell = readResults(join(dir, 'results', 'latest')).cells[0]!;
  t.equal(cell.verdict, 'timeout', cell.reasons.join('; '));
  t.match(cell.reasons[0], /the guest did not reach the agent within 8 s/, "the cell_boot timeout applied, not the matrix's 300 s");
  t.equal(cell.retried, undefined, 'a hang is not retried');
  t.ok(cell.consoleBytes > 0, `the console is kept (${cell.consoleBytes} bytes)`);
  t.match(readFileSync(join(dir, 'results', 'latest', cell.console!), 'utf8'), /Linux version 6\.1/);
  const kcidb = await runKcidb(join(dir, 'results', 'latest'));
  t.match(kcidb.tests, [{ status: 'ERROR', log_excerpt: /did not reach the agent within 8 s/ }], 'KCIDB: an ERROR with the reason');
});

t.test('SIGINT during a boot stops the VM and exits 130', async (t) => {
  const dir = tempTree({
    'm.yaml': `name: interrupt\n${paths}kernels:\n  patched:\n    definition: debian-6.1\nvmms:\n  q: { type: qemu }\ntransports: [legacy]\nboot:\n  timeout: 300\n  append: rdinit=/nonexistent root=/dev/nonexistent rootwait\n`,
  });
  const child = execa(process.execPath, [cliPath, 'run', join(dir, 'm.yaml'), '--out', join(dir, 'results')], {
    reject: false,
    stdin: 'ignore',
    all: true,
  });
  let vms: number[] = [];
  await new Promise<void>((resolve) => {
    void child.finally(resolve);
    child.stderr!.on('data', (chunk: Buffer) => {
      if (!chunk.toString().includes(': booting')) return;
      // give QEMU a moment to start, then note it by pid
      setTimeout(() => {
        vms = childPids(child.pid!).filter(processRunning);
        resolve();
      }, 1000);
    });
  });
  t.ok(vms.length > 0, `the run has a VM running (pids ${vms.join(', ')})`);
  child.kill('SIGINT');
  const result = await child;
  t.equal(result.exitCode, 130);
  t.match(String(result.all), /SIGINT: stopped every VM and build/);
  for (const pid of vms) t.equal(processRunning(pid), false, `pid ${pid} is gone`);
  const results = readResults(join(dir, 'results', 'latest'));
  t.equal(results.interrupted, 'SIGINT', 'results.json says the run was interrupted');
  t.equal(results.cells[0]!.verdict, 'error');
  t.equal(results.cells[0]!.interrupted, true);
  t.match(results.cells[0]!.reasons[0], /^interrupted: the run was stopped by SIGINT before this cell finished$/);
  for (const file of ['report.tap', 'junit.xml', 'index.html']) t.ok(existsSync(join(dir, 'results', 'latest', file)), `${file} written`);
});

t.test('SIGINT during `boot` writes its run as `run` does', async (t) => {
  const dir = tempTree({
    'm.yaml': `name: interrupt\n${paths}kernels:\n  patched:\n    definition: debian-6.1\nvmms:\n  q: { type: qemu }\ntransports: [legacy]\nboot:\n  timeout: 300\n  append: rdinit=/nonexistent root=/dev/nonexistent rootwait\n`,
  });
  const child = execa(
    process.execPath,
    [cliPath, 'boot', 'patched/q/legacy', '--matrix', join(dir, 'm.yaml'), '--out', join(dir, 'results')],
    { reject: false, stdin: 'ignore', all: true },
  );
  await new Promise<void>((resolve) => {
    void child.finally(resolve);
    child.stderr!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes(': booting')) setTimeout(resolve, 1000);
    });
  });
  child.kill('SIGINT');
  const result = await child;
  t.equal(result.exitCode, 130, String(result.all).slice(-1000));
  const results = readResults(join(dir, 'results', 'latest'));
  t.equal(results.interrupted, 'SIGINT');
  t.match(results.cells[0], { verdict: 'error', interrupted: true });
  for (const file of ['report.tap', 'junit.xml', 'index.html']) t.ok(existsSync(join(dir, 'results', 'latest', file)), `${file} written`);
});

t.test(
  'an empty cache: unpacking the source is said as it starts; SIGINT meanwhile still writes the run, every cell interrupted, each kernel its stage',
  async (t) => {
    // the default matrix checks unpatched's reversed patch first, and that unpacks the 6.1 source into the empty cache
    const dir = tempTree({});
    const child = execa(process.execPath, [cliPath, 'run', '--cache', join(dir, 'cache'), '--out', join(dir, 'results')], {
      reject: false,
      stdin: 'ignore',
      all: true,
      env: { CI: 'true', KVMATRIX_LKVM: '' },
    });
    let seen = '';
    const started = Date.now();
    await new Promise<void>((resolve) => {
      void child.finally(resolve);
      child.stderr!.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if (/^kernel unpatched: unpacking the source, linux-source-6\.1\.tar\.xz \([\d,]+ MiB\); once, into the cache$/m.test(seen))
          resolve();
      });
    });
    t.ok(Date.now() - started < 10_000, `the unpack is said within ${Date.now() - started} ms of the start, not after it`);
    // the run's tar is unpacking now: note it, so that the stop is seen to end it
    const descendants = (pid: number): number[] => childPids(pid).flatMap((c) => [c, ...descendants(c)]);
    await new Promise((r) => setTimeout(r, 1000));
    const tars = descendants(child.pid!).filter((pid) => processName(pid) === 'tar');
    t.equal(tars.length, 1, 'tar runs when the signal comes');
    child.kill('SIGINT');
    const result = await child;
    t.equal(result.exitCode, 130, String(result.all).slice(-2000));
    for (const pid of tars) t.equal(processRunning(pid), false, `tar (pid ${pid}) is gone`);
    const runDir = join(dir, 'results', 'latest');
    t.ok(existsSync(join(runDir, 'results.json')), 'a run folder, for all the stop came before any build');
    const results = readResults(runDir);
    t.equal(results.interrupted, 'SIGINT');
    t.equal(results.cells.length, 12);
    const [kvmtool, others] = [results.cells.filter((c) => c.vmmType === 'kvmtool'), results.cells.filter((c) => c.vmmType !== 'kvmtool')];
    t.ok(
      others.every((c) => c.verdict === 'error' && c.interrupted === true),
      'every cell it would have booted is interrupted',
    );
    t.ok(
      kvmtool.every((c) => c.verdict === 'skip' && /^no lkvm given/.test(c.reasons[0] ?? '')),
      'the kvmtool cells, with no lkvm, skipped as always',
    );
    const kernels = Object.fromEntries(results.kernels.map((k) => [k.id, k]));
    t.match(
      kernels.unpatched,
      { ok: false, stage: 'source', ended: 'interrupted', message: /^not built: the run was stopped by SIGINT at its source stage$/ },
      'unpatched: stopped while its source unpacked',
    );
    t.match(kernels.patched, {
      ok: false,
      ended: 'interrupted',
      message: /^not built: the run was stopped by SIGINT before its build began$/,
    });
    for (const file of ['report.tap', 'junit.xml', 'index.html']) t.ok(existsSync(join(runDir, file)), `${file} written`);
    t.same(readdirSync(join(dir, 'cache', 'sources')), [], 'no half-unpacked tree published');
    t.same(readdirSync(join(dir, 'cache', 'staging')), [], 'nor left in staging');
  },
);

t.test('SIGTERM mid-run: the cells that finished keep their verdicts, the rest are interrupted, exit 143', async (t) => {
  const dir = tempTree({});
  const child = execa(process.execPath, [cliPath, 'run', '--filter', 'type=qemu', '--jobs', '1', '--out', join(dir, 'results')], {
    reject: false,
    stdin: 'ignore',
    all: true,
    env: { CI: 'true' },
  });
  let seen = '';
  await new Promise<void>((resolve) => {
    void child.finally(resolve);
    child.stderr!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      // the first cell has its verdict, the second is booting
      if (/^cell \S+: \S.*in \d/m.test(seen) && (seen.match(/: booting$/gm) ?? []).length >= 2) resolve();
    });
  });
  // the second cell's QEMU is spawned just after its "booting" line: wait until it runs
  const descendants = (pid: number): number[] => childPids(pid).flatMap((c) => [c, ...descendants(c)]);
  let running: number[] = [];
  const qemus = () => running.filter((pid) => processName(pid).startsWith('qemu-system'));
  for (let i = 0; i < 100 && qemus().length === 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    running = descendants(child.pid!);
  }
  t.equal(qemus().length, 1, `the second cell's QEMU runs when the signal comes (${running.length} processes seen)`);
  child.kill('SIGTERM');
  const result = await child;
  t.equal(result.exitCode, 143, String(result.all).slice(-2000));
  t.same(running.filter(processRunning), [], `nothing the run started is left (${running.length} seen)`);
  const results = readResults(join(dir, 'results', 'latest'));
  t.equal(results.interrupted, 'SIGTERM');
  t.equal(results.cells.length, 8, 'every selected cell is in the results');
  const first = results.cells[0]!;
  t.notOk(first.interrupted, `${first.id} finished before the signal and keeps its verdict (${first.verdict})`);
  t.equal(first.status, 'as-expected');
  const cut = results.cells.filter((c) => c.interrupted);
  t.ok(cut.length >= 6, `the cells not finished are marked interrupted (${cut.length})`);
  t.ok(cut.every((c) => c.verdict === 'error' && c.status === 'unexpected'));
  t.match(result.stdout, /interrupted by SIGTERM: \d+ cells did not finish/);
  const { final } = await parseTap(readFileSync(join(dir, 'results', 'latest', 'report.tap'), 'utf8'));
  t.equal(final.count, 8, 'TAP has every cell');
  t.equal(final.fail, cut.length, 'the interrupted ones fail');
  const kcidb = await runKcidb(join(dir, 'results', 'latest'));
  const status = new Map(kcidb.tests.filter((x) => x.path.split('.').length === 4).map((x) => [x.misc.cell as string, x.status]));
  t.ok(
    cut.every((c) => status.get(c.id) === 'MISS'),
    'KCIDB: the interrupted cells are MISS',
  );
  t.equal(status.get(first.id), first.verdict === 'fail' ? 'FAIL' : 'PASS', 'the finished one keeps its status');
});
