/** An arm64 Image's header: "ARM\x64" at offset 56 (Documentation/arch/arm64/booting.rst). */
export function isArm64Image(head: Buffer): boolean {
  return head.length >= 60 && head.readUInt32LE(56) === 0x644d5241;
}
