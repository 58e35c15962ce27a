/**
 * Command tests through the real CLI: matrices/murray-command.yaml, whose
 * userspace check fails exactly where the probe does, in every report; and
 * a matrix of troublesome commands (one that hangs, one whose output is
 * hostile, one that is not there), each a leaf of its own while the
 * others still run. Kernels come from the cache the other tests share.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import t from 'tap';
import { projectRoot } from '../../harness/host/install-paths.js';
import { leavesOf } from '../../harness/verdict/tree.js';
import { kvmatrix, readResults } from '../support/cli.js';
import { runKcidb } from '../support/kcidb.js';
import { matrixHead } from '../support/matrix-files.js';
import { parseTap, tapSyntaxErrors } from '../support/tap.js';
import { tempTree } from '../support/temp-tree.js';

t.setTimeout(30 * 60 * 1000);

t.test('matrices/murray-command.yaml: the userspace check fails exactly where the probe does, in every report', async (t) => {
  const out = tempTree({}, 'kvmatrix-command-');
  const run = await kvmatrix(['run', join(projectRoot, 'matrices', 'murray-command.yaml'), '--out', out], { env: { CI: 'true' } });
  t.equal(run.code, 0, `every cell as expected\n${run.stderr.slice(-3000)}`);
  const results = readResults(join(out, 'latest'));
  const command = (id: string) =>
    leavesOf(results.cells.find((c) => c.id === id)!.tests ?? []).find((l) => l.path === 'command.virtio-health')!;
  for (const cell of results.cells) {
    const probeFails = (cell.tests ?? []).find((k) => k.name === 'probe')!.verdict === 'fail';
    t.equal(
      command(cell.id).verdict,
      probeFails ? 'fail' : 'pass',
      `${cell.id}: the command ${probeFails ? 'fails with' : 'passes with'} the probe`,
    );
  }
  const failing = command('unpatched/qemu-bridged/legacy');
  t.equal(failing.status, 'as-expected');
  t.same(failing.expectedBy, { rule: 1, scope: 'test' }, 'the leaf names its own rule');
  // the probe's failing device has no rule of its own: the cell's rule covers it, and it says so
  const rng2 = leavesOf(results.cells.find((c) => c.id === 'unpatched/qemu-bridged/legacy')!.tests ?? []).find(
    (l) => l.path === 'probe.rng2',
  )!;
  t.match(
    rng2,
    {
      verdict: 'fail',
      expected: 'fail',
      expectedBy: { rule: 0, scope: 'cell' },
      status: 'as-expected',
      expectedWhy: /ioport_map\(\) masks bit 14/,
    },
    "probe.rng2: expected to fail by the cell's rule, not 'expected: pass'",
  );
  t.same(failing.reasons, ['exited 1, expected 0']);
  t.match(
    failing.log.join('\n'),
    /0000:04:00\.0: virtio3 status 0x[0-9a-f]+ \(no driver\): not DRIVER_OK/,
    "the script's own lines on its leaf",
  );

  const tap = readFileSync(join(out, 'latest', 'report.tap'), 'utf8');
  t.same(tapSyntaxErrors((await parseTap(tap)).final), [], 'TAP: parses cleanly');
  t.match(
    tap,
    /^ {8}not ok 1 - virtio-health # TODO expected to fail by expect\[1\]: the devices behind/m,
    'TAP: the leaf, marked expected, naming its rule',
  );
  const junit = readFileSync(join(out, 'latest', 'junit.xml'), 'utf8');
  t.equal(XMLValidator.validate(junit), true);
  const suites = [new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(junit).testsuites.testsuite].flat() as {
    testcase: unknown;
  }[];
  const cases = suites.flatMap((s) => [s.testcase].flat()) as { name: string }[];
  t.equal(cases.filter((c) => c.name === 'virtio-health').length, 8, 'JUnit: a testcase per cell');
  const known = (cases as { name: string; classname: string; skipped?: { type?: string; message?: string } }[]).filter(
    (c) => c.skipped?.type === 'expected-failure',
  );
  t.ok(
    known.some((c) => c.name === 'rng2' && /^fail, expected fail, by expect\[0\], the cell's rule: ioport_map/.test(c.skipped!.message!)),
    "JUnit: probe.rng2 skipped as an expected failure, naming the cell's rule",
  );
  t.ok(
    known.some((c) => c.name === 'qemu-bridged/legacy'),
    'and so is the cell',
  );
  const kcidb = await runKcidb(join(out, 'latest'));
  const leaf = kcidb.tests.find(
    (x) =>
      x.path === 'kvmatrix.murray-command.qemu-bridged.legacy.command.virtio-health' && x.misc.cell === 'unpatched/qemu-bridged/legacy',
  )!;
  t.equal(leaf.status, 'FAIL', 'KCIDB: the leaf fails');
  t.ok(
    kcidb.incidents.some((i) => i.test_id === leaf.id && i.present),
    'with an incident of the known issue',
  );
  const reproduce = readFileSync(join(out, 'latest', results.cells[0]!.reproduce!), 'utf8');
  t.match(
    reproduce,
    /^cat .*initramfs\.cpio\.gz .*layer\.cpio\.gz boot\.cpio\.gz > initramfs\.cpio$/m,
    'reproduce.sh puts the three archives together again',
  );
  t.notMatch(reproduce, /kvmatrix\.nonce=/, 'the nonce is off the command line');

  // repeated boots judge the command leaf boot by boot
  const repeated = await kvmatrix(
    [
      'run',
      join(projectRoot, 'matrices', 'murray-command.yaml'),
      '--cell',
      'unpatched/qemu-bridged/legacy',
      '--test',
      'command.virtio-health',
      '--repeat',
      '2',
      '--out',
      join(out, 'repeated'),
    ],
    { env: { CI: 'true' } },
  );
  t.equal(repeated.code, 0, `two boots, both failing as expected\n${repeated.stderr.slice(-2000)}`);
  const twice = readResults(join(out, 'repeated', 'latest')).cells[0]!;
  t.same(
    twice.repeats!.map((r) => leavesOf(r.tests ?? []).map((l) => [l.path, l.verdict])),
    [[['command.virtio-health', 'fail']], [['command.virtio-health', 'fail']]],
    'each boot has its own command leaf',
  );
  t.match(twice, { verdict: 'fail', status: 'as-expected' }, 'boots that agree: the expected failure, not flaky');
});

t.test(
  'a hang, hostile output and a missing program: a leaf each, the other commands still run, the cell never passes for them',
  async (t) => {
    const dir = tempTree({}, 'kvmatrix-command-trouble-');
    const matrix = join(dir, 'm.yaml');
    writeFileSync(
      join(dir, 'hostile.sh'),
      [
        "printf 'KVMATRIX/1 40 end records=41 uptime=1.0 #0badf00d\\n'",
        "printf '\\033[31mred\\033[0m \\001\\002 \\303\\251\\n'",
        "printf 'ok 1 - not a kernel test\\nKernel panic - not syncing: from userspace\\n'",
        'head -c 10000000 /dev/zero | tr "\\000" x',
        'echo',
      ].join('\n'),
    );
    writeFileSync(
      matrix,
      [
        ...matrixHead('trouble'),
        'vmms:',
        '  qemu-flat: { type: qemu, topology: flat }',
        'transports: [modern]',
        'tests:',
        '  - command: { name: hangs, run: [sh, -c, "sleep 600"], timeout: 3 }',
        '  - command: { name: hostile, run: hostile.sh }',
        '  - command: { name: missing, run: [/bin/not-there] }',
        '  - command: { name: after, run: [sh, -c, "echo still here"] }',
        `  - command: { name: tap, run: [sh, -c, "printf 'TAP version 13\\n1..2\\nok 1 first\\nnot ok 2 second # exit=3\\n'"] }`,
        '',
      ].join('\n'),
    );
    const started = Date.now();
    const run = await kvmatrix(['run', matrix, '--out', join(dir, 'results')], { env: { CI: 'true' } });
    t.equal(run.code, 1, `the hang and the missing program fail the cell\n${run.stderr.slice(-2000)}`);
    t.ok(Date.now() - started < 120_000, 'the hang cost its deadline, not the boot timeout');
    const cell = readResults(join(dir, 'results', 'latest')).cells[0]!;
    t.equal(cell.verdict, 'fail', cell.reasons.join('; '));
    const leaves = new Map(leavesOf(cell.tests ?? []).map((l) => [l.name, l]));
    t.equal(leaves.get('hangs')!.verdict, 'timeout');
    t.match(leaves.get('hangs')!.reasons[0], /did not finish within 3 s: killed with its process group/);
    t.equal(leaves.get('missing')!.verdict, 'fail');
    t.match(leaves.get('missing')!.reasons[0], /could not run \/bin\/not-there: No such file or directory/);
    t.equal(leaves.get('after')!.verdict, 'pass', 'the commands after them ran');
    t.same(leaves.get('after')!.log, ['still here']);
    const hostile = (cell.tests ?? []).find((n) => n.name === 'command')!.children.find((n) => n.name === 'hostile')!;
    // its `ok 1 - ...` at column 0, before any other TAP line, is TAP 12 without a version line: one result and no plan
    t.equal(hostile.verdict, 'fail', 'a stray result line is TAP that does not add up: the command fails though it exited 0');
    t.match(hostile.reasons, [/1 result without a plan/]);
    t.same(
      hostile.children.map((c) => [c.path, c.verdict]),
      [['command.hostile.not__20a__20kernel__20test', 'pass']],
    );
    t.match(hostile.log[0], 'KVMATRIX/1 40 end records=41 uptime=1.0 #0badf00d', 'its fake record is shown as its text');
    t.match(hostile.log[1], /^red  é$/, 'escape sequences and control characters cleaned from the leaf');
    t.notOk(
      cell.reasons.some((r) => /panic/.test(r)),
      "its fake panic is not the kernel's",
    );
    t.notOk(
      leavesOf(cell.tests ?? []).some((l) => l.path.startsWith('kunit')),
      'nor its TAP-like line a test',
    );
    const tap = leavesOf(cell.tests ?? []).filter((l) => l.path.startsWith('command.tap.'));
    t.same(
      tap.map((l) => [l.path, l.verdict, l.reasons]),
      [
        ['command.tap.first', 'pass', []],
        ['command.tap.second', 'fail', ['exit=3']],
      ],
      'TAP the command printed: its subtests',
    );
    t.ok(cell.consoleBytes < 2_000_000, `the console kept its cap: ${cell.consoleBytes} bytes for 10 MB of output`);
    const report = readFileSync(join(dir, 'results', 'latest', 'report.tap'), 'utf8');
    t.match(report, /^ {12}not ok 2 - second: fail$/m, 'TAP report: the subtest under its command');
    const { final } = await parseTap(report);
    t.same(tapSyntaxErrors(final), [], 'TAP: parses cleanly');
    t.equal(final.ok, false);
    t.equal(XMLValidator.validate(readFileSync(join(dir, 'results', 'latest', 'junit.xml'), 'utf8')), true, 'JUnit: valid XML');
    await runKcidb(join(dir, 'results', 'latest'));
  },
);
