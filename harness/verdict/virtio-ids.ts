import type { DeviceKind } from '../matrix/types.js';

export const VIRTIO_PCI_VENDOR = 0x1af4;

/** Virtio device types (virtio spec 5.x) of the kinds the harness uses. */
export const VIRTIO_TYPE: Record<DeviceKind, number> = { net: 1, blk: 2, rng: 4 };

/** Transitional (legacy) PCI device ids, virtio spec 4.1.2.1. */
const LEGACY_ID: Record<DeviceKind, number> = { net: 0x1000, blk: 0x1001, rng: 0x1005 };

/**
 * What a virtio PCI function presents itself as, from its ids. A legacy
 * device (0x1000-0x103f) names its virtio type in its subsystem device id,
 * which is what Linux reads; the transitional id is only a convention
 * (kvmtool's rng is 0x1004). Without a subsystem id, the convention decides.
 */
export function classifyVirtioPci(
  vendor: number,
  device: number,
  subsystemDevice: number | null = null,
): { kind: DeviceKind; transport: 'legacy' | 'modern' } | null {
  if (vendor !== VIRTIO_PCI_VENDOR) return null;
  if (device >= 0x1000 && device <= 0x103f && subsystemDevice !== null) {
    const kind = (Object.keys(VIRTIO_TYPE) as DeviceKind[]).find((k) => VIRTIO_TYPE[k] === subsystemDevice);
    return kind ? { kind, transport: 'legacy' } : null;
  }
  for (const [kind, id] of Object.entries(LEGACY_ID) as [DeviceKind, number][]) {
    if (device === id) return { kind, transport: 'legacy' };
  }
  for (const [kind, type] of Object.entries(VIRTIO_TYPE) as [DeviceKind, number][]) {
    if (device === 0x1040 + type) return { kind, transport: 'modern' };
  }
  return null;
}

const STATUS_BITS: [number, string][] = [
  [0x01, 'ACKNOWLEDGE'],
  [0x02, 'DRIVER'],
  [0x04, 'DRIVER_OK'],
  [0x08, 'FEATURES_OK'],
  [0x40, 'DEVICE_NEEDS_RESET'],
  [0x80, 'FAILED'],
];

export const STATUS_DRIVER_OK = 0x04;
export const STATUS_FAILED = 0x80;

export function statusNames(status: number): string[] {
  return STATUS_BITS.filter(([bit]) => (status & bit) !== 0).map(([, name]) => name);
}

export function hex(value: number, width = 0): string {
  return `0x${value.toString(16).padStart(width, '0')}`;
}
