import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { cellKeys, deviceSlots, expectationFor, leafExpectationsFor, needsDevices, testsFor } from './expand.js';
import { InputError } from './input-error.js';
import {
  DEFAULT_TCG_CPU,
  DEVICE_KINDS,
  TOPOLOGIES,
  TRANSPORTS,
  type Cell,
  type DeviceKind,
  type KernelSpec,
  type Matrix,
  type Topology,
  type Transport,
  type VmmSpec,
} from './types.js';

/** A cell spelt out on the command line instead of named by id. */
export interface CellChoice {
  /** A kernel id of the matrix, or the path of a built arm64 Image. */
  kernel: string;
  /** A VMM id of the matrix, or `qemu` / `kvmtool` for one with the defaults. */
  vmm: string;
  transport?: string;
  topology?: string;
  /** Comma-separated device kinds, e.g. `rng,blk`. */
  devices?: string;
}

/**
 * The cell a choice describes, and the matrix extended with whatever it
 * brought (an Image file as a kernel, a VMM by type). The matrix's boot
 * settings and expectations apply. Every part that is not known is an
 * InputError naming the option and what it could have been.
 */
export function explicitCell(matrix: Matrix, choice: CellChoice): { matrix: Matrix; cell: Cell } {
  const kernel = chooseKernel(matrix, choice.kernel);
  const transport = oneOf('--transport', choice.transport ?? 'legacy', TRANSPORTS) as Transport;
  const topology = choice.topology === undefined ? undefined : (oneOf('--topology', choice.topology, TOPOLOGIES) as Topology);
  const vmm = chooseVmm(matrix, choice.vmm, topology);
  const kinds = choice.devices === undefined ? matrix.devices : parseDevices(choice.devices);
  const cellTopology = vmm.type === 'qemu' ? vmm.topology : 'flat';
  if (vmm.type === 'kvmtool' && topology === 'bridged') {
    throw new InputError('--topology bridged: kvmtool puts every device on its root bus; only flat exists under kvmtool');
  }
  const cell: Cell = {
    id: `${kernel.id}/${vmm.id}/${transport}`,
    kernel,
    vmm,
    transport,
    topology: cellTopology,
    devices: [],
    expect: { verdict: 'pass' },
    leafExpect: [],
    boot: matrix.boot,
    tests: [],
  };
  const keys = cellKeys(cell);
  // an Image given on the command line runs the matrix's tests as it is: KUnit if it has it built in
  cell.tests = testsFor(keys, matrix.tests, matrix.cellTests).tests;
  cell.devices = needsDevices(cell.tests) ? deviceSlots(vmm, kinds) : [];
  cell.expect = expectationFor(keys, matrix.expectations);
  cell.leafExpect = leafExpectationsFor(keys, matrix.expectations);
  return {
    matrix: {
      ...matrix,
      kernels: matrix.kernels.some((k) => k.id === kernel.id) ? matrix.kernels : [...matrix.kernels, kernel],
      vmms: [...matrix.vmms.filter((v) => v.id !== vmm.id), vmm],
    },
    cell,
  };
}

function chooseKernel(matrix: Matrix, value: string): KernelSpec {
  const known = matrix.kernels.find((k) => k.id === value);
  if (known) return known;
  const path = resolve(value);
  if (existsSync(path) && statSync(path).isFile()) {
    const template = matrix.kernels[0]!;
    return {
      id: 'image',
      description: path,
      definitionFile: path,
      source: { kind: 'image', path },
      arch: 'arm64',
      crossCompile: template.crossCompile,
      config: { base: template.config.base, fragments: [] },
      patches: [],
    };
  }
  throw new InputError(
    `--kernel ${value} is neither a kernel of matrix ${matrix.name} (${matrix.kernels.map((k) => k.id).join(', ')}) nor an Image file`,
  );
}

function chooseVmm(matrix: Matrix, value: string, topology: Topology | undefined): VmmSpec {
  const known = matrix.vmms.find((v) => v.id === value);
  if (known) {
    if (known.type !== 'qemu' || topology === undefined || topology === known.topology) return known;
    return { ...known, id: `${known.id}-${topology}`, topology };
  }
  if (value === 'qemu') {
    const t = topology ?? 'flat';
    return { id: `qemu-${t}`, type: 'qemu', topology: t, ports: 6, binary: 'qemu-system-aarch64', tcgCpu: DEFAULT_TCG_CPU };
  }
  if (value === 'kvmtool') {
    const host = matrix.kernels.some((k) => k.id === 'patched') ? { hostKernel: 'patched' } : {};
    return { id: 'kvmtool', type: 'kvmtool', mode: 'auto', transportFlag: 'auto', qemuBinary: 'qemu-system-aarch64', ...host };
  }
  throw new InputError(
    `--vmm ${value} is neither a VMM of matrix ${matrix.name} (${matrix.vmms.map((v) => v.id).join(', ')}) nor qemu or kvmtool`,
  );
}

function parseDevices(value: string): DeviceKind[] {
  const kinds = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (kinds.length === 0) throw new InputError(`--devices "${value}" names no device (one or more of ${DEVICE_KINDS.join(', ')})`);
  return kinds.map((k) => oneOf('--devices', k, DEVICE_KINDS) as DeviceKind);
}

function oneOf(option: string, value: string, allowed: readonly string[]): string {
  if (!allowed.includes(value)) throw new InputError(`${option} ${value}: expected one of ${allowed.join(', ')}`);
  return value;
}
