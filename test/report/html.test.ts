import t from 'tap';
import { cellAnchor, esc, gridColumns, gridMark, headAndTail, renderHtml } from '../../harness/report/html.js';
import { cellMark } from '../../harness/report/summary.js';
import { mixedRun } from '../support/results.js';

t.test('the grid has a column per VMM and transport, in matrix order, and a row per kernel', async (t) => {
  const results = mixedRun();
  const columns = gridColumns(results.cells).map((c) => `${c.vmm}/${c.transport}`);
  t.same(columns, ['qemu-flat/legacy', 'qemu-flat/modern', 'qemu-bridged/legacy', 'qemu-bridged/modern', 'kvmtool/legacy']);
  const html = renderHtml(results);
  const rows = html.match(/<tr><th scope="row">[a-z]+/g)!.map((r) => r.slice(r.lastIndexOf('>') + 1));
  t.same(rows, ['patched', 'unpatched']);
  // unpatched has no kvmtool cell in this run: its place shows a dash
  t.match(html, /<td class="empty">-<\/td>/);
});

t.test('every cell links to its own detail panel, and unexpected cells are marked and listed', async (t) => {
  const results = mixedRun();
  const html = renderHtml(results);
  for (const c of results.cells) {
    t.match(html, `href="#${cellAnchor(c.id)}"`, `${c.id} is linked`);
    t.match(html, `<section class="detail" id="${cellAnchor(c.id)}"`, `${c.id} has a panel`);
  }
  const unexpectedTds = html.match(/<td class="v-[a-z]+ unexpected">/g) ?? [];
  t.equal(unexpectedTds.length, results.summary.unexpected);
  t.match(html, `Not as expected (${results.summary.unexpected})`);
  t.match(
    html,
    /<td class="v-fail expected"><a [^>]*title="unpatched\/qemu-bridged\/legacy: fail \(expected\)[^>]*>fail \(expected\)<\/a>/,
    "an expected failure says so, as the terminal's table does",
  );
  t.equal(
    gridMark({ verdict: 'fail', status: 'as-expected', expected: 'pass' }),
    'fail (expected)',
    'a cell whose failing tests were all expected to fail, too',
  );
  t.equal(
    cellMark({ verdict: 'fail', status: 'as-expected', expected: 'pass' }),
    gridMark({ verdict: 'fail', status: 'as-expected', expected: 'pass' }),
    'the page and the terminal in the same words',
  );
  t.match(html, /<td class="v-pass unexpected"><a [^>]*>PASS \u2260fail<\/a>/, 'a pass where a failure was expected is marked');
});

t.test('hostile console text and reasons come out as text, never as markup or control characters', async (t) => {
  const results = mixedRun();
  results.cells[0]!.reasons = ['<script>alert(1)</script> & "quoted" \'single\''];
  const consoles = new Map([[results.cells[0]!.id, 'boot\x1b[31m red\x00 </pre><img src=x onerror=alert(2)>\n']]);
  const html = renderHtml(results, consoles);
  t.notMatch(html, /<script/i);
  t.notMatch(html, /<img/i);
  t.match(html, '&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot; &#39;single&#39;');
  t.match(html, 'boot red &lt;/pre&gt;&lt;img src=x onerror=alert(2)&gt;');
  t.notMatch(html, /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/, 'no control characters');
});

t.test('a console over the budget keeps its head and tail, cut at line ends, and says so', async (t) => {
  const lines = Array.from({ length: 2000 }, (_, i) => `line ${String(i).padStart(4, '0')}`);
  const text = `${lines.join('\n')}\n`;
  const { shown, cut } = headAndTail(text, 4000);
  t.ok(shown.startsWith('line 0000\n'), 'head kept');
  t.ok(shown.endsWith('line 1999\n'), 'tail kept: the agent records are at the end');
  t.ok(cut > 0 && shown.length < 4100, `cut ${cut}, shown ${shown.length}`);
  t.match(shown, /\nline \d{4}\n\[\.\.\. \d+ characters left out \.\.\.\]\nline \d{4}\n/, 'cut at line ends');
  t.same(headAndTail('short\n', 4000), { shown: 'short\n', cut: 0 });

  const results = mixedRun();
  const html = renderHtml(results, new Map([[results.cells[0]!.id, text]]), { consoleBudget: 4000 });
  t.match(html, /characters in the middle are left out here/);
});

t.test('a cell without its console file shows the tail from results.json; a never-booted cell says so', async (t) => {
  const results = mixedRun();
  const html = renderHtml(results, new Map());
  t.match(html, 'Its last lines:');
  t.match(html, '[ 0.1] hello');
  t.match(html, 'Never booted: no console.');
});

t.test('devices show bdf, type, BAR0 kind and address, driver, status bits and the I/O check', async (t) => {
  const results = mixedRun();
  const html = renderHtml(results);
  const panel = html.slice(html.indexOf(`id="${cellAnchor('unpatched/qemu-bridged/legacy')}"`));
  const rng2 = panel.slice(panel.indexOf('<td>rng2</td>'), panel.indexOf('</tr>', panel.indexOf('<td>rng2</td>')));
  t.match(rng2, '0000:04:00.0');
  t.match(rng2, 'io 0x4000');
  t.match(rng2, '0xff');
  t.match(rng2, 'no driver bound');
  t.match(panel, 'ACKNOWLEDGE|DRIVER|DRIVER_OK');
  t.match(panel, 'ok: read 32 bytes');
  t.match(panel, '<p>expected fail: ioport_map() masks bit 14</p>');
});

t.test('a kernel that failed to build shows its stage, message and log tail', async (t) => {
  const results = mixedRun();
  results.kernels = [
    { id: 'patched', ok: true, durationMs: 1000, cached: true },
    {
      id: 'unpatched',
      ok: false,
      durationMs: 5000,
      stage: 'build',
      message: 'make exited 2',
      logTail: ['init/main.c:1:2: error: #error <broken>'],
      ended: 'failed',
    },
  ];
  const html = renderHtml(results);
  t.match(html, 'not built (build)');
  t.match(html, 'from the cache');
  t.match(html, 'init/main.c:1:2: error: #error &lt;broken&gt;');
});

t.test("a kernel's files the run folder keeps are linked relative to the page; without them, the cache's build log", async (t) => {
  const results = mixedRun();
  results.kernels = [
    {
      id: 'patched',
      ok: true,
      durationMs: 1000,
      cached: true,
      buildLog: '/cache/kernels/ab/build.log',
      artifacts: { image: 'kernels/patched/Image', config: 'kernels/patched/config', buildLog: 'kernels/patched/build.log' },
    },
    { id: 'unpatched', ok: true, durationMs: 1000, cached: true, buildLog: '/cache/kernels/cd/build.log' },
  ];
  const html = renderHtml(results);
  t.match(
    html,
    '<a href="kernels/patched/build.log">build log</a> · <a href="kernels/patched/config">config</a> · <a href="kernels/patched/Image">Image</a>',
  );
  t.notMatch(html, '/cache/kernels/ab/build.log', "the kept log, not the cache's");
  t.match(html, '<a href="/cache/kernels/cd/build.log">build log</a></td>');
});

t.test('esc covers what HTML gives meaning to', async (t) => {
  t.equal(esc(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
});

t.test('an interrupted run says so above the grid', async (t) => {
  const results = mixedRun();
  t.notMatch(renderHtml(results), /id="interrupted"/);
  results.interrupted = 'SIGINT';
  t.match(
    renderHtml(results),
    '<p class="bad" id="interrupted">Interrupted by SIGINT: cells that had not finished are errors, marked interrupted.</p>',
  );
});

t.test('a nested kvmtool cell shows its lkvm, what the host saw, the lkvm arguments and the guest console link', async (t) => {
  const results = mixedRun();
  results.cells[6] = {
    ...results.cells[6]!,
    verdict: 'pass',
    status: 'as-expected',
    reasons: [],
    console: 'cells/patched/kvmtool/legacy/console.log',
    kvmtool: {
      mode: 'nested',
      lkvm: { path: '/opt/lkvm', from: 'KVMATRIX_LKVM' },
      lkvmArgs: ['run', '--params', 'console=ttyS0 a=b'],
      hostKernel: 'patched',
      kvm: { state: 'ok', api: 12, randomWait: 1.1, detail: '' },
      lkvmEnd: { result: 'exited', code: 0, signal: null, after: null, seconds: 5.2, guestBytes: 11562, detail: '' },
      guestConsole: 'cells/patched/kvmtool/legacy/guest-console.log',
    },
  };
  const html = renderHtml(results);
  t.match(html, 'nested lkvm /opt/lkvm (from KVMATRIX_LKVM)');
  t.match(html, 'host KVM: state=ok api=12 randomWait=1.1');
  t.match(html, 'lkvm ended: result=exited code=0 seconds=5.2 guestBytes=11562');
  t.match(html, 'lkvm run --params &#39;console=ttyS0 a=b&#39;');
  t.match(html, '<a href="cells/patched/kvmtool/legacy/guest-console.log">');
});
