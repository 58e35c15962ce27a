import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { configMayRead, configOfEarlierCommit, markConfigured } from '../../harness/kernel/config-reuse.js';
import { tempTree } from '../support/temp-tree.js';

t.test('the files the config stage may read', async (t) => {
  const read = [
    'Kconfig',
    'init/Kconfig',
    'arch/arm64/Kconfig.platforms',
    'lib/Kconfig.debug',
    'Makefile',
    'arch/arm64/Makefile',
    'drivers/pci/Kbuild',
    'scripts/kconfig/confdata.c',
    'scripts/Kconfig.include',
    'arch/arm64/configs/defconfig',
    'kernel/configs/tiny.config',
    'arch/arm64/tools/gen-sysreg.awk',
    'scripts/cc-can-link.sh',
    'drivers/some/probe.sh',
    'tools/testing/selftests/timers/config',
  ];
  const notRead = [
    'Documentation/arm64/booting.rst',
    'init/main.c',
    'include/asm-generic/io.h',
    'arch/arm64/kernel/setup.c',
    'tools/perf/builtin-record.c',
    'README',
    'drivers/pci/controller/pcie-kconfig-like-name.c',
    'tools/testing/selftests/timers/posix_timers.c',
    'drivers/gpu/config',
  ];
  for (const path of read) t.ok(configMayRead(path), path);
  for (const path of notRead) t.notOk(configMayRead(path), path);
});

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { cwd, encoding: 'utf8' }).trim();
}

t.test('an earlier commit’s config is taken only when nothing Kconfig reads changed and the recipe is the same', async (t) => {
  const tree = tempTree({ Kconfig: 'config A\n\tdef_bool y\n', 'init/main.c': 'int a;\n', 'Documentation/x.rst': 'x\n' });
  git(tree, 'init', '-q', '-b', 'main');
  git(tree, 'add', '-A');
  git(tree, 'commit', '-qm', 'first');
  const first = git(tree, 'rev-parse', 'HEAD');
  const commit = (path: string, text: string) => {
    writeFileSync(join(tree, path), text);
    git(tree, 'commit', '-qam', `change ${path}`);
    return git(tree, 'rev-parse', 'HEAD');
  };
  const source = commit('init/main.c', 'int a = 1;\n');
  const doc = commit('Documentation/x.rst', 'y\n');
  const kconfig = commit('Kconfig', 'config A\n\tdef_bool n\n');
  const gitDir = join(tree, '.git');

  const cache = tempTree({ 'configs/first.config': 'CONFIG_A=y\n' });
  const config = join(cache, 'configs/first.config');
  const markFile = join(cache, 'trees/k/configured.json');
  t.equal(await configOfEarlierCommit(markFile, gitDir, doc, 'r'), null, 'no mark: nothing to take');
  markConfigured(markFile, { treeish: first, recipe: 'r', config });
  const earlier = { treeish: first, recipe: 'r', config };

  t.same(await configOfEarlierCommit(markFile, gitDir, first, 'r'), earlier, 'the same commit');
  t.same(await configOfEarlierCommit(markFile, gitDir, source, 'r'), earlier, 'a source file changed');
  t.same(await configOfEarlierCommit(markFile, gitDir, doc, 'r'), earlier, 'a source file and documentation changed');
  t.equal(await configOfEarlierCommit(markFile, gitDir, kconfig, 'r'), null, 'a Kconfig file changed on the way');
  t.equal(await configOfEarlierCommit(markFile, gitDir, doc, 'other'), null, 'another recipe (patches, fragments, toolchain)');
  const tree2 = git(tree, 'rev-parse', `${doc}^{tree}`);
  t.same(await configOfEarlierCommit(markFile, gitDir, tree2, 'r'), earlier, 'a tree object (uncommitted changes) is compared too');
  t.equal(await configOfEarlierCommit(markFile, gitDir, '0'.repeat(40), 'r'), null, 'a commit git does not know');

  // another matrix's recipe on the same tree (kselftest targets, a kunitconfig) is remembered beside, not instead
  markConfigured(markFile, { treeish: kconfig, recipe: 'other', config });
  t.same(await configOfEarlierCommit(markFile, gitDir, doc, 'r'), earlier, "another recipe's configuration leaves this one's mark");
  t.same(await configOfEarlierCommit(markFile, gitDir, kconfig, 'other'), { treeish: kconfig, recipe: 'other', config }, 'and has its own');

  markConfigured(markFile, { treeish: kconfig, recipe: 'r', config });
  t.same(await configOfEarlierCommit(markFile, gitDir, doc, 'r'), null, 'backwards across the Kconfig change too');

  // a mark written before marks were kept per recipe
  writeFileSync(markFile, `${JSON.stringify({ treeish: first, recipe: 'r', config })}\n`);
  t.same(await configOfEarlierCommit(markFile, gitDir, doc, 'r'), earlier, 'the one-mark form still reads');

  markConfigured(markFile, { treeish: first, recipe: 'r', config });
  rmSync(config);
  t.equal(await configOfEarlierCommit(markFile, gitDir, doc, 'r'), null, 'the marked config is gone from the cache');
  writeFileSync(markFile, '{ not json');
  t.equal(await configOfEarlierCommit(markFile, gitDir, doc, 'r'), null, 'an unreadable mark');
});
