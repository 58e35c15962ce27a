import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { patchMayChangeConfig } from '../../harness/kernel/config-reuse.js';
import { pathsPatchTouches } from '../../harness/kernel/patch-paths.js';
import { projectRoot } from '../../harness/host/install-paths.js';
import { tempTree } from '../support/temp-tree.js';

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { cwd, encoding: 'utf8' });
}

t.test('the Murray patch touches one header, which the config stage does not read', async (t) => {
  const text = readFileSync(join(projectRoot, 'patches/murray-ioport-map.patch'), 'utf8');
  t.same(pathsPatchTouches(text), ['include/asm-generic/io.h']);
  t.equal(patchMayChangeConfig(text), false);
});

t.test("git's own patches: the same files as git names, renames and deletions included", async (t) => {
  const dir = tempTree({
    'init/main.c': 'int main;\n',
    'init/Kconfig': 'config A\n\tbool "a"\n',
    'drivers/old-name.c': Array.from({ length: 20 }, (_, i) => `line ${i}\n`).join(''),
    'scripts/check.sh': 'true\n',
    'doc.txt': 'words\n',
  });
  git(dir, 'init', '-q');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'base');
  writeFileSync(join(dir, 'init/main.c'), 'int main(void);\n');
  mkdirSync(join(dir, 'include/new'), { recursive: true });
  writeFileSync(join(dir, 'include/new/header.h'), '#define NEW 1\n');
  renameSync(join(dir, 'drivers/old-name.c'), join(dir, 'drivers/new-name.c'));
  rmSync(join(dir, 'doc.txt'));
  chmodSync(join(dir, 'scripts/check.sh'), 0o755);
  git(dir, 'add', '-A');
  const patch = git(dir, 'diff', '--cached', '-M');
  const named = git(dir, 'diff', '--cached', '-M', '--name-status')
    .trim()
    .split('\n')
    .flatMap((line) => line.split('\t').slice(1));
  t.match(patch, /^rename from drivers\/old-name\.c$/m, 'the patch holds a rename');
  t.same(pathsPatchTouches(patch), [...new Set(named)].sort());
  t.equal(patchMayChangeConfig(patch), true, 'scripts/check.sh is a file the config stage may read');

  git(dir, 'reset', '-q', '--hard');
  writeFileSync(join(dir, 'init/Kconfig'), 'config A\n\tbool "a"\n\tdefault y\n');
  t.same(pathsPatchTouches(git(dir, 'diff')), ['init/Kconfig']);
  t.equal(patchMayChangeConfig(git(dir, 'diff')), true);
});

t.test('a plain diff -u patch, and a mail with its own --- line', async (t) => {
  const plain = [
    'Fix it.',
    '---',
    ' include/linux/io.h | 2 +-',
    '',
    '--- linux-6.1.orig/include/linux/io.h\t2024-01-01 00:00:00.000000000 +0000',
    '+++ linux-6.1/include/linux/io.h\t2024-01-02 00:00:00.000000000 +0000',
    '@@ -1,2 +1,2 @@',
    '--- a/comment/that/was removed',
    '+++ b/Kconfig that was added',
    ' a context line',
    '',
  ].join('\n');
  // inside the hunk they are a removed and an added line, however much they look like a header pair
  t.same(pathsPatchTouches(plain), ['include/linux/io.h']);
  t.equal(patchMayChangeConfig(plain), false);
});

t.test('what cannot be told for sure counts as touching anything', async (t) => {
  t.equal(pathsPatchTouches('just words, no diff\n'), null, 'no file header');
  t.equal(pathsPatchTouches('diff --git "a/with space.c" "b/with space.c"\n'), null, 'quoted names');
  t.equal(pathsPatchTouches('diff --git a/with space.c b/with space.c\n'), null, 'names with spaces');
  t.equal(pathsPatchTouches('--- io.h\n+++ io.h\n@@ -1 +1 @@\n-a\n+b\n'), null, 'a name -p1 cannot strip');
  t.equal(pathsPatchTouches('--- a/io.h\n+++ b/io.h\n@@ -1,3 +1,3 @@\n-a\n+b\n'), null, 'a hunk cut short');
  t.equal(pathsPatchTouches('--- a/io.h\n+++ b/io.h\n@@ -1,2 +1,2 @@\n-a\n*b\n'), null, 'a line no hunk holds');
  t.equal(patchMayChangeConfig('just words\n'), true);
  t.same(pathsPatchTouches('--- /dev/null\n+++ b/lib/new.c\n@@ -0,0 +1 @@\n+x\n'), ['lib/new.c'], 'a new file');
});
