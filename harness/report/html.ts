import { sanitizeLine, sanitizeText } from '../console/sanitize.js';
import { shellQuote } from '../host/command.js';
import { hex } from '../verdict/virtio-ids.js';
import { PROBE } from '../test-kinds/probe/probe.js';
import { isFailing, judgedNodes, leafCounts, nodesOf, type TestNode } from '../verdict/tree.js';
import { VERDICTS, type DeviceOutcome } from '../verdict/types.js';
import { cellMark, deviceBarText, retriesText, secondsText, verdictCountsText } from './summary.js';
import { expectationText } from './expectation-text.js';
import type { CellRecord, KernelRecord, RunResults } from './types.js';

/**
 * The console text embedded for each cell, read by the caller from the run
 * folder. A cell missing from the map shows its console tail instead.
 */
export type CellConsoles = ReadonlyMap<string, string>;

export interface HtmlOptions {
  /**
   * Console bytes embedded per cell; a longer log keeps its head and tail
   * (the agent's records are at the end) and links the full file. Bounds
   * the page for matrices of hundreds of cells.
   */
  consoleBudget?: number;
}

const DEFAULT_CONSOLE_BUDGET = 96 * 1024;

/**
 * index.html: one self-contained page (no script, no network). Kernels are
 * rows, VMM x transport are columns; each cell links to a detail panel that
 * CSS `:target` shows, so a cell's address is `index.html#c-<cell id>` and
 * works in any browser, with scripts off, and from a saved copy.
 */
export function renderHtml(results: RunResults, consoles: CellConsoles = new Map(), options: HtmlOptions = {}): string {
  const budget = options.consoleBudget ?? DEFAULT_CONSOLE_BUDGET;
  const title = `kvmatrix ${results.matrix.name}: run ${results.runId}`;
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head><body>',
    header(results, title),
    unexpectedList(results.cells),
    grid(results),
    kernelTable(results.kernels),
    '<div class="details">',
    ...results.cells.map((cell) => cellDetail(cell, consoles.get(cell.id), budget)),
    '</div>',
    '</body></html>',
    '',
  ].join('\n');
}

/** The fragment a cell's detail panel answers to. */
export function cellAnchor(cellId: string): string {
  return `c-${cellId}`;
}

/** The grid's columns: one per VMM entry and transport, in matrix order. */
export interface GridColumn {
  vmm: string;
  vmmType: CellRecord['vmmType'];
  topology: CellRecord['topology'];
  transport: CellRecord['transport'];
}

export function gridColumns(cells: readonly CellRecord[]): GridColumn[] {
  const seen = new Map<string, GridColumn>();
  for (const c of cells) {
    const key = `${c.vmm}/${c.transport}`;
    if (!seen.has(key)) seen.set(key, { vmm: c.vmm, vmmType: c.vmmType, topology: c.topology, transport: c.transport });
  }
  // columns of one VMM side by side, VMMs in order of first appearance
  const vmmOrder = [...new Set(cells.map((c) => c.vmm))];
  return [...seen.values()].sort((a, b) => vmmOrder.indexOf(a.vmm) - vmmOrder.indexOf(b.vmm));
}

function header(results: RunResults, title: string): string {
  const s = results.summary;
  const v = s.byVerdict;
  const host = results.host;
  return [
    `<header><h1>${esc(title)}</h1>`,
    results.matrix.description ? `<p>${esc(results.matrix.description)}</p>` : '',
    results.interrupted
      ? `<p class="bad" id="interrupted">Interrupted by ${esc(results.interrupted)}: cells that had not finished are errors, marked interrupted.</p>`
      : '',
    `<p class="meta">matrix file ${esc(results.matrix.file)}; started ${esc(results.startedAt)}, finished ${esc(results.finishedAt)}; ` +
      `host ${esc(host.arch)}, ${esc(host.qemu ?? 'no QEMU')}, ${esc(host.accel)}; kvmatrix ${esc(host.kvmatrix)}</p>`,
    `<p class="counts" id="counts">${s.total} cells: ${s.asExpected} as expected, ${s.unexpected > 0 ? `<strong>${s.unexpected} not</strong>` : '0 not'}, ${s.skipped} skipped ` +
      `(${verdictCountsText(v)})</p>`,
    '<p class="legend">' +
      VERDICTS.map((verdict) => `<span class="v-${verdict}">${verdict}</span>`).join(' ') +
      ' <span class="unexpected legend-unexpected">FAIL \u2260pass</span> not as the matrix expects (here: fails, expected to pass)</p>',
    '</header>',
  ].join('\n');
}

function unexpectedList(cells: readonly CellRecord[]): string {
  const unexpected = cells.filter((c) => c.status === 'unexpected');
  if (unexpected.length === 0) return '<section id="unexpected"><p>Every cell that ran went as the matrix expects.</p></section>';
  const items = unexpected.map(
    (c) =>
      `<li><a href="#${esc(cellAnchor(c.id))}">${esc(c.id)}</a>: ${esc(c.verdict)}, expected ${esc(c.expected)}` +
      (c.reasons[0] ? ` — ${esc(sanitizeLine(c.reasons[0]))}` : '') +
      '</li>',
  );
  return `<section id="unexpected"><h2>Not as expected (${unexpected.length})</h2><ul>\n${items.join('\n')}\n</ul></section>`;
}

function grid(results: RunResults): string {
  const columns = gridColumns(results.cells);
  const kernels = [...new Set(results.cells.map((c) => c.kernel))];
  const byKey = new Map(results.cells.map((c) => [`${c.kernel}/${c.vmm}/${c.transport}`, c]));
  const kernelRecords = new Map(results.kernels.map((k) => [k.id, k]));

  const vmmGroups: { vmm: string; span: number; column: GridColumn }[] = [];
  for (const column of columns) {
    const last = vmmGroups.at(-1);
    if (last && last.vmm === column.vmm) last.span++;
    else vmmGroups.push({ vmm: column.vmm, span: 1, column });
  }
  const head = [
    '<tr><th rowspan="2" class="corner">kernel</th>' +
      vmmGroups
        .map(
          (g) =>
            `<th colspan="${g.span}" scope="colgroup">${esc(g.vmm)}<br><small>${esc(g.column.vmmType)}, ${esc(g.column.topology)}</small></th>`,
        )
        .join('') +
      '</tr>',
    `<tr>${columns.map((c) => `<th scope="col">${esc(c.transport)}</th>`).join('')}</tr>`,
  ];
  const rows = kernels.map((kernel) => {
    const record = kernelRecords.get(kernel);
    const label = `<th scope="row">${esc(kernel)}${kernelNote(record)}</th>`;
    const tds = columns.map((col) => {
      const cell = byKey.get(`${kernel}/${col.vmm}/${col.transport}`);
      if (!cell) return '<td class="empty">-</td>';
      const expectedFail = cell.status === 'as-expected' && cell.verdict === 'fail';
      const classes = [`v-${cell.verdict}`, cell.status === 'unexpected' ? 'unexpected' : '', expectedFail ? 'expected' : '']
        .filter(Boolean)
        .join(' ');
      const tip = `${cell.id}: ${cellMark(cell)}${cell.reasons[0] ? `\n${sanitizeLine(cell.reasons[0])}` : ''}`;
      const counts = testCountsText(cell);
      return (
        `<td class="${classes}"><a href="#${esc(cellAnchor(cell.id))}" title="${esc(tip)}" data-cell="${esc(cell.id)}">${esc(gridMark(cell))}` +
        `${counts ? `<br><small class="tests">${esc(counts)}</small>` : ''}</a></td>`
      );
    });
    return `<tr>${label}${tds.join('')}</tr>`;
  });
  return `<section id="grid"><table class="grid"><thead>\n${head.join('\n')}\n</thead><tbody>\n${rows.join('\n')}\n</tbody></table></section>`;
}

/**
 * The grid's short word: the verdict, `fail (expected)` as the terminal's
 * table has it for a failure the matrix expects (the cell's own, or every
 * failing test's), and for a cell that went against the matrix, in
 * capitals with what was expected. Kept short so that ten columns fit a
 * screen; the tooltip and the panel say it in full.
 */
export function gridMark(cell: Pick<CellRecord, 'verdict' | 'status' | 'expected'>): string {
  if (cell.status === 'unexpected') return `${cell.verdict.toUpperCase()} \u2260${cell.expected}`;
  return cell.status === 'as-expected' && cell.verdict === 'fail' ? 'fail (expected)' : cell.verdict;
}

/**
 * "kunit 105/105" for the grid: each test kind but the probe (whose devices
 * the panel shows), tests passed of those that ran (skips left out).
 */
export function testCountsText(cell: Pick<CellRecord, 'tests'>): string {
  return (cell.tests ?? [])
    .filter((kind) => kind.name !== PROBE)
    .map((kind) => {
      const c = leafCounts([kind]);
      return `${kind.name} ${c.pass}/${c.total - c.skip}`;
    })
    .join(', ');
}

function kernelNote(record: KernelRecord | undefined): string {
  if (!record) return '';
  if (!record.ok) return `<br><small class="bad">not built (${esc(record.stage ?? 'unknown stage')})</small>`;
  if (record.commit) return `<br><small>${esc(record.commit.id.slice(0, 12))} ${esc(sanitizeLine(record.commit.subject))}</small>`;
  return '';
}

function kernelTable(kernels: readonly KernelRecord[]): string {
  if (kernels.length === 0) return '';
  const rows = kernels.map((k) => {
    const outcome = k.ok
      ? k.cached
        ? 'from the cache'
        : 'built'
      : `failed at ${esc(k.stage ?? '?')}${k.ended && k.ended !== 'failed' ? ` (${esc(k.ended)})` : ''}`;
    const failure = k.ok
      ? ''
      : `<div>${esc(sanitizeLine(k.message ?? ''))}</div>${k.hint ? `<div>hint: ${esc(sanitizeLine(k.hint))}</div>` : ''}` +
        (k.logTail?.length ? `<pre>${esc(sanitizeText(k.logTail.slice(0, 15).join('\n')))}</pre>` : '');
    return (
      `<tr class="${k.ok ? '' : 'v-error'}"><th scope="row">${esc(k.id)}</th><td>${outcome}</td><td>${secondsText(k.durationMs)}</td>` +
      `<td><code>${esc(k.source ?? '')}</code>${k.commit ? `<br>${esc(k.commit.id)} ${esc(sanitizeLine(k.commit.subject))}` : ''}</td>` +
      `<td>${kernelLinks(k)}${failure}</td></tr>`
    );
  });
  return `<section id="kernels"><h2>Kernels</h2><table class="kernels"><thead><tr><th>kernel</th><th>outcome</th><th>time</th><th>source</th><th>log</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table></section>`;
}

/** The kernel's files: those the run folder keeps, relative to the page, so they open wherever the folder is published. */
function kernelLinks(k: KernelRecord): string {
  const kept = k.artifacts ?? {};
  const log = kept.buildLog ?? k.buildLog;
  const links = [
    ...(log ? [`<a href="${esc(log)}">build log</a>`] : []),
    ...(kept.config ? [`<a href="${esc(kept.config)}">config</a>`] : []),
    ...(kept.image ? [`<a href="${esc(kept.image)}">Image</a>`] : []),
  ];
  return links.join(' · ');
}

function cellDetail(cell: CellRecord, consoleText: string | undefined, budget: number): string {
  const parts = [
    `<section class="detail" id="${esc(cellAnchor(cell.id))}" data-cell="${esc(cell.id)}">`,
    '<p class="close"><a href="#grid">close</a></p>',
    `<h2>${esc(cell.id)}</h2>`,
    `<p class="verdict v-${cell.verdict}${cell.status === 'unexpected' ? ' unexpected' : ''}">verdict <strong>${esc(cell.verdict)}</strong>, ` +
      `expected ${esc(cell.expected)}: ${esc(statusWords(cell))}</p>`,
    `<p>${esc(cell.vmm)} (${esc(cell.vmmType)}, ${esc(cell.topology)} topology), ${esc(cell.transport)} virtio-pci, kernel ${esc(cell.kernel)}</p>`,
    cell.expectedBy || cell.expectedWhy ? `<p>${esc(sanitizeLine(expectationText(cell)))}</p>` : '',
    cell.reasons.length
      ? `<h3>Reasons</h3><ul class="reasons">${cell.reasons.map((r) => `<li>${esc(sanitizeLine(r))}</li>`).join('')}</ul>`
      : '',
    cell.hint ? `<p class="hint">hint: ${esc(sanitizeLine(cell.hint))}</p>` : '',
    deviceTable(cell.devices),
    testsSection(cell),
    incidents(cell),
    retried(cell),
    repeats(cell),
    timings(cell),
    reproduce(cell),
    kvmtool(cell),
    consoleBlock(cell, consoleText, budget),
    '</section>',
  ];
  return parts.filter(Boolean).join('\n');
}

function statusWords(cell: CellRecord): string {
  if (cell.status === 'skipped') return 'not run';
  if (cell.status === 'as-expected' && cell.verdict === 'fail' && cell.expected === 'pass')
    return 'as expected: each test that failed is one the matrix expects to fail';
  return cell.status === 'as-expected' ? 'as expected' : 'NOT as expected';
}

function deviceTable(devices: readonly DeviceOutcome[]): string {
  if (devices.length === 0) return '';
  const rows = devices.map((d) => {
    const barText = deviceBarText(d) ?? 'none';
    const driver = [d.pciDriver, d.virtioDriver].filter(Boolean).join(' / ') || 'none';
    const status = d.status === null ? '-' : `${hex(d.status)} ${d.statusNames.join('|')}`;
    const check = d.check ? `${d.check.result}: ${sanitizeLine(d.check.detail)}` : '-';
    return (
      `<tr class="${d.problems.length ? 'v-fail' : ''}"><td>${esc(d.name)}</td><td>${esc(d.bdf ?? 'absent')}</td><td>${esc(d.kind)}${d.presented ? ` (${esc(d.presented)})` : ''}</td>` +
      `<td class="bar">${esc(barText)}</td><td>${esc(driver)}</td><td>${esc(status)}</td><td>${esc(check)}</td>` +
      `<td>${d.problems.map((p) => esc(sanitizeLine(p))).join('<br>')}</td></tr>`
    );
  });
  return (
    '<h3>Devices</h3><table class="devices"><thead><tr><th>device</th><th>bdf</th><th>type</th><th>BAR0</th><th>driver</th><th>status</th><th>I/O check</th><th>problems</th></tr></thead>' +
    `<tbody>\n${rows.join('\n')}\n</tbody></table>`
  );
}

/** Lines of a failing test's log shown on the panel; its console has them all. */
const PANEL_LOG_LINES = 60;

/**
 * The cell's tree: the tests that did not go as expected first, each with
 * its reasons and console lines, then every test kind with its suites as
 * folded lists (details elements: no script).
 */
function testsSection(cell: CellRecord): string {
  const tests = cell.tests ?? [];
  if (tests.length === 0) return '';
  const alone = judgedNodes(tests);
  const first = [
    ...alone.filter((n) => n.status === 'unexpected'),
    ...alone.filter((n) => n.status !== 'unexpected' && isFailing(n.verdict)),
  ];
  const summary = tests.map((kind) => {
    const c = leafCounts([kind]);
    return `<li><code>${esc(kind.name)}</code>: ${c.pass} passed, ${c.fail} failed, ${c.skip} skipped of ${c.total}</li>`;
  });
  const failing = first.map(
    (n) =>
      `<div class="test v-${n.verdict}${n.status === 'unexpected' ? ' unexpected' : ''}" id="${esc(`t-${cell.id}-${n.path}`)}">` +
      `<p><code>${esc(n.path)}</code>: ${esc(n.verdict)}${n.status === 'unexpected' ? ', NOT as expected' : `, as expected (${esc(sanitizeLine(expectationText(n)))})`}</p>` +
      (n.reasons.length ? `<ul class="reasons">${n.reasons.map((r) => `<li>${esc(sanitizeLine(r))}</li>`).join('')}</ul>` : '') +
      ((n.incidents ?? []).length
        ? `<p>${(n.incidents ?? []).map((i) => `line ${i.line}: ${esc(i.kind)}: ${esc(sanitizeLine(i.summary))}`).join('<br>')}</p>`
        : '') +
      (n.notes?.length ? `<ul class="notes">${n.notes.map((note) => `<li>${esc(sanitizeLine(note))}</li>`).join('')}</ul>` : '') +
      (n.log.length ? `<pre class="log">${esc(sanitizeText(n.log.slice(-PANEL_LOG_LINES).join('\n')))}</pre>` : '') +
      '</div>',
  );
  const kinds = tests.map((kind) => `<h4>${esc(kind.name)}</h4>${treeList(kind.children)}`);
  return [
    '<h3>Tests</h3>',
    `<ul class="test-counts">${summary.join('')}</ul>`,
    failing.length ? `<h4>Not passed</h4>${failing.join('\n')}` : '',
    ...kinds,
  ].join('\n');
}

/** Suites as folded lists of their cases, the lists of those with a failing case open. */
function treeList(nodes: readonly TestNode[]): string {
  const items = nodes.map((n) => {
    const mark = `<span class="v-${n.verdict}">${esc(n.verdict)}</span>${n.status === 'unexpected' ? ' <strong>NOT as expected</strong>' : ''}`;
    const notes = n.notes?.length ? `<ul class="notes">${n.notes.map((note) => `<li>${esc(sanitizeLine(note))}</li>`).join('')}</ul>` : '';
    if (n.children.length === 0) return `<li>${esc(n.name)} ${mark}${notes}</li>`;
    const c = leafCounts([n]);
    const open = nodesOf(n.children).some((x) => x.status === 'unexpected' || isFailing(x.verdict)) ? ' open' : '';
    return `<li><details${open}><summary>${esc(n.name)} ${mark} (${c.pass} passed, ${c.fail} failed, ${c.skip} skipped)</summary>${notes}${treeList(n.children)}</details></li>`;
  });
  return `<ul class="tree">${items.join('')}</ul>`;
}

function incidents(cell: CellRecord): string {
  if (cell.incidents.length === 0) return '';
  return `<h3>Console incidents</h3><ul>${cell.incidents.map((i) => `<li>line ${i.line}: ${esc(i.kind)}: ${esc(sanitizeLine(i.summary))}</li>`).join('')}</ul>`;
}

function retried(cell: CellRecord): string {
  if (!cell.retried?.length) return '';
  const items = cell.retried.map(
    (a, i) =>
      `<li>attempt ${i + 1}: ${esc(a.verdict)}: ${esc(sanitizeLine(a.reasons[0] ?? ''))}${a.console ? ` (<a href="${esc(a.console)}">its console</a>)` : ''}</li>`,
  );
  return `<h3>Retried</h3><p>Earlier boots ended in an error and the cell was booted again; the verdict above is the last boot's.</p><ol>${items.join('')}</ol>`;
}

/** Every boot of a repeated cell, with its own verdict, console and reproduce script. */
function repeats(cell: CellRecord): string {
  if (!cell.repeats?.length) return '';
  const shown = cell.repeats.find((r) => r.console !== null && r.console === cell.console)?.boot;
  const items = cell.repeats.map((r) => {
    // the boot shown has its console and reproduce script below already
    const links =
      r.boot === shown
        ? 'shown on this panel'
        : [r.console ? `<a href="${esc(r.console)}">console</a>` : '', r.reproduce ? `<a href="${esc(r.reproduce)}">reproduce.sh</a>` : '']
            .filter(Boolean)
            .join(', ');
    const failing = r.devices.filter((d) => d.problems.length > 0).map((d) => `${d.name}: ${d.problems[0]}`);
    return (
      `<li class="boot"><span class="v-${r.verdict}">${esc(r.verdict)}</span>${r.bootMs !== null ? ` in ${secondsText(r.bootMs)}` : ''}${retriesText(r.retried)}` +
      `${r.reasons[0] ? `: ${esc(sanitizeLine(r.reasons[0]))}` : ''}${failing.length ? `<br>${failing.map((f) => esc(sanitizeLine(f))).join('<br>')}` : ''}` +
      `${links ? ` (${links})` : ''}</li>`
    );
  });
  const which = shown
    ? `The devices, timings and console on this panel are boot ${shown}'s${cell.status === 'unexpected' ? ', the first that went against the matrix' : ''}.`
    : '';
  return `<h3>Boots</h3><p>This cell was booted ${cell.repeats.length} times. ${which}</p><ol class="boots">${items.join('')}</ol>`;
}

function timings(cell: CellRecord): string {
  const t = cell.timings;
  const items = [
    t.bootMs !== null ? `boot ${secondsText(t.bootMs)}` : null,
    t.firstOutputMs !== null ? `first console byte ${secondsText(t.firstOutputMs)}` : null,
    t.initStarted !== null ? `init at ${t.initStarted.toFixed(2)} s guest time` : null,
    t.agentDone !== null ? `agent done at ${t.agentDone.toFixed(2)} s guest time` : null,
  ].filter((x): x is string => x !== null);
  return items.length ? `<p class="timings">${esc(items.join(', '))}</p>` : '';
}

function reproduce(cell: CellRecord): string {
  if (!cell.reproduce && !cell.command) return '';
  return [
    '<h3>Reproduce</h3>',
    cell.reproduce ? `<p><a href="${esc(cell.reproduce)}">${esc(cell.reproduce)}</a> boots this cell again.</p>` : '',
    cell.command ? `<pre class="command">${esc(cell.command.map(shellQuote).join(' '))}</pre>` : '',
  ].join('\n');
}

function kvmtool(cell: CellRecord): string {
  const k = cell.kvmtool;
  if (!k) return '';
  const lines = [
    `${k.mode} lkvm ${k.lkvm.path} (from ${k.lkvm.from})`,
    k.hostKernel ? `host kernel ${k.hostKernel}` : null,
    k.kvm ? `host KVM: ${keyValues(k.kvm)}` : null,
    k.lkvmEnd ? `lkvm ended: ${keyValues(k.lkvmEnd)}` : null,
    ...(k.lkvmStderr ?? []).map((l) => `lkvm: ${l}`),
    ...(k.hostIncidents ?? []).map((i) => `host line ${i.line}: ${i.kind}: ${i.summary}`),
  ].filter((x): x is string => x !== null);
  return (
    `<h3>kvmtool</h3><pre>${esc(sanitizeText(lines.join('\n')))}</pre>` +
    `<pre class="command">lkvm ${esc(k.lkvmArgs.map(shellQuote).join(' '))}</pre>` +
    (k.guestConsole ? `<p><a href="${esc(k.guestConsole)}">guest console without the host's lines</a></p>` : '')
  );
}

/** `state=ok api=12` from a record's fields, leaving out the empty ones. */
function keyValues(record: object): string {
  return Object.entries(record)
    .filter(([, v]) => v !== null && v !== '')
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
}

function consoleBlock(cell: CellRecord, text: string | undefined, budget: number): string {
  if (cell.console === null) return '<h3>Console</h3><p>Never booted: no console.</p>';
  const link = `<a href="${esc(cell.console)}">${esc(cell.console)}</a>`;
  const note = cell.consoleTruncated ? ` The harness kept the first ${cell.consoleCapBytes} bytes of it.` : '';
  if (text === undefined) {
    return (
      `<h3>Console</h3><p>Full log: ${link} (${cell.consoleBytes} bytes).${esc(note)} Its last lines:</p>` +
      `<pre class="console">${esc(sanitizeText(cell.consoleTail.join('\n')))}</pre>`
    );
  }
  const { shown, cut } = headAndTail(text, budget);
  const cutNote = cut > 0 ? ` ${cut} characters in the middle are left out here.` : '';
  return (
    `<h3>Console</h3><p>Full log: ${link} (${cell.consoleBytes} bytes).${esc(note + cutNote)}</p>` +
    `<pre class="console">${esc(sanitizeText(shown))}</pre>`
  );
}

/** The text whole when it fits; else its head and its tail, cut at line ends. */
export function headAndTail(text: string, budget: number): { shown: string; cut: number } {
  if (text.length <= budget) return { shown: text, cut: 0 };
  const headEnd = text.lastIndexOf('\n', Math.floor(budget / 4));
  const head = text.slice(0, headEnd > 0 ? headEnd + 1 : Math.floor(budget / 4));
  const tailFrom = text.indexOf('\n', text.length - (budget - head.length));
  const tail = text.slice(tailFrom >= 0 ? tailFrom + 1 : text.length - (budget - head.length));
  const cut = text.length - head.length - tail.length;
  return { shown: `${head}[... ${cut} characters left out ...]\n${tail}`, cut };
}

/** Text and attribute values alike: every character HTML gives meaning to. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1rem;color:#111;background:#fff}
h1{font-size:1.3rem;margin:.2rem 0}h2{font-size:1.1rem}h3{font-size:1rem;margin:.8rem 0 .3rem}
.meta{color:#555}.counts strong{color:#a00}
table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}
.grid thead th{position:sticky;top:0;background:#f4f4f4;z-index:1}
.grid thead tr:nth-child(2) th{top:2.6em}
.grid tbody th{position:sticky;left:0;background:#f8f8f8;white-space:nowrap}
.grid td{white-space:nowrap;padding:0}.grid td a{display:block;padding:3px 6px;color:inherit;text-decoration:none}
.grid td a:hover,.grid td a:focus{outline:2px solid #225}
.v-pass{background:#d8f0d8}.v-fail,.v-crashed{background:#f6d0d0}td.v-fail.expected{background:repeating-linear-gradient(135deg,#f6d0d0 0 6px,#fbeaea 6px 12px)}.v-error{background:#f3e0b8}.v-timeout{background:#e6d4f2}.v-skip{background:#e8e8e8;color:#555}.v-flaky{background:repeating-linear-gradient(135deg,#f6d0d0 0 6px,#fbe9c6 6px 12px)}
.legend span{padding:1px 6px;margin-right:4px;border-radius:3px}
.unexpected{outline:3px solid #c00;outline-offset:-3px;font-weight:bold}
.legend-unexpected{background:#fff}
.bad{color:#a00}
pre{background:#f6f6f6;padding:6px;overflow:auto;white-space:pre-wrap;word-break:break-all}
pre.console{max-height:60vh;white-space:pre;word-break:normal;font-size:12px}
.details .detail{display:none}
.details .detail:target{display:block;position:fixed;top:0;right:0;bottom:0;width:min(70rem,92vw);overflow:auto;background:#fff;
  border-left:3px solid #333;padding:0 1rem 1rem;box-shadow:-6px 0 16px rgba(0,0,0,.25);z-index:2}
.close{float:right;margin:.6rem 0}
.grid td small.tests{font-weight:normal;font-size:11px}
.test{margin:.4rem 0;padding:2px 6px}.test pre.log{max-height:30vh;font-size:12px;white-space:pre}
ul.tree{list-style:none;padding-left:1rem;margin:.2rem 0}ul.tree span{padding:0 4px;border-radius:3px;font-size:12px}
.devices{width:100%}.devices td{overflow-wrap:anywhere}.devices td:nth-child(-n+4){white-space:nowrap;overflow-wrap:normal}.devices td.bar{font-family:monospace}
`;
