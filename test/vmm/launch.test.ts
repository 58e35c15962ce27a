/**
 * The launcher against real processes (sh standing in for a VMM): the
 * point is process-group handling, which only real processes can show.
 */
import { closeSync, fstatSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import t from 'tap';
import { launchVmm, writtenBytes } from '../../harness/vmm/launch.js';
import { processRunning } from '../support/processes.js';
import { tempTree } from '../support/temp-tree.js';

t.test('a timeout kills the whole group, grandchildren holding the pipe included', async (t) => {
  const dir = tempTree({});
  const consolePath = join(dir, 'console.log');
  // the grandchild keeps stdout open: without group kill the launch would wait for it
  const script = 'sleep 300 & echo "grandchild $!"; sleep 300';
  const started = performance.now();
  const outcome = await launchVmm({ argv: ['sh', '-c', script], inputs: [] }, { consolePath, timeoutSec: 1, capBytes: 1 << 20 });
  const elapsed = performance.now() - started;
  t.equal(outcome.kind, 'timed-out');
  t.ok(elapsed < 5000, `settled ${Math.round(elapsed)} ms after start`);
  const pid = Number(/grandchild (\d+)/.exec(readFileSync(consolePath, 'utf8'))![1]);
  t.ok(pid > 0);
  await new Promise((r) => setTimeout(r, 100));
  t.equal(processRunning(pid), false, `grandchild ${pid} is gone`);
  t.ok(outcome.firstOutputMs !== null && outcome.firstOutputMs < 1000);
});

t.test('output past the cap is counted and dropped', async (t) => {
  const dir = tempTree({});
  const consolePath = join(dir, 'console.log');
  const outcome = await launchVmm(
    { argv: ['sh', '-c', 'head -c 100000 /dev/zero | tr "\\0" x'], inputs: [] },
    { consolePath, timeoutSec: 10, capBytes: 4096 },
  );
  t.equal(outcome.kind, 'exited');
  t.equal(outcome.consoleBytes, 100000);
  t.equal(outcome.consoleTruncated, true);
  t.equal(readFileSync(consolePath).length, 4096);
});

t.test('exit code, signal and stderr tail are reported', async (t) => {
  const dir = tempTree({});
  const before = Date.now();
  const outcome = await launchVmm(
    { argv: ['sh', '-c', 'echo console; echo "qemu: bad option" >&2; exit 3'], inputs: [] },
    { consolePath: join(dir, 'c.log'), timeoutSec: 10, capBytes: 1 << 20 },
  );
  t.equal(outcome.kind, 'exited');
  if (outcome.kind === 'exited') t.equal(outcome.code, 3);
  t.same(outcome.stderrTail, ['qemu: bad option']);
  t.equal(readFileSync(join(dir, 'c.log'), 'utf8'), 'console\n');
  const startedAt = Date.parse(outcome.startedAt ?? '');
  t.ok(startedAt >= before && startedAt <= Date.now() - outcome.durationMs + 5, `started when spawned (${outcome.startedAt})`);
});

t.test('a VMM that is not installed is a spawn failure, not a crash', async (t) => {
  const dir = tempTree({});
  const outcome = await launchVmm(
    { argv: ['/nonexistent/qemu-system-aarch64'], inputs: [] },
    { consolePath: join(dir, 'c.log'), timeoutSec: 10, capBytes: 1 << 20 },
  );
  t.equal(outcome.kind, 'spawn-failed');
  if (outcome.kind === 'spawn-failed') t.match(outcome.message, /ENOENT/);
});

t.test('an abort stops the VM at once', async (t) => {
  const dir = tempTree({});
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 200);
  const started = performance.now();
  const outcome = await launchVmm(
    { argv: ['sleep', '300'], inputs: [] },
    { consolePath: join(dir, 'c.log'), timeoutSec: 60, capBytes: 1 << 20, signal: controller.signal },
  );
  t.ok(performance.now() - started < 3000);
  t.equal(outcome.kind, 'exited');
  if (outcome.kind === 'exited') t.equal(outcome.signal, 'SIGKILL');
});

t.test("the console file is the VMM's stdout itself, not a pipe the harness reads", async (t) => {
  const dir = tempTree({});
  const consolePath = join(dir, 'console.log');
  await launchVmm({ argv: ['sh', '-c', 'readlink /proc/self/fd/1'], inputs: [] }, { consolePath, timeoutSec: 10, capBytes: 1 << 20 });
  t.equal(readFileSync(consolePath, 'utf8').trim(), consolePath);
});

t.test('a live copy gets the console as it grows, up to the cap', async (t) => {
  const dir = tempTree({});
  const consolePath = join(dir, 'console.log');
  const live = new PassThrough();
  const seen: Buffer[] = [];
  const times: number[] = [];
  live.on('data', (chunk: Buffer) => {
    seen.push(chunk);
    times.push(performance.now());
  });
  const started = performance.now();
  const outcome = await launchVmm(
    { argv: ['sh', '-c', 'echo first; sleep 0.5; head -c 6000 /dev/zero | tr "\\0" y; echo'], inputs: [] },
    { consolePath, timeoutSec: 10, capBytes: 4096, live },
  );
  t.equal(outcome.consoleBytes, 6 + 6001);
  t.equal(Buffer.concat(seen).toString(), readFileSync(consolePath, 'utf8'), 'the live copy is what the file kept');
  t.equal(readFileSync(consolePath).length, 4096);
  t.ok(times[0]! - started < 400, `the first line came through before the VMM ended (${Math.round(times[0]! - started)} ms)`);
  t.ok(outcome.firstOutputMs !== null && outcome.firstOutputMs < 400);
});

t.test("the console's length is the offset it was written to, however far the file was cut back", async (t) => {
  const dir = tempTree({});
  const fd = openSync(join(dir, 'console.log'), 'w+');
  t.teardown(() => closeSync(fd));
  writeSync(fd, 'x'.repeat(5000));
  // cut after a write the last look did not see: the size forgets it, the offset does not
  ftruncateSync(fd, 4096);
  t.equal(fstatSync(fd).size, 4096);
  t.equal(writtenBytes(fd), 5000);
});

t.test('onConsole gets the console as it grows, in order and up to the cap, without a live copy', async (t) => {
  const dir = tempTree({});
  const consolePath = join(dir, 'console.log');
  const chunks: { at: number; bytes: Buffer }[] = [];
  const started = performance.now();
  const outcome = await launchVmm(
    { argv: ['sh', '-c', 'echo first; sleep 0.5; head -c 6000 /dev/zero | tr "\\0" y; echo'], inputs: [] },
    {
      consolePath,
      timeoutSec: 10,
      capBytes: 4096,
      onConsole: (bytes) => chunks.push({ at: performance.now(), bytes: Buffer.from(bytes) }),
    },
  );
  t.equal(outcome.consoleBytes, 6 + 6001);
  t.same(Buffer.concat(chunks.map((c) => c.bytes)), readFileSync(consolePath), 'every byte the file kept, once, in order');
  t.ok(chunks.length >= 2, `${chunks.length} pieces`);
  t.ok(chunks[0]!.at - started < 400, `the first line came before the VMM ended (${Math.round(chunks[0]!.at - started)} ms)`);
});
