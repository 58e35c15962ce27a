import type { LkvmEra } from '../matrix/types.js';

/** The long option each era brought, newest first: a later kvmtool keeps the older ones as aliases. */
const ERA_OPTIONS: readonly { era: LkvmEra; option: string }[] = [
  { era: 'virtio-transport', option: 'virtio-transport' },
  { era: 'virtio-legacy', option: 'virtio-legacy' },
  { era: 'force-pci', option: 'force-pci' },
];

/**
 * The era of an lkvm, read from the option names in its bytes: an x86
 * host cannot run an arm64 lkvm's --help. An option's name is a string of
 * its own there (ended by NUL, not part of a longer name such as a source
 * file's, virtio/pci-legacy.c); null when none is found.
 */
export function lkvmEraOf(bytes: Uint8Array): LkvmEra | null {
  const found = ERA_OPTIONS.find(({ option }) => hasOptionName(bytes, option));
  return found ? found.era : null;
}

function hasOptionName(bytes: Uint8Array, option: string): boolean {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const needle = Buffer.from(`${option}\0`, 'latin1');
  for (let at = buffer.indexOf(needle); at !== -1; at = buffer.indexOf(needle, at + 1)) {
    const before = at === 0 ? 0 : buffer[at - 1]!;
    if (!isNameByte(before) || (before === 0x2d && at >= 2 && buffer[at - 2] === 0x2d)) return true;
  }
  return false;
}

/** A letter, digit, `-` or `_`: a byte that would make the match the tail of a longer name. */
function isNameByte(byte: number): boolean {
  return (
    (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || byte === 0x2d || byte === 0x5f
  );
}

/** How a person recognises the era: what its lkvm offers, and when. */
export function describeLkvmEra(era: LkvmEra): string {
  switch (era) {
    case 'virtio-transport':
      return '--virtio-transport (kvmtool from March 2023)';
    case 'virtio-legacy':
      return '--force-pci and --virtio-legacy (kvmtool from July 2022 to March 2023)';
    case 'force-pci':
      return '--force-pci without --virtio-legacy (kvmtool before July 2022: legacy virtio-pci only)';
  }
}

/**
 * The era a cell's lkvm runs in: the matrix's transport_flag, checked
 * against what the binary shows; auto takes the binary's. A flag the
 * binary contradicts would boot the other transport and judge the kernel
 * on devices it was not meant to have: it is refused.
 */
export function resolveLkvmEra(flag: LkvmEra | 'auto', shown: LkvmEra | null): { era: LkvmEra } | { problem: string } {
  if (flag === 'auto') {
    if (shown) return { era: shown };
    return { problem: 'shows none of --virtio-transport, --virtio-legacy or --force-pci, so its era cannot be told: set transport_flag' };
  }
  if (shown && shown !== flag) return { problem: `has ${describeLkvmEra(shown)}, but transport_flag is ${flag}: use auto or ${shown}` };
  return { era: flag };
}
