import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { Parser } from 'tap-parser';
import { parseTap, tapSyntaxErrors } from '../support/tap.js';
import { renderJunit } from '../../harness/report/junit.js';
import { renderReproduceScript } from '../../harness/report/reproduce.js';
import { cellMark, renderSummary, runExitCode } from '../../harness/report/summary.js';
import { renderTap } from '../../harness/report/tap.js';
import { mixedRun } from '../support/results.js';
import { tempTree } from '../support/temp-tree.js';

t.test('TAP 14 parses cleanly and its counts agree with the results', async (t) => {
  const results = mixedRun();
  const tap = renderTap(results);
  t.match(tap, /^TAP version 14\n/);
  const { final, asserts } = await parseTap(tap);
  t.equal(final.ok, false, 'a run with unexpected cells is not ok');
  t.equal(final.count, results.cells.length);
  t.equal(final.fail, results.summary.unexpected);
  t.equal(final.skip, results.summary.skipped);
  t.equal(final.pass, results.summary.asExpected + results.summary.skipped);
  t.same(tapSyntaxErrors(final), [], 'no TAP syntax errors');
  t.equal(final.plan.end, results.cells.length);
  t.match(asserts[1]!.name, /unpatched\/qemu-bridged\/legacy: fails as expected/);
  t.match(asserts[6]!.skip, /no lkvm given/);
});

t.test('TAP diagnostics are valid YAML with the reasons, for not-ok and expected failures', async (t) => {
  const results = mixedRun();
  const tap = renderTap(results);
  const blocks: Record<string, unknown>[] = [];
  const p = new Parser();
  p.on('assert', (a: { diag?: Record<string, unknown> }) => a.diag && blocks.push(a.diag));
  await new Promise<void>((resolve) => {
    p.on('complete', () => resolve());
    p.end(tap);
  });
  t.equal(blocks.length, 5, 'one for the expected failure and one per unexpected cell');
  const expectedFailure = blocks[0]!;
  t.equal(expectedFailure.verdict, 'fail');
  t.equal(expectedFailure.why_expected, 'ioport_map() masks bit 14');
  t.same(
    (expectedFailure.devices as { bar0: string }[]).map((d) => d.bar0),
    ['io 0x4000'],
  );
  t.notMatch(tap, /\x1b|\x00/, 'no control characters leak into TAP');
});

t.test('an all-green run is ok as a whole', async (t) => {
  const results = mixedRun();
  results.cells = results.cells.filter((c) => c.status !== 'unexpected');
  const { final } = await parseTap(renderTap(results));
  t.equal(final.ok, true);
  t.equal(final.fail, 0);
});

t.test('JUnit is well-formed XML and its counts agree with the results', async (t) => {
  const results = mixedRun();
  const xml = renderJunit(results);
  t.equal(XMLValidator.validate(xml), true);
  t.notMatch(xml, /[\x00-\x08\x0b\x0c\x0e-\x1f]/, 'nothing XML 1.0 forbids');
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
  const suite = doc.testsuites.testsuite;
  const cases = suite.testcase as Record<string, unknown>[];
  t.equal(cases.length, results.cells.length);
  // the totals a reader sees must be the testcases it reads, counted here from the parsed document
  const counted = {
    tests: cases.length,
    failures: cases.filter((c) => c.failure !== undefined).length,
    errors: cases.filter((c) => c.error !== undefined).length,
    skipped: cases.filter((c) => c.skipped !== undefined).length,
  };
  // a skip, and the cell that failed as the matrix expects: <skipped> too, as an xfail
  t.same(counted, { tests: 7, failures: 3, errors: 1, skipped: 2 });
  for (const [what, element] of [
    ['testsuite', suite],
    ['testsuites', doc.testsuites],
  ] as const) {
    t.same(
      {
        tests: Number(element.tests),
        failures: Number(element.failures),
        errors: Number(element.errors),
        skipped: Number(element.skipped),
      },
      counted,
      `${what} totals are the testcases' own`,
    );
  }
  t.equal(cases[0]!.classname, 'murray.patched');
  t.equal(cases[0]!.name, 'qemu-flat/legacy');
  t.match(String(cases[2]!['system-out']), /bad  bytes \]\]> <\/system-out>/, 'text that looks like markup stays text');
  t.equal((cases[5]!.failure as { type: string }).type, 'unexpected-pass');
});

t.test('exit codes: 0 all as expected, 1 any unexpected, 3 nothing booted', async (t) => {
  const results = mixedRun();
  t.equal(runExitCode(results), 1);
  t.equal(runExitCode({ cells: results.cells.filter((c) => c.status !== 'unexpected') }), 0);
  t.equal(runExitCode({ cells: results.cells.filter((c) => c.console === null) }), 3);
  t.equal(runExitCode({ cells: [] }), 3);
});

t.test('the summary grid has a row per kernel and names every unexpected cell', async (t) => {
  const text = renderSummary(mixedRun(), '/r/run');
  const lines = text.split('\n');
  t.match(lines[0]!, /^kernel\s+qemu-flat\/legacy\s+qemu-bridged\/legacy/);
  t.match(text, /^unpatched .*fail \(expected\)/m);
  t.match(
    text,
    /not as expected: patched\/qemu-flat\/modern: error, expected pass\n  could not start the VMM: ENOENT\n  hint: install qemu/,
  );
  t.match(text, /7 cells: 2 as expected, 4 not, 1 skipped/);
  t.equal(cellMark({ verdict: 'pass', status: 'unexpected', expected: 'fail' }), 'PASS (expected fail)');
});

t.test('the reproduce script quotes every argument for the shell', async (t) => {
  const script = renderReproduceScript({
    cellId: 'a/b/legacy',
    runId: 'r',
    verdict: 'fail',
    expected: 'fail',
    argv: ['qemu-system-aarch64', '-append', 'console=ttyAMA0 x=$(reboot)', '-kernel', "/it's/Image"],
    inputs: ["/it's/Image"],
  });
  t.match(script, /^#!\/bin\/sh\n/);
  t.match(script, /'console=ttyAMA0 x=\$\(reboot\)'/);
  t.match(script, /'\/it'\\''s\/Image'/);
});

t.test('the reproduce script hands a real shell every argument unchanged', async (t) => {
  const dir = tempTree({}, 'kvmatrix-repro-');
  const args = ['a b', "it's", '$(echo no)', '`x`', 'semi;colon', '*'];
  writeFileSync(join(dir, 'input.img'), '');
  const script = join(dir, 'reproduce.sh');
  writeFileSync(
    script,
    renderReproduceScript({
      cellId: 'c',
      runId: 'r',
      verdict: 'pass',
      expected: 'pass',
      argv: ['printf', '[%s]\\n', ...args],
      inputs: ['input.img'],
    }),
  );
  const out = execFileSync('sh', [script]).toString();
  t.equal(out, args.map((a) => `[${a}]\n`).join(''));
  rmSync(join(dir, 'input.img'));
  const missing = spawnSync('sh', [script]);
  t.equal(missing.status, 1);
  t.match(missing.stderr.toString(), /input\.img is missing/);
});

t.test('the reproduce script says where what it boots lives: the run folder, or the cache with --no-artifacts', async (t) => {
  const base = { cellId: 'c', runId: 'r', verdict: 'pass' as const, expected: 'pass' as const };
  const inRun = renderReproduceScript({
    ...base,
    argv: ['/opt/lkvm', 'run'],
    inputs: ['/opt/lkvm', '../../../../kernels/k/Image', 'blk1.img'],
  });
  t.match(inRun, /is in the run folder/, 'relative inputs beside the VMM binary: the run folder');
  t.match(inRun, /missing from the run folder/);
  t.notMatch(inRun, /kvmatrix build/);
  const cached = renderReproduceScript({ ...base, argv: ['qemu-system-aarch64'], inputs: ['/cache/kernels/ab/Image', 'blk1.img'] });
  t.match(cached, /lives in the kvmatrix cache/);
  t.match(cached, /rebuild with kvmatrix build/);
});

t.test('a prepare step runs in the cell folder before the command, its output to a file', async (t) => {
  const dir = tempTree({}, 'kvmatrix-repro-');
  writeFileSync(join(dir, 'base part'), 'AAAA');
  writeFileSync(join(dir, 'cell.cpio'), 'BB');
  const script = join(dir, 'reproduce.sh');
  writeFileSync(
    script,
    renderReproduceScript({
      cellId: 'c',
      runId: 'r',
      verdict: 'pass',
      expected: 'pass',
      argv: ['cat', 'host initramfs.cpio'],
      inputs: ['base part', 'cell.cpio'],
      prepare: { argv: ['cat', 'base part', 'cell.cpio'], stdout: 'host initramfs.cpio' },
    }),
  );
  t.equal(execFileSync('sh', [script], { cwd: tmpdir() }).toString(), 'AAAABB');
});

t.test('the summary lists BARs of kvmtool cells and failed cells', async (t) => {
  const results = mixedRun();
  results.cells.push({
    ...results.cells[0]!,
    id: 'patched/kvmtool/modern',
    vmm: 'kvmtool',
    vmmType: 'kvmtool',
    transport: 'modern',
    devices: [{ ...results.cells[0]!.devices[0]!, bar0: null, bars: [{ index: 4, kind: 'mem', start: 0x50000000, end: 0x50003fff }] }],
  });
  const text = renderSummary(results, '/r/run');
  t.match(text, /^  unpatched\/qemu-bridged\/legacy: rng1 io 0x1000, rng2 io 0x4000 \(failed\)$/m);
  t.match(text, /^  patched\/kvmtool\/modern: rng1 BAR4 mem 0x50000000$/m);
  t.notMatch(text, /^  patched\/qemu-flat\/legacy:/m, 'passing QEMU cells are not listed');
});
