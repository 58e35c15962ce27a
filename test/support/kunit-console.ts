import { KtapDigester } from '../../harness/console/ktap.js';
import { agentRecord } from './records.js';

/** A KUnit case as a test writes it: its name, and ok, not ok, skip or (with params) its parameters. */
export interface CaseSpec {
  name: string;
  result: 'ok' | 'not ok' | 'skip';
  params?: { name: string; result: 'ok' | 'not ok' | 'skip' }[];
}

export interface SuiteSpec {
  name: string;
  cases: CaseSpec[];
}

/**
 * The console lines KUnit prints for these suites, as 6.1 prints them
 * (timestamps, 4 spaces a level, no plan for parameterised cases),
 * with `indent` spaces a level instead when asked.
 */
export function kunitLines(suites: readonly SuiteSpec[], indent = 4): string[] {
  const pad = (level: number) => ' '.repeat(indent * level);
  const stamp = (i: number) => `[    0.${String(400000 + i).padStart(6, '0')}] `;
  const body: string[] = ['KTAP version 1', `1..${suites.length}`];
  const result = (r: 'ok' | 'not ok' | 'skip', n: number, name: string) =>
    r === 'skip' ? `ok ${n} ${name} # SKIP not here` : `${r} ${n} ${name}`;
  suites.forEach((suite, s) => {
    body.push(`${pad(1)}KTAP version 1`, `${pad(1)}# Subtest: ${suite.name}`, `${pad(1)}1..${suite.cases.length}`);
    suite.cases.forEach((c, i) => {
      if (c.params) {
        body.push(`${pad(2)}KTAP version 1`, `${pad(2)}# Subtest: ${c.name}`);
        c.params.forEach((p, j) => body.push(`${pad(2)}${result(p.result, j + 1, p.name)}`));
      }
      if (c.result === 'not ok')
        body.push(`${pad(1)}# ${c.name}: EXPECTATION FAILED at lib/test.c:${10 + i}`, `${pad(1)}Expected a == b, but`);
      body.push(`${pad(1)}${result(c.result, i + 1, c.name)}`);
    });
    const failed = suite.cases.some((c) => c.result === 'not ok');
    body.push(
      `${pad(1)}# ${suite.name}: pass:${suite.cases.length} fail:0 skip:0 total:${suite.cases.length}`,
      `${failed ? 'not ok' : 'ok'} ${s + 1} ${suite.name}`,
    );
  });
  return body.map((line, i) => `${stamp(i)}${line}`);
}

/**
 * A whole guest console: kernel start, KUnit's lines, then the agent's
 * records signed with `nonce`, its ktap record vouching for `vouched`
 * (the KTAP lines the kernel logged; the console's own by default), and
 * saying that the log had lost its first lines when `lost`.
 */
export function kunitConsole(ktap: readonly string[], nonce: string, vouched: readonly string[] = ktap, lost = false): string {
  const digester = new KtapDigester();
  for (const line of vouched) digester.feed(line);
  const { results, crc } = digester.digest();
  const records = [
    agentRecord(nonce, 0, 'begin', { agent: 1, role: 'guest', kernel: '6.1.192', machine: 'aarch64', uptime: '1.000' }),
    agentRecord(nonce, 1, 'ktap', { results, crc: crc.toString(16).padStart(8, '0'), lost: lost ? 1 : 0 }),
    agentRecord(nonce, 2, 'end', { records: 3, uptime: '1.100' }),
  ];
  return [
    '[    0.000000] Booting Linux on physical CPU 0x0000000000 [0x000f0510]',
    '[    0.000000] Linux version 6.1.192 (root@x) #1 SMP',
    ...ktap,
    '[    0.900000] Run /init as init process',
    ...records,
    '[    1.200000] reboot: Power down',
    '',
  ].join('\n');
}
