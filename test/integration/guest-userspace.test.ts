/**
 * Userspace in a real guest (issue 22's groundwork): the 6.1 kernel of the
 * default matrix under QEMU, the userspace layer (Debian's arm64 busybox,
 * the cross glibc) appended to an initramfs, and the agent running the
 * commands of a boot's own archive, their output framed and checksummed.
 * The kernel comes from the cache the other tests share.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import t, { type Test } from 'tap';
import { parseConsole } from '../../harness/console/parse.js';
import { bootArchive, type PlannedCommand } from '../../harness/guest/boot-archive.js';
import { buildGuestImage } from '../../harness/guest/build-agent.js';
import { writeCpio } from '../../harness/guest/cpio.js';
import { GLIBC_RUNTIME, staticArm64Problem, userspaceLayer } from '../../harness/guest/userspace-layer.js';
import { cacheLayout, resolveCacheRoot } from '../../harness/kernel/cache.js';
import { launchVmm } from '../../harness/vmm/launch.js';
import { qemuBootArgs, qemuMachineArgs } from '../../harness/vmm/qemu.js';
import { projectRoot } from '../../harness/host/install-paths.js';
import { kvmatrix, readResults } from '../support/cli.js';
import { tempTree } from '../support/temp-tree.js';

t.setTimeout(30 * 60 * 1000);

const layout = cacheLayout(resolveCacheRoot());

/** The default matrix's patched kernel, built or from the cache. */
async function kernelImage(t: Test): Promise<string> {
  const built = await kvmatrix(['build', 'patched']);
  t.equal(built.code, 0, built.stderr.slice(-2000));
  return built.stdout.trim().split('\t')[1]!;
}

/** Boots the Image with these archives one after the other as its initramfs; the console's text. */
async function boot(image: string, archives: Buffer[], append: string, timeoutSec = 120): Promise<{ console: string; kind: string }> {
  const dir = tempTree({}, 'kvmatrix-userspace-');
  const initrd = join(dir, 'initramfs.cpio');
  writeFileSync(initrd, Buffer.concat(archives));
  const launch = await launchVmm(
    {
      argv: [
        'qemu-system-aarch64',
        ...qemuMachineArgs('tcg'),
        ...qemuBootArgs({ memoryMiB: 256, cpus: 1, image, initrd }),
        '-append',
        append,
      ],
      inputs: [image, initrd],
    },
    { consolePath: join(dir, 'console.log'), timeoutSec, capBytes: 16 << 20 },
  );
  return { console: readFileSync(join(dir, 'console.log'), 'utf8'), kind: launch.kind };
}

t.test("the layer in a real guest: busybox sh as init runs a program linked against the layer's glibc", async (t) => {
  const layer = await userspaceLayer(layout);
  t.match(layer.busybox, /^1:1\.\d+/, `busybox ${layer.busybox}`);
  const again = await userspaceLayer(layout);
  t.equal(again.archive, layer.archive, 'built once, then taken from the cache');
  const listing = execFileSync('cpio', ['-itv', '--quiet'], { input: gunzipSync(readFileSync(layer.archive)) }).toString();
  t.match(listing, /bin\/sh -> busybox/);
  for (const lib of GLIBC_RUNTIME) t.match(listing, new RegExp(`lib/${lib.replaceAll('.', '\\.')}$`, 'm'), `${lib} in /lib`);

  const image = await kernelImage(t);
  const dir = tempTree({
    'hello.c':
      '#include <gnu/libc-version.h>\n#include <stdio.h>\nint main(void) { printf("hello from glibc %s\\n", gnu_get_libc_version()); return 0; }\n',
  });
  execFileSync('aarch64-linux-gnu-gcc', ['-O2', '-o', join(dir, 'hello'), join(dir, 'hello.c')]);
  t.equal(
    staticArm64Problem(readFileSync(join(dir, 'hello'))),
    'is linked dynamically (/lib/ld-linux-aarch64.so.1)',
    'the program needs the loader',
  );
  // the base a guest initramfs has (its console node), then the program, then the layer: archives in turn
  const base = gzipSync(
    writeCpio([
      { type: 'dir', path: 'dev' },
      { type: 'chardev', path: 'dev/console', major: 5, minor: 1 },
      { type: 'file', path: 'hello', data: readFileSync(join(dir, 'hello')), mode: 0o755 },
    ]),
  );
  // Debian's busybox ships no applet links: busybox --install makes them (it finds itself through /proc)
  const script =
    'busybox mkdir /proc; busybox mount -t proc proc /proc; busybox --install -s /bin; echo SHELL-$((6*7)); /hello; echo EXIT-$?; poweroff -f';
  const { console, kind } = await boot(
    image,
    [base, readFileSync(layer.archive)],
    `console=ttyAMA0 panic=-1 rdinit=/bin/sh -- -c "${script}"`,
    60,
  );
  t.equal(kind, 'exited', console.slice(-2000));
  t.match(console, /^SHELL-42\r?$/m, "busybox's sh ran as init and did its arithmetic");
  t.match(console, /^hello from glibc 2\.\d+\r?$/m, 'the dynamically linked program found its loader and libc in the layer');
  t.match(console, /^EXIT-0\r?$/m);
  t.notMatch(console, /not found|Attempted to kill init/, 'every applet found once installed; the guest powered off, init did not die');
  t.match(console, /reboot: Power down/);
});

t.test(
  "the agent runs the boot's commands after the probe: exit status, output framed and checksummed, deadlines, hostile output",
  async (t) => {
    const image = await kernelImage(t);
    const guest = await buildGuestImage(layout, 'aarch64-linux-gnu-');
    const layer = await userspaceLayer(layout);
    const nonce = 'b7c1d2e3f4a59687';
    const commands: PlannedCommand[] = [
      { name: 'exit-3', argv: ['sh', '-c', 'echo out; echo err >&2; exit 3'], timeoutSec: 20, capBytes: 4096 },
      {
        name: 'key-hidden',
        argv: ['sh', '-c', 'cat /proc/cmdline; ls -a /kvmatrix; test -e /kvmatrix/key && echo KEY-VISIBLE; true'],
        timeoutSec: 20,
        capBytes: 4096,
      },
      {
        name: 'hostile',
        argv: [
          'sh',
          '-c',
          `printf 'KVMATRIX/1 99 end records=100 uptime=1 #deadbeef\\n\\033[2J\\001bell \\\\ \\303\\251t\\303\\251\\nKernel panic - not syncing: fake\\n'; head -c 3000000 /dev/zero | tr '\\000' y`,
        ],
        timeoutSec: 60,
        capBytes: 65536,
      },
      { name: 'hangs', argv: ['sh', '-c', 'sleep 1000 & echo started; sleep 1000'], timeoutSec: 3, capBytes: 4096 },
      { name: 'no-such', argv: ['/bin/no-such-program'], timeoutSec: 5, capBytes: 4096 },
      { name: 'after', argv: ['sh', '-c', 'ps | grep -c "[s]leep 1000" || true'], timeoutSec: 20, capBytes: 4096 },
    ];
    // no nonce on the command line: the agent takes it from the boot's archive
    const { console, kind } = await boot(
      image,
      [readFileSync(guest.initramfs), readFileSync(layer.archive), bootArchive(nonce, commands)],
      'console=ttyAMA0 panic=-1',
    );
    t.equal(kind, 'exited', console.slice(-3000));
    const seen = parseConsole(console, { nonce });
    t.ok(seen.agent.end, 'the end record, signed with the key from the archive');
    t.same(seen.agent.rejected, [], 'no record rejected: the fake one never reached the console as a record');
    t.same(seen.agent.missingSeqs, []);
    t.same(seen.incidents, [], "the command's fake panic is its output, not a kernel incident");
    const by = new Map(seen.commands.map((c) => [c.name, c]));
    t.same(
      seen.commands.map((c) => c.name),
      commands.map((c) => c.name),
      'every command, in order',
    );
    t.ok(
      seen.commands.every((c) => c.outputIntact),
      'every output rebuilt whole: its length and crc agree with the agent',
    );

    t.match(by.get('exit-3')!.end, { result: 'exit', code: 3 });
    t.equal(by.get('exit-3')!.output, 'out\nerr\n', 'stdout and stderr, in order');
    const key = by.get('key-hidden')!;
    t.notMatch(key.output, nonce, 'the key is neither on the command line nor left in a file');
    t.notMatch(key.output, /KEY-VISIBLE/);
    t.match(key.output, /console=ttyAMA0/, 'the command did read the command line');

    const hostile = by.get('hostile')!;
    t.match(hostile.end, { result: 'exit', code: 0, shown: 65536 });
    t.ok(hostile.end!.bytes > 3_000_000, `every byte counted (${hostile.end!.bytes}), 64 KiB shown`);
    t.match(
      hostile.output,
      /^KVMATRIX\/1 99 end records=100 uptime=1 #deadbeef\n\x1b\[2J\x01bell \\ été\nKernel panic - not syncing: fake\nyyyy/,
      'its bytes as it wrote them, control characters and UTF-8 included',
    );
    t.notMatch(console, /^.*KVMATRIX\/1 99 end/m, 'while the console itself never showed the fake record');

    t.match(by.get('hangs')!.end, { result: 'timeout' });
    t.match(by.get('hangs')!.output, /^started\n$/);
    t.ok(by.get('hangs')!.end!.seconds < 6, `killed at its deadline (${by.get('hangs')!.end!.seconds} s)`);
    t.match(by.get('no-such')!.end, { result: 'exec-failed', detail: /No such file or directory/ });
    t.match(by.get('after')!.end, { result: 'exit', code: 0 });
    t.equal(by.get('after')!.output.trim(), '0', "the hung command's group, its background sleep too, was gone before the next command");
  },
);

t.test(
  "key hidden, not secret: a root command that reads the nonce from PID 1's memory and signs records with it makes the cell an error, never a pass",
  async (t) => {
    const built = await kernelImage(t);
    t.ok(built, "the default matrix's patched kernel");
    const dir = tempTree({}, 'kvmatrix-forge-');
    // test/fixtures/guest/forge-records.c: scans /proc/1/mem for the nonce, writes signed records to /dev/console
    execFileSync('aarch64-linux-gnu-gcc', [
      '-static',
      '-O2',
      '-o',
      join(dir, 'forger'),
      join(projectRoot, 'test', 'fixtures', 'guest', 'forge-records.c'),
    ]);
    const matrix = join(dir, 'm.yaml');
    writeFileSync(
      matrix,
      `name: forged-records\npaths:\n  kernels: ${join(projectRoot, 'kernels')}\nkernels:\n  patched:\n    definition: debian-6.1\n` +
        'vmms:\n  qemu-flat: { type: qemu, topology: flat }\ntransports: [modern]\ndevices: [rng]\n' +
        'tests:\n  - probe\n  - command:\n      name: forge\n      run: [/kvmatrix/files/forger]\n      files: [forger]\n      timeout: 30\n',
    );
    const run = await kvmatrix(['run', matrix, '--out', join(dir, 'out')], { env: { CI: 'true' } });
    t.equal(run.code, 1, `${run.stdout}\n${run.stderr.slice(-2000)}`);
    const cell = readResults(join(dir, 'out', 'latest')).cells[0]!;
    t.equal(cell.verdict, 'error');
    t.match(
      cell.reasons[0],
      /^the agent's records contradict each other: two different records numbered 1: \w+ at console line \d+, device at line \d+/,
    );
    t.same(cell.tests ?? [], [], 'no test of this boot is shown, passed or failed');

    // the forger did find the nonce: one of its candidates signs the agent's own records
    const console = readFileSync(join(dir, 'out', 'latest', cell.console!), 'utf8');
    const candidates = [...console.matchAll(/^cmd1\| candidate ([0-9a-f]{16})\r?$/gm)].map((m) => m[1]!);
    const nonce = candidates.find((c) => parseConsole(console, { nonce: c }).agent.begin !== null);
    t.ok(nonce, `the nonce is among the ${candidates.length} candidates the forger read from PID 1`);
    const seen = parseConsole(console, { nonce: nonce ?? '' });
    t.ok(seen.agent.end, 'the agent still finished');
    t.ok(seen.agent.conflicts.length >= 2, `the forged records were signed with it and conflict (${seen.agent.conflicts.join('; ')})`);
  },
);
