import {
  DEFAULT_TCG_CPU,
  type Cell,
  type DeviceKind,
  type KernelSpec,
  type KvmtoolVmmSpec,
  type QemuVmmSpec,
  type Topology,
  type Transport,
} from '../../harness/matrix/types.js';
import { deviceSlots } from '../../harness/matrix/expand.js';

export const testKernel: KernelSpec = {
  id: 'patched',
  definitionFile: '/k/debian-6.1.yaml',
  source: { kind: 'tarball', path: '/usr/src/linux-source-6.1.tar.xz' },
  arch: 'arm64',
  crossCompile: 'aarch64-linux-gnu-',
  config: { base: 'tinyconfig', fragments: [] },
  patches: [],
};

/** A QEMU cell as the matrix expander would make it. */
export function qemuCell(
  topology: Topology,
  transport: Transport,
  devices: DeviceKind[] = ['rng', 'net', 'blk'],
  ports = 6,
): Cell & { vmm: QemuVmmSpec } {
  const vmm: QemuVmmSpec = {
    id: `qemu-${topology}`,
    type: 'qemu',
    topology,
    ports,
    binary: 'qemu-system-aarch64',
    tcgCpu: DEFAULT_TCG_CPU,
  };
  return {
    id: `${testKernel.id}/${vmm.id}/${transport}`,
    kernel: testKernel,
    vmm,
    transport,
    topology,
    devices: deviceSlots(vmm, devices),
    expect: { verdict: 'pass' },
    leafExpect: [],
    boot: { timeoutSec: 60, memoryMiB: 256, cpus: 1, consoleCapBytes: 1 << 22, append: '', retries: 1, repeat: 1 },
    tests: [{ kind: 'probe' }],
  };
}

/** A kvmtool cell as the matrix expander would make it. */
export function kvmtoolCell(
  transport: Transport,
  devices: DeviceKind[] = ['rng', 'net', 'blk'],
  vmmOverrides: Partial<KvmtoolVmmSpec> = {},
): Cell & { vmm: KvmtoolVmmSpec } {
  const vmm: KvmtoolVmmSpec = {
    id: 'kvmtool',
    type: 'kvmtool',
    mode: 'auto',
    transportFlag: 'virtio-transport',
    hostKernel: 'patched',
    qemuBinary: 'qemu-system-aarch64',
    ...vmmOverrides,
  };
  return {
    id: `${testKernel.id}/${vmm.id}/${transport}`,
    kernel: testKernel,
    vmm,
    transport,
    topology: 'flat',
    devices: deviceSlots(vmm, devices),
    expect: { verdict: 'pass' },
    leafExpect: [],
    boot: { timeoutSec: 60, memoryMiB: 256, cpus: 1, consoleCapBytes: 1 << 22, append: '', retries: 1, repeat: 1 },
    tests: [{ kind: 'probe' }],
  };
}

/** A QEMU cell that runs KUnit only (no devices), with the given filter. */
export function kunitCell(filter: string | null = null): Cell & { vmm: QemuVmmSpec } {
  const kunitconfig = { file: '/m/kunit.kunitconfig', lines: [{ line: 1, text: 'CONFIG_KUNIT=y' }] };
  return { ...qemuCell('flat', 'modern', []), kernel: { ...testKernel, kunitconfig }, tests: [{ kind: 'kunit', kunitconfig, filter }] };
}
