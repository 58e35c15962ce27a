import type { AgentReport, PciRecord, ProbeFailure } from '../console/types.js';
import type { DeviceKind, DeviceSlot, Transport } from '../matrix/types.js';
import { DISK_LABEL_MAGIC } from '../guest/disk.js';
import type { DeviceOutcome } from './types.js';
import { classifyVirtioPci, hex, STATUS_DRIVER_OK, STATUS_FAILED, statusNames } from './virtio-ids.js';

/**
 * Pairs each device the cell asked for with what the agent saw, and lists
 * what is wrong with it. Slots of one kind are paired with the virtio PCI
 * functions of that kind in bus order: root ports and root-bus slots are
 * numbered in the order the harness placed the devices.
 */
export function assessDevices(
  slots: readonly DeviceSlot[],
  transport: Transport,
  agent: AgentReport,
  probeFailures: readonly ProbeFailure[],
): DeviceOutcome[] {
  const byKind = new Map<DeviceKind, { pci: PciRecord; presented: Transport }[]>();
  for (const pci of [...agent.pci].sort((a, b) => compareBdf(a.bdf, b.bdf))) {
    const seen = classifyVirtioPci(pci.vendor, pci.device, pci.subsystem?.device ?? null);
    if (!seen) continue;
    const list = byKind.get(seen.kind) ?? [];
    list.push({ pci, presented: seen.transport });
    byKind.set(seen.kind, list);
  }
  const taken = new Map<DeviceKind, number>();

  return slots.map((slot) => {
    const index = taken.get(slot.kind) ?? 0;
    taken.set(slot.kind, index + 1);
    const found = byKind.get(slot.kind)?.[index];
    const outcome: DeviceOutcome = {
      name: slot.name,
      kind: slot.kind,
      position: slot.position,
      bdf: null,
      pciId: null,
      presented: null,
      bar0: null,
      bars: [],
      pciDriver: null,
      virtioDev: null,
      virtioDriver: null,
      status: null,
      statusNames: [],
      check: null,
      problems: [],
    };
    if (!found) {
      outcome.problems.push(`no ${slot.kind} PCI function found`);
      return outcome;
    }
    const { pci, presented } = found;
    Object.assign(outcome, {
      bdf: pci.bdf,
      pciId: `${pci.vendor.toString(16).padStart(4, '0')}:${pci.device.toString(16).padStart(4, '0')}`,
      presented,
      bar0: pci.bar0,
      bars: pci.bars,
      pciDriver: pci.driver,
    });
    if (presented !== transport) {
      outcome.problems.push(`presents as ${presented} (device id ${outcome.pciId}), the cell asked for ${transport}`);
    }
    if (!pci.driver) {
      outcome.problems.push('no driver bound to the PCI function');
      return outcome;
    }
    const virtio = agent.virtio.find((v) => v.bdf === pci.bdf);
    if (!virtio) {
      outcome.problems.push(`${pci.driver} bound but registered no virtio device`);
      return outcome;
    }
    outcome.virtioDev = virtio.dev;
    outcome.virtioDriver = virtio.driver;
    outcome.status = virtio.status;
    outcome.statusNames = virtio.status === null ? [] : statusNames(virtio.status);
    if (!virtio.driver) {
      const failure = probeFailures.find((p) => p.device === virtio.dev);
      outcome.problems.push(
        failure
          ? `no driver bound (${failure.driver}: probe of ${failure.device} failed with error ${failure.error})`
          : 'no virtio driver bound',
      );
    }
    outcome.problems.push(...statusProblems(virtio.status));
    const check = agent.checks.find((c) => c.dev === virtio.dev);
    if (check) {
      outcome.check = { result: check.result, detail: check.detail };
      if (virtio.driver && check.result === 'ok' && slot.kind === 'blk' && !check.detail.endsWith(`${DISK_LABEL_MAGIC}${slot.name}`)) {
        outcome.problems.push(`read another device's disk: ${check.detail}`);
      }
      if (virtio.driver && check.result !== 'ok') {
        outcome.problems.push(
          check.result === 'timeout' ? `I/O check timed out (${check.detail})` : `I/O check ${check.result}: ${check.detail}`,
        );
      }
    } else if (virtio.driver) {
      outcome.problems.push('the agent reported no I/O check');
    }
    return outcome;
  });
}

function statusProblems(status: number | null): string[] {
  if (status === null) return ['virtio status unreadable'];
  if (status === 0xff) return ['status 0xff: the device reads as all-ones, its registers are not reached'];
  const problems: string[] = [];
  if (status & STATUS_FAILED) problems.push(`status ${hex(status)} has FAILED set`);
  if (!(status & STATUS_DRIVER_OK)) problems.push(`status ${hex(status)} lacks DRIVER_OK`);
  return problems;
}

/** Describes a device for a reason line: "rng2 0000:04:00.0 (legacy, io BAR0 0x4000)"; BAR0, else the first memory BAR. */
export function describeDevice(d: DeviceOutcome): string {
  const parts: string[] = [];
  if (d.presented) parts.push(d.presented);
  const bar = d.bar0 ?? d.bars.find((b) => b.kind === 'mem');
  if (bar) parts.push(`${bar.kind} BAR${bar.index} ${hex(bar.start)}`);
  const where = d.bdf ? ` ${d.bdf}` : '';
  return `${d.name}${where}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

/** Orders 0000:00:02.0 before 0000:00:10.0 and 0000:01:00.0. */
export function compareBdf(a: string, b: string): number {
  const key = (bdf: string) => bdf.split(/[:.]/).map((part) => parseInt(part, 16) || 0);
  const ka = key(a);
  const kb = key(b);
  for (let i = 0; i < Math.max(ka.length, kb.length); i++) {
    const d = (ka[i] ?? 0) - (kb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
