/**
 * The output of the guest's userspace commands, as the agent frames it on
 * the console (commands.c): `cmd<index>| <text>` for a line, `cmd<index>\
 * <text>` for a piece with no newline, bytes outside printable ASCII (and
 * the '/' of "KVMATRIX/") written \xNN. Rebuilt byte for byte, and checked
 * against the shown count and crc32 of the command's cmdend record.
 */
import { crc32Update } from './crc32.js';
import type { CommandObservation, CommandRecord } from './types.js';

const FRAMED = /^cmd(\d{1,4})([|\\]) (.*)$/;
/** What is kept of one command's output: a runaway beyond its cap cannot grow the harness without bound. */
const KEEP_BYTES = 8 * 1024 * 1024;

export class CommandOutputReader {
  private readonly pieces = new Map<number, { parts: Buffer[]; length: number }>();

  /**
   * Takes a console line if it is an output line of the command running,
   * `running` (the agent's records say which); says whether it was. A
   * framed line of any other index is not a command's: the console's own.
   */
  offer(line: string, running: number): boolean {
    const m = FRAMED.exec(line);
    if (!m) return false;
    const index = Number(m[1]);
    if (index !== running) return false;
    let output = this.pieces.get(index);
    if (!output) this.pieces.set(index, (output = { parts: [], length: 0 }));
    const bytes = Buffer.concat([unescapeFramed(m[3]!), Buffer.from(m[2] === '|' ? '\n' : '', 'latin1')]);
    if (output.length + bytes.length <= KEEP_BYTES) {
      output.parts.push(bytes);
      output.length += bytes.length;
    }
    return true;
  }

  /** Each command the agent reported, with its output and whether that output is whole and unaltered. */
  observe(commands: readonly CommandRecord[]): CommandObservation[] {
    return commands.map((command) => {
      const bytes = Buffer.concat(this.pieces.get(command.index)?.parts ?? []);
      const end = command.end;
      const intact = end !== null && bytes.length === end.shown && crc32Bytes(bytes) === end.crc;
      return { ...command, output: bytes.toString('utf8'), outputIntact: intact };
    });
  }
}

/** The framed text's bytes: every \xNN one byte, everything else as it is (printable ASCII). */
export function unescapeFramed(text: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const hex = text[i] === '\\' ? /^x([0-9a-f]{2})/.exec(text.slice(i + 1, i + 4)) : null;
    if (hex) {
      out.push(parseInt(hex[1]!, 16));
      i += 3;
    } else {
      out.push(text.charCodeAt(i) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** crc32 (IEEE) of bytes, as the agent computes it over a command's output. */
export function crc32Bytes(bytes: Buffer): number {
  return (crc32Update(0xffffffff, bytes) ^ 0xffffffff) >>> 0;
}
