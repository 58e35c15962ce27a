import { crc32 } from '../../harness/console/crc32.js';
import { crc32Bytes } from '../../harness/console/command-output.js';

/** One agent record line as the agent writes it, signed with `nonce`. */
export function agentRecord(nonce: string, seq: number, kind: string, fields: Record<string, string | number>): string {
  const body = [`KVMATRIX/1 ${seq} ${kind}`, ...Object.entries(fields).map(([k, v]) => `${k}=${encode(String(v))}`)].join(' ');
  return `${body} #${crc32(`${nonce} ${body}`).toString(16).padStart(8, '0')}`;
}

function encode(value: string): string {
  return value.replace(/[\x00-\x20%#=\x7f-\uffff]/g, (c) =>
    [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

/** A whole healthy report for devices given as [bdf, pci id, virtio type, check kind]. */
export function healthyReport(nonce: string, devices: [string, string, number, string][], status = '0x00000007'): string[] {
  const lines: string[] = [];
  let seq = 0;
  lines.push(agentRecord(nonce, seq++, 'begin', { agent: 1, role: 'guest', kernel: '6.1.192', machine: 'aarch64', uptime: '0.700' }));
  devices.forEach(([bdf, id], i) => {
    lines.push(
      agentRecord(nonce, seq++, 'pci', {
        bdf,
        id,
        class: '0x00ff00',
        bar0: `io:0x${(0x1000 + i * 0x100).toString(16)}-0x${(0x101f + i * 0x100).toString(16)}`,
        driver: 'virtio-pci',
      }),
    );
  });
  const ordinal = new Map<string, number>();
  devices.forEach(([bdf, , type, kind], i) => {
    ordinal.set(kind, (ordinal.get(kind) ?? 0) + 1);
    lines.push(agentRecord(nonce, seq++, 'virtio', { dev: `virtio${i}`, bdf, type, driver: `virtio_${kind}`, status }));
    const detail = kind === 'blk' ? `vda sector 0: KVMATRIX-DISK/1 blk${ordinal.get(kind)}` : 'fine';
    lines.push(agentRecord(nonce, seq++, 'check', { dev: `virtio${i}`, kind, result: 'ok', detail }));
  });
  lines.push(agentRecord(nonce, seq, 'end', { records: seq + 1, uptime: '0.800' }));
  return lines;
}

/** One program as the agent reports it: its cmdbegin, the lines printed meanwhile (its framed output), its cmdend counting `said` as its output. */
export function programRecords(nonce: string, seq: number, index: number, name: string, said: Buffer, between: string[] = []): string[] {
  return [
    agentRecord(nonce, seq, 'cmdbegin', { index, name, program: 'sh', timeout: 5, cap: 100, uptime: '0.6' }),
    ...between,
    agentRecord(nonce, seq + 1, 'cmdend', {
      index,
      result: 'exit',
      code: 0,
      signal: 0,
      detail: '-',
      bytes: said.length,
      shown: said.length,
      crc: crc32Bytes(said).toString(16).padStart(8, '0'),
      seconds: '0.1',
    }),
  ];
}

/** A boot in which the agent ran these programs one after another and finished: its begin, each program's records, its end. */
export function programsBoot(nonce: string, programs: { name: string; said: Buffer; between?: string[] }[]): string[] {
  const ran = programs.flatMap((p, i) => programRecords(nonce, 1 + 2 * i, i + 1, p.name, p.said, p.between));
  return [
    agentRecord(nonce, 0, 'begin', { agent: 1, role: 'guest', kernel: '6.1', machine: 'aarch64', uptime: '0.5' }),
    ...ran,
    agentRecord(nonce, 2 * programs.length + 1, 'end', { records: 2 * programs.length + 2, uptime: '0.9' }),
  ];
}
