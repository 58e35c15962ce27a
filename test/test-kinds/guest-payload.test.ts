/**
 * What the kinds put in the guest, as the registry gathers it: programs in
 * the registry's order (commands, then kselftests), each kind reading its
 * own by the agent's numbers; the programs' files once each; the kinds'
 * layers; and a plan the agent cannot run in one boot refused before the
 * boot, whichever kinds filled it.
 */
import t from 'tap';
import { parseConsole } from '../../harness/console/parse.js';
import { PLAN_LIMITS } from '../../harness/guest/boot-archive.js';
import type { BuiltKernel } from '../../harness/kernel/types.js';
import type { Cell, CommandTestSpec, KselftestCase, TestSpec } from '../../harness/matrix/types.js';
import { guestPayload, readKinds, runsUserspace, withKernel } from '../../harness/test-kinds/registry.js';
import type { UnjudgedNode } from '../../harness/verdict/tree.js';
import { qemuCell } from '../support/cells.js';
import { programsBoot } from '../support/records.js';

const command = (name: string, files: string[] = []): CommandTestSpec => ({
  kind: 'command',
  name,
  argv: ['true'],
  files,
  timeoutSec: 3,
  expectExit: 0,
});
const installed: KselftestCase[] = [{ target: 'size', test: 'get_size', settingsTimeoutSec: null }];
const kernel = (tests: KselftestCase[]): BuiltKernel => ({
  kernelId: 'k',
  key: 'key',
  source: 'src',
  image: '/Image',
  config: null,
  buildLog: null,
  cached: true,
  durationMs: 0,
  companions: [{ stage: 'kselftest', key: 'ks', layer: '/cache/ks/layer.cpio.gz', buildLog: '/cache/ks/build.log', cached: true, tests }],
});
const cellWith = (tests: TestSpec[]): Cell => ({ ...qemuCell('flat', 'modern'), tests });

t.test('the payload: commands then kselftests, their files once each, the kselftest layer; nothing for in-kernel kinds', async (t) => {
  const cell = withKernel(
    cellWith([
      { kind: 'probe' },
      command('a', ['/m/x.sh']),
      command('b', ['/m/x.sh', '/m/y']),
      { kind: 'kselftest', targets: ['size'], skip: [], timeoutSec: null },
    ]),
    kernel(installed),
  ) as Cell;
  const payload = guestPayload(cell);
  t.same(
    payload.programs.map((p) => p.name),
    ['a', 'b', 'size:get_size'],
  );
  t.same(payload.files, ['/m/x.sh', '/m/y'], 'a file two commands take goes in once');
  t.same(payload.layers, ['/cache/ks/layer.cpio.gz']);
  t.ok(runsUserspace(cell));
  const inKernel = cellWith([{ kind: 'probe' }, { kind: 'dmesg' }]);
  t.same(guestPayload(inKernel), { programs: [], files: [], layers: [] });
  t.notOk(runsUserspace(inKernel), 'no userspace layer for the probe and dmesg');
});

t.test('more programs than the agent runs in one boot: refused before the boot, whichever kinds asked', async (t) => {
  const many = Array.from({ length: PLAN_LIMITS.commands }, (_, i) => command(`c${i}`));
  t.same(withKernel(cellWith(many), kernel(installed)), cellWith(many), 'as many as it runs: the cell as it was');
  const over = withKernel(cellWith([...many, { kind: 'kselftest', targets: ['size'], skip: [], timeoutSec: null }]), kernel(installed));
  t.same(over, {
    problem: `the cell asks the agent to run ${PLAN_LIMITS.commands + 1} programs (commands and kselftests), more than the ${PLAN_LIMITS.commands} it runs in one boot: skip some tests, or give some targets to other cells (cell_tests:)`,
  });
  t.match(withKernel(cellWith([...many, command('one-more')]), kernel([])), { problem: /run 65 programs/ }, 'commands alone too');
});

t.test("each kind reads its own programs by the agent's numbers: the kselftest after the command is the agent's second", async (t) => {
  const nonce = '00112233aabbccdd';
  const cell = withKernel(
    cellWith([command('c'), { kind: 'kselftest', targets: ['size'], skip: [], timeoutSec: null }]),
    kernel(installed),
  ) as Cell;
  const text = programsBoot(nonce, [
    { name: 'c', said: Buffer.alloc(0) },
    { name: 'size:get_size', said: Buffer.alloc(0) },
  ]).join('\n');
  const readings = readKinds(cell, parseConsole(text, { nonce }), {});
  t.same(
    readings.flatMap((r) => r.untrusted),
    [],
    'every program where its kind looks for it',
  );
  const leaves = (n: UnjudgedNode): string[] => (n.children.length === 0 ? [`${n.path} ${n.verdict}`] : n.children.flatMap(leaves));
  t.same(
    readings.flatMap((r) => (r.node ? leaves(r.node) : [])),
    ['command.c pass', 'kselftest.size.get_size pass'],
  );
});

t.test('a plan the agent could not hold is refused before the boot, not thrown at it', async (t) => {
  const wide = { ...command('wide'), argv: ['echo', ...Array.from({ length: 300 }, (_, i) => `a${i}`)] as [string, ...string[]] };
  t.same(withKernel(cellWith([wide]), kernel([])), {
    problem: `command wide: its arguments are more than the agent takes (${PLAN_LIMITS.args} arguments, ${PLAN_LIMITS.argBytes} bytes): the agent cannot run it as it is`,
  });
  const nul = { ...command('nul'), argv: ['printf', 'a\0b'] as [string, ...string[]] };
  t.match(withKernel(cellWith([nul]), kernel([])), { problem: 'command nul: an argument holds a NUL byte' });
});
