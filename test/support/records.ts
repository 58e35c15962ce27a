import { crc32 } from '../../harness/console/crc32.js';

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
