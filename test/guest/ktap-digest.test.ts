/**
 * The agent's KTAP digest (harness/guest/agent/ktap-digest.c), the C code
 * itself built for this machine, against the harness's (console/ktap.ts
 * KtapDigester): over the kernel's log as syslog hands it to the agent,
 * and over the same lines as the console shows them, the two must agree,
 * or no KUnit cell could ever pass.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { KtapDigester } from '../../harness/console/ktap.js';
import { projectRoot } from '../../harness/host/install-paths.js';
import { consoleFixture } from '../support/fixtures.js';
import { tempTree } from '../support/temp-tree.js';

const dir = tempTree({}, 'kvmatrix-ktap-digest-');
const digest = join(dir, 'ktap-digest');
const agentDir = join(projectRoot, 'harness', 'guest', 'agent');
execFileSync('gcc', [
  '-O1',
  '-Wall',
  '-Wextra',
  '-Werror',
  `-I${agentDir}`,
  '-o',
  digest,
  join(agentDir, 'ktap-digest.c'),
  join(agentDir, 'crc32.c'),
  join(projectRoot, 'test', 'support', 'agent', 'ktap-digest-main.c'),
]);

/** The agent's digest of a kernel log. */
function agentDigest(log: string): { results: number; crc: number; startSeen: boolean } {
  const file = join(dir, 'log');
  writeFileSync(file, log);
  const [results, crc, start] = execFileSync(digest, [file], { encoding: 'utf8' }).trim().split(' ');
  return { results: Number(results), crc: parseInt(crc!, 16), startSeen: start === '1' };
}

/** The harness's digest of console lines. */
function consoleDigest(lines: readonly string[]): { results: number; crc: number } {
  const d = new KtapDigester();
  for (const line of lines) d.feed(line);
  return d.digest();
}

/** A console line as syslog hands it to the agent: a level prefix, the same timestamp and text. */
const asSyslog = (line: string) => `<6>${line}`;

t.test('over the kernel lines of real KUnit consoles, the agent and the harness agree', async (t) => {
  for (const name of ['kunit-6.1-pass', 'kunit-6.12-fault', 'kunit-6.1-panic']) {
    const kernel = consoleFixture(name)
      .text.split('\n')
      .filter((l) => l.startsWith('['));
    const agent = agentDigest(kernel.map(asSyslog).join('\n'));
    t.same({ results: agent.results, crc: agent.crc }, consoleDigest(kernel), name);
    t.ok(agent.results > 30, `${name}: ${agent.results} result lines`);
    t.equal(agent.startSeen, true, `${name}: the log starts with the kernel's first lines`);
  }
});

t.test('the same lines the way consoles differ: no timestamp, a caller id, a carriage return, trailing spaces', async (t) => {
  const lines = [
    '[    0.100000] Linux version 6.1.192',
    '[    0.2] KTAP version 1',
    '[    0.3] 1..1',
    '[    0.4]     ok 1 a case  ',
    '[    0.5] not ok 1 suite',
    '[    0.6] ok 12',
    '[    0.7] okay 1 no',
  ];
  const expected = consoleDigest(lines);
  t.equal(expected.results, 3, 'three result lines: "ok 12" without a name is one, "okay" is not');
  t.same(agentDigest(lines.map(asSyslog).join('\n')), { ...expected, startSeen: true });
  const noStamps = lines.map((l) => l.replace(/^\[[^\]]*\] /, ''));
  t.same(agentDigest(noStamps.map(asSyslog).join('\n')), { ...consoleDigest(noStamps), startSeen: true }, 'PRINTK_TIME off');
  const callers = lines.map((l) => l.replace(/\] /, '][    T1] '));
  t.same(agentDigest(callers.map(asSyslog).join('\n')), { ...expected, startSeen: true }, 'PRINTK_CALLER');
  t.same(consoleDigest(lines.map((l) => `${l}\r`)), expected, "a serial console's carriage returns");
});

t.test('a log that lost its first lines says so', async (t) => {
  const lines = ['[  9.0] late line', '[  9.1]     ok 1 x'];
  t.same(agentDigest(lines.map(asSyslog).join('\n')).startSeen, false);
});
