/**
 * The bare side of the cold benchmark: each kernel's tree patched and
 * configured as the harness would (untimed), then a plain `make Image`
 * without ccache, timed.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand, succeeded } from '../harness/host/command.js';
import type { CacheLayout } from '../harness/kernel/cache.js';
import { applyPatches } from '../harness/kernel/patch.js';
import { extractedSource, fileFingerprint } from '../harness/kernel/source.js';
import type { KernelSpec } from '../harness/matrix/types.js';

export interface BareTree {
  src: string;
  build: string;
  spec: KernelSpec;
}

export async function prepareBareTrees(layout: CacheLayout, kernels: KernelSpec[], work: string): Promise<BareTree[]> {
  const trees: BareTree[] = [];
  for (const spec of kernels) {
    if (spec.source.kind !== 'tarball') continue;
    const source = await extractedSource(layout, spec.source.path, await fileFingerprint(layout, spec.source.path));
    const src = join(work, `bare-${spec.id}`, 'src');
    const build = join(work, `bare-${spec.id}`, 'build');
    mkdirSync(join(work, `bare-${spec.id}`));
    await must(['cp', '-al', source, src]);
    await applyPatches(src, spec.patches, spec.id, join(work, `bare-${spec.id}.log`));
    trees.push(await configureBareTree(src, build, spec));
  }
  return trees;
}

/** A build folder for `src` configured as the harness would: base config, fragments, olddefconfig. */
export async function configureBareTree(src: string, build: string, spec: KernelSpec): Promise<BareTree> {
  mkdirSync(build);
  const make = (targets: string[]) => ['make', `ARCH=${spec.arch}`, `CROSS_COMPILE=${spec.crossCompile}`, `O=${build}`, ...targets];
  await must(make([spec.config.base]), src);
  await must([join(src, 'scripts/kconfig/merge_config.sh'), '-m', '-O', build, join(build, '.config'), ...spec.config.fragments], src);
  await must(make(['olddefconfig']), src);
  return { src, build, spec };
}

/** Wall milliseconds of `make -jN Image` in a configured tree. */
export async function timeBareMake(tree: BareTree, jobs: number): Promise<number> {
  const started = performance.now();
  await must(
    ['make', `ARCH=${tree.spec.arch}`, `CROSS_COMPILE=${tree.spec.crossCompile}`, `O=${tree.build}`, `-j${jobs}`, 'Image'],
    tree.src,
  );
  return performance.now() - started;
}

async function must(argv: string[], cwd?: string): Promise<void> {
  const result = await runCommand(argv, cwd ? { cwd } : {});
  if (!succeeded(result)) throw new Error(`${argv.join(' ')} failed: ${result.tail.slice(-5).join('\n')}`);
}
