/**
 * One bisect step on content ccache has seen: a new commit that changes
 * only documentation, tested by `kvmatrix bisect-run` in a synthetic
 * history of Debian's 6.1, against a developer's bare step in a plain
 * worktree of the same history: the same commit checked out, `make Image`
 * in a build folder kept from the last step, the same QEMU argv.
 */
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { GuestImage } from '../harness/guest/build-agent.js';
import { diskImage } from '../harness/guest/disk.js';
import type { Cell, QemuVmmSpec } from '../harness/matrix/types.js';
import { qemuCommand } from '../harness/vmm/qemu.js';
import { hostAccel } from '../harness/host/facts.js';
import { syntheticKernelHistory } from '../test/support/kernel-history.js';
import { cliPath } from '../test/support/cli.js';
import { configureBareTree, timeBareMake } from './bare-make.js';
import { kindKernelArgs } from '../harness/test-kinds/registry.js';

export interface BisectStepTimes {
  harness: number[];
  bare: number[];
}

type Timer = (argv: string[], cwd: string, out: string) => Promise<number>;

export async function benchBisectStep(
  work: string,
  cell: Cell & { vmm: QemuVmmSpec },
  guest: GuestImage,
  rounds: number,
  time: Timer,
): Promise<BisectStepTimes> {
  const history = syntheticKernelHistory(join(work, 'history'));
  const tree = history.tree;
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@kvmatrix.invalid', ...args], { cwd, encoding: 'utf8' });
  // the harness's tree on a branch of its own, the bare tree a worktree beside it
  git(tree, 'checkout', '--quiet', '-b', 'bench-harness', history.doc);
  const bareSrc = join(work, 'bare-step', 'src');
  git(tree, 'worktree', 'add', '--quiet', '-b', 'bench-bare', bareSrc, history.doc);
  const bare = await configureBareTree(bareSrc, join(work, 'bare-step', 'build'), cell.kernel);

  const step = [
    process.execPath,
    cliPath,
    'bisect-run',
    '--cell',
    cell.id,
    '--tree',
    tree,
    '--cache',
    join(work, 'bisect-cache'),
    '--out',
    join(work, 'bisect-results'),
  ];
  writeFileSync(join(work, 'bare-step', 'blk1.img'), diskImage('blk1'));
  const bootArgv = qemuCommand(
    cell,
    { image: join(bare.build, 'arch/arm64/boot/Image'), initrd: guest.initramfs, disks: { blk1: 'blk1.img' } },
    { accel: hostAccel(), nonce: 'bench', kernelArgs: kindKernelArgs(cell) },
  ).argv;
  // untimed: the first build of each side (every compile a ccache hit on the harness's side)
  await time(step, tree, join(work, 'step-warm.out'));
  await timeBareMake(bare, availableParallelism());

  const times: BisectStepTimes = { harness: [], bare: [] };
  for (let i = 0; i < rounds; i++) {
    for (const [cwd, branch] of [
      [tree, 'harness'],
      [bareSrc, 'bare'],
    ] as const) {
      appendFileSync(join(cwd, 'Documentation/arm64/booting.rst'), `\nbench round ${i}\n`);
      git(cwd, 'commit', '--quiet', '-am', `Documentation: bench round ${i} (${branch})`);
    }
    times.harness.push(await time(step, tree, join(work, `step${i}.out`)));
    const started = performance.now();
    await timeBareMake(bare, availableParallelism());
    await time(bootArgv, join(work, 'bare-step'), join(work, `bare-step${i}.console`));
    times.bare.push(performance.now() - started);
  }
  if (!existsSync(join(bare.build, 'arch/arm64/boot/Image'))) throw new Error('the bare step built no Image');
  return times;
}
