/**
 * Just enough of an ELF header to say whether a binary can run where
 * kvmatrix will put it: which machine it is for, and whether it needs a
 * dynamic loader (a nested host's initramfs has none).
 */

export interface ElfFacts {
  bits: 32 | 64;
  littleEndian: boolean;
  /** e_machine: 183 is AArch64. */
  machine: number;
  /** The PT_INTERP path, or null for a statically linked binary. */
  interpreter: string | null;
}

export const EM_AARCH64 = 183;

const MACHINE_NAMES: Record<number, string> = {
  3: 'x86 (i386)',
  8: 'MIPS',
  20: 'PowerPC',
  21: 'PowerPC64',
  22: 's390',
  40: 'ARM (32-bit)',
  62: 'x86-64',
  183: 'arm64 (AArch64)',
  243: 'RISC-V',
  258: 'LoongArch',
};

export function machineName(machine: number): string {
  return MACHINE_NAMES[machine] ?? `machine ${machine}`;
}

const PT_INTERP = 3;

/** Reads the facts from a file's bytes; a string says why it is not an ELF we can read. */
export function readElfFacts(bytes: Uint8Array): ElfFacts | string {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 52 || b.readUInt32BE(0) !== 0x7f454c46) return 'not an ELF executable';
  const cls = b[4];
  const data = b[5];
  if ((cls !== 1 && cls !== 2) || (data !== 1 && data !== 2)) return 'an ELF file with an unknown class or byte order';
  const bits = cls === 2 ? 64 : 32;
  const le = data === 1;
  const u16 = (at: number) => (le ? b.readUInt16LE(at) : b.readUInt16BE(at));
  const u32 = (at: number) => (le ? b.readUInt32LE(at) : b.readUInt32BE(at));
  const word = (at: number) => (bits === 64 ? Number(le ? b.readBigUInt64LE(at) : b.readBigUInt64BE(at)) : u32(at));
  if (bits === 64 && b.length < 64) return 'a truncated ELF file';

  const machine = u16(18);
  const phoff = word(bits === 64 ? 0x20 : 0x1c);
  const phentsize = u16(bits === 64 ? 0x36 : 0x2a);
  const phnum = u16(bits === 64 ? 0x38 : 0x2c);
  let interpreter: string | null = null;
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + phentsize > b.length) return 'a truncated ELF file (program headers cut off)';
    if (u32(at) !== PT_INTERP) continue;
    const offset = word(at + (bits === 64 ? 0x08 : 0x04));
    const size = word(at + (bits === 64 ? 0x20 : 0x10));
    if (offset + size > b.length) return 'a truncated ELF file (interpreter path cut off)';
    interpreter = b
      .subarray(offset, offset + size)
      .toString('latin1')
      .replace(/\0+$/, '');
  }
  return { bits, littleEndian: le, machine, interpreter };
}

/**
 * What is wrong with this binary as an arm64 lkvm, or null. `needStatic`:
 * a nested host's initramfs has no libc or loader for it.
 */
export function lkvmBinaryProblem(facts: ElfFacts | string, needStatic: boolean): string | null {
  if (typeof facts === 'string') return `${facts}; kvmatrix needs an arm64 lkvm binary`;
  if (facts.machine !== EM_AARCH64 || facts.bits !== 64 || !facts.littleEndian) {
    return `built for ${machineName(facts.machine)}${facts.bits === 32 ? ', 32-bit' : ''}; kvmatrix needs an arm64 (AArch64) lkvm`;
  }
  if (needStatic && facts.interpreter !== null) {
    return `dynamically linked (it asks for ${facts.interpreter}); the nested host has no libraries, so lkvm must be linked statically (kvmtool's lkvm-static target)`;
  }
  return null;
}
