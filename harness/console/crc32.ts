/** The agent's checksum, shared by its records, its KTAP digest and the framed output of its programs. */
let crcTable: Uint32Array | undefined;

/**
 * crc32 (IEEE), the agent's checksum over "<nonce> <record body>". A byte
 * at a time from a table: the records are checked once the VMM has exited,
 * by code that has not run before in the process, and eight shifts a bit
 * there cost a millisecond for a dozen records.
 */
export function crc32(text: string): number {
  return (crc32Update(0xffffffff, text) ^ 0xffffffff) >>> 0;
}

/** The crc register after `text`'s UTF-8 bytes (or the bytes given), from `crc` (0xffffffff to start; xor the end with it). */
export function crc32Update(crc: number, text: string | Buffer): number {
  crcTable ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
    return c >>> 0;
  });
  let register = crc;
  for (const byte of typeof text === 'string' ? Buffer.from(text, 'utf8') : text)
    register = (register >>> 8) ^ crcTable[(register ^ byte) & 0xff]!;
  return register >>> 0;
}
