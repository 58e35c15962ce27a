import { parseConsole } from '../../harness/console/parse.js';
import type { Expectation, LeafExpectation } from '../../harness/matrix/types.js';
import type { CellRecord, RunResults } from '../../harness/report/types.js';
import { cellRecord } from '../../harness/run/cell-record.js';
import type { KunitListing } from '../../harness/test-kinds/kunit/kunit.js';
import { parseKunitListing } from '../../harness/test-kinds/kunit/kunit-listing.js';
import { judge } from '../../harness/verdict/decide.js';
import type { LaunchOutcome } from '../../harness/vmm/types.js';
import { kunitCell } from './cells.js';
import { consoleFixture } from './fixtures.js';
import { summarize } from '../../harness/report/summary.js';
import type { DeviceOutcome } from '../../harness/verdict/types.js';
import { decideBooted } from './decide.js';

export function device(overrides: Partial<DeviceOutcome> = {}): DeviceOutcome {
  return {
    name: 'rng1',
    kind: 'rng',
    position: 1,
    bdf: '0000:00:01.0',
    pciId: '1af4:1005',
    presented: 'legacy',
    bar0: { index: 0, kind: 'io', start: 0x1000, end: 0x101f },
    bars: [{ index: 0, kind: 'io', start: 0x1000, end: 0x101f }],
    pciDriver: 'virtio-pci',
    virtioDev: 'virtio0',
    virtioDriver: 'virtio_rng',
    status: 7,
    statusNames: ['ACKNOWLEDGE', 'DRIVER', 'DRIVER_OK'],
    check: { result: 'ok', detail: 'read 32 bytes' },
    problems: [],
    ...overrides,
  };
}

export function cell(overrides: Partial<CellRecord> & Pick<CellRecord, 'id'>): CellRecord {
  const [kernel, vmm, transport] = overrides.id.split('/') as [string, string, 'legacy' | 'modern'];
  return {
    kernel,
    vmm,
    vmmType: vmm.startsWith('kvmtool') ? 'kvmtool' : 'qemu',
    transport,
    topology: vmm.includes('bridged') ? 'bridged' : 'flat',
    verdict: 'pass',
    expected: 'pass',
    status: 'as-expected',
    reasons: [],
    devices: [device()],
    incidents: [],
    timings: { bootMs: 1234, firstOutputMs: 80, kernelFirstLine: 0, initStarted: 0.5, agentDone: 0.8 },
    console: `cells/${overrides.id}/console.log`,
    consoleBytes: 9000,
    consoleTruncated: false,
    consoleCapBytes: 4 << 20,
    reproduce: `cells/${overrides.id}/reproduce.sh`,
    command: ['qemu-system-aarch64'],
    consoleTail: ['[ 0.1] hello'],
    ...overrides,
  };
}

/** A run with one cell of each kind of outcome, and hostile text in it. */
export function mixedRun(): RunResults {
  const cells: CellRecord[] = [
    cell({ id: 'patched/qemu-flat/legacy' }),
    cell({
      id: 'unpatched/qemu-bridged/legacy',
      verdict: 'fail',
      expected: 'fail',
      expectedWhy: 'ioport_map() masks bit 14',
      reasons: ['rng2 0000:04:00.0 (legacy, io BAR0 0x4000): no driver bound (virtio_rng: probe of virtio3 failed with error -2)'],
      devices: [
        device(),
        device({
          name: 'rng2',
          bdf: '0000:04:00.0',
          bar0: { index: 0, kind: 'io', start: 0x4000, end: 0x401f },
          virtioDriver: null,
          status: 0xff,
          problems: ['no driver bound'],
        }),
      ],
    }),
    cell({
      id: 'unpatched/qemu-flat/modern',
      verdict: 'fail',
      status: 'unexpected',
      reasons: ['kernel panic at console line 9: # not \x1b[31msyncing\x00 <&>'],
      consoleTail: ['\x1b[0mbad \x01 bytes ]]> </system-out>'],
    }),
    cell({
      id: 'patched/qemu-flat/modern',
      verdict: 'error',
      status: 'unexpected',
      reasons: ['could not start the VMM: ENOENT'],
      hint: 'install qemu',
      console: null,
      reproduce: null,
    }),
    cell({
      id: 'patched/qemu-bridged/modern',
      verdict: 'timeout',
      status: 'unexpected',
      reasons: ['the guest did not reach the agent within 60 s'],
    }),
    cell({
      id: 'unpatched/qemu-bridged/modern',
      verdict: 'pass',
      expected: 'fail',
      status: 'unexpected',
      reasons: ['regression signature missing: expected fail'],
    }),
    cell({
      id: 'patched/kvmtool/legacy',
      verdict: 'skip',
      status: 'skipped',
      reasons: ["no lkvm given for kvmtool: pass --lkvm PATH, set KVMATRIX_LKVM, or name lkvm: in the matrix's vmms.kvmtool"],
      console: null,
      reproduce: null,
      devices: [],
    }),
  ];
  return {
    schema: 'kvmatrix-results/1',
    runId: '20261125-070000-abcd',
    matrix: { name: 'murray', file: '/m/murray.yaml' },
    startedAt: '2026-11-25T07:00:00.000Z',
    finishedAt: '2026-11-25T07:01:00.000Z',
    host: { arch: 'x64', node: 'v20', qemu: 'QEMU emulator version 7.2.22', accel: 'tcg', kvmatrix: '0.1.0' },
    selection: { cells: [], filters: [] },
    kernels: [],
    cells,
    summary: summarize(cells),
  };
}

/**
 * A run the size of a large nightly matrix: `kernels` x 5 VMM entries x 2
 * transports, with every kind of outcome spread through it by a fixed rule.
 */
export function generatedRun(kernels: number): RunResults {
  const vmms = ['qemu-flat', 'qemu-bridged', 'qemu-wide-bridged', 'kvmtool', 'kvmtool-2020'];
  const cells: CellRecord[] = [];
  for (let k = 0; k < kernels; k++) {
    for (const vmm of vmms) {
      for (const transport of ['legacy', 'modern'] as const) {
        const n = cells.length;
        const id = `v6.${String(k).padStart(2, '0')}/${vmm}/${transport}`;
        const devices = Array.from({ length: vmm.includes('bridged') ? 6 : 3 }, (_, i) =>
          device({
            name: `rng${i}`,
            position: i,
            bdf: `0000:0${i + 1}:00.0`,
            bar0: { index: 0, kind: 'io', start: 0x1000 * (i + 1), end: 0x1000 * (i + 1) + 0x1f },
          }),
        );
        if (n % 7 === 3) {
          cells.push(
            cell({
              id,
              verdict: 'fail',
              expected: 'fail',
              reasons: [`rng5 ${devices[0]!.bdf} (legacy, io BAR0 0x6000): probe failed (cell ${n})`],
              devices: devices.map((d, i) => (i === 2 ? { ...d, status: 0x80, problems: ['FAILED'] } : d)),
            }),
          );
        } else if (n % 23 === 5) {
          cells.push(
            cell({
              id,
              verdict: 'fail',
              status: 'unexpected',
              reasons: [`rng2 regressed in cell ${n}`],
              devices: devices.map((d, i) => (i === 1 ? { ...d, status: 0x80, problems: ['FAILED'] } : d)),
            }),
          );
        } else if (n % 29 === 7) {
          cells.push(
            cell({ id, verdict: 'timeout', status: 'unexpected', reasons: ['the guest did not reach the agent within 60 s'], devices }),
          );
        } else if (vmm === 'kvmtool-2020' && k % 3 === 0) {
          cells.push(
            cell({ id, verdict: 'skip', status: 'skipped', reasons: ['no lkvm given'], console: null, reproduce: null, devices: [] }),
          );
        } else {
          cells.push(cell({ id, devices }));
        }
      }
    }
  }
  return { ...mixedRun(), runId: '20261125-080000-big0', matrix: { name: 'big', file: '/m/big.yaml' }, cells, summary: summarize(cells) };
}

/**
 * A run of KUnit cells judged from real consoles (test/fixtures/console):
 * 6.1 passing, the same console with one case expected to fail that
 * passed, and the kernel that panics inside a case, its cases named by
 * the kernel's listing.
 */
/** A KUnit cell judged from a stored console: the cell's expectation (default pass) and its tests' rules. */
export function judgeKunitFixture(
  name: string,
  id: string,
  rules: LeafExpectation[] = [],
  listing?: KunitListing,
  expect?: Expectation,
): CellRecord {
  const f = consoleFixture(name);
  const base = kunitCell();
  const c = { ...base, id, kernel: { ...base.kernel, id: id.split('/')[0]! } };
  const launch: LaunchOutcome = {
    kind: 'exited',
    code: 0,
    signal: null,
    durationMs: 1100,
    firstOutputMs: 40,
    consoleBytes: f.text.length,
    consoleTruncated: false,
    stderrTail: [],
  };
  const judged = judge(
    decideBooted(c, launch, parseConsole(f.text, { nonce: f.nonce }), listing ? { kunitListing: listing } : {}),
    expect ?? c.expect,
    rules,
  );
  return { ...cellRecord(c, judged, null), console: `cells/${id}/console.log`, reproduce: `cells/${id}/reproduce.sh` };
}

export function kunitRun(): RunResults {
  const listing = parseKunitListing(consoleFixture('kunit-6.1-listing').text.split('\n'))!;
  const cells = [
    judgeKunitFixture('kunit-6.1-pass', 'patched/qemu-flat/modern'),
    judgeKunitFixture('kunit-6.1-pass', 'known/qemu-flat/modern', [
      { test: 'kunit.list-kunit-test.list_test_list_del', verdict: 'fail', why: 'a known bug' },
    ]),
    judgeKunitFixture('kunit-6.1-panic', 'panics/qemu-flat/modern', [], listing),
  ];
  return kunitRunOf(cells);
}

/** A run of the kunit matrix holding these cells. */
export function kunitRunOf(cells: CellRecord[], runId = '20261205-080000-kun1'): RunResults {
  return {
    schema: 'kvmatrix-results/1',
    runId,
    matrix: { name: 'kunit', file: '/m/kunit.yaml' },
    startedAt: '2026-12-05T08:00:00.000Z',
    finishedAt: '2026-12-05T08:01:00.000Z',
    host: { arch: 'x64', node: 'v20', qemu: 'QEMU emulator version 7.2.22', accel: 'tcg', kvmatrix: '0.1.0' },
    selection: { cells: [], filters: [] },
    kernels: [],
    cells,
    summary: summarize(cells),
  };
}
