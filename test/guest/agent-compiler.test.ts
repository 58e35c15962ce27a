import t from 'tap';
import { agentCompilerPrefixes } from '../../harness/guest/build-agent.js';

t.test('the agent is cross-compiled off arm64, and compiled natively on an arm64 host when the triplet name is missing', async (t) => {
  t.same(agentCompilerPrefixes('aarch64-linux-gnu-', 'x64'), ['aarch64-linux-gnu-'], 'an x86-64 host has only the cross compiler');
  t.same(
    agentCompilerPrefixes('aarch64-linux-gnu-', 'arm64'),
    ['aarch64-linux-gnu-', ''],
    'Debian arm64 answers to the triplet name; others to plain gcc',
  );
  t.same(agentCompilerPrefixes('', 'arm64'), [''], 'a definition that asks for the native compiler gets it once');
});
