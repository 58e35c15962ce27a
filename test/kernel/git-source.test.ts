import { existsSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import t from 'tap';
import { cacheLayout, ensureCacheDirs } from '../../harness/kernel/cache.js';
import { GitSourceError, publicRepositoryUrl, resolveGitSource, type ResolvedGitSource } from '../../harness/kernel/git-source.js';
import { withReusedTree } from '../../harness/kernel/reused-tree.js';
import type { GitKernelSource } from '../../harness/matrix/types.js';
import { tempTree } from '../support/temp-tree.js';

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { cwd, encoding: 'utf8' }).trim();
}

/** A small repository: two commits, an ignored file and a tag. */
function smallRepo(): { tree: string; first: string; second: string } {
  const tree = tempTree({ Makefile: 'all:\n', 'src/a.c': 'int a;\n', '.gitignore': '*.o\n' });
  git(tree, 'init', '-q', '-b', 'main');
  git(tree, 'add', '-A');
  git(tree, 'commit', '-qm', 'first');
  const first = git(tree, 'rev-parse', 'HEAD');
  writeFileSync(join(tree, 'src/a.c'), 'int a = 1;\n');
  git(tree, 'commit', '-qam', 'second: set a');
  git(tree, 'tag', 'v2');
  return { tree, first, second: git(tree, 'rev-parse', 'HEAD') };
}

/** The tree a build of `resolved` would see: its reused tree's files after the move. */
async function exported(l: ReturnType<typeof layout>, resolved: ResolvedGitSource, key = 'k'): Promise<string> {
  return withReusedTree(l, key, resolved, async ({ tree }) => tree, { consistentAfter: () => false, writesTree: false });
}

function layout() {
  const l = cacheLayout(tempTree({}));
  ensureCacheDirs(l);
  return l;
}

const source = (tree: string, ref = 'HEAD', uncommitted: 'include' | 'ignore' = 'ignore', remote = false): GitKernelSource => ({
  kind: 'git',
  tree,
  remote,
  ref,
  uncommitted,
});

t.test('a ref resolves to its commit, and the export holds that commit content', async (t) => {
  const { tree, first, second } = smallRepo();
  const l = layout();
  const atTag = await resolveGitSource(l, source(tree, 'v2'));
  t.equal(atTag.commit, second);
  t.equal(atTag.subject, 'second: set a');
  t.equal(atTag.id, `git:${second}`);
  // as inside a git hook: git's location variables set for some other repository
  Object.assign(process.env, { GIT_DIR: '/nonexistent/.git', GIT_INDEX_FILE: '/nonexistent/index' });
  try {
    t.equal((await resolveGitSource(l, source(tree, 'v2'))).commit, second, 'GIT_DIR and GIT_INDEX_FILE around kvmatrix are ignored');
  } finally {
    delete process.env.GIT_DIR;
    delete process.env.GIT_INDEX_FILE;
  }
  const old = await resolveGitSource(l, source(tree, first.slice(0, 10)));
  t.equal(old.commit, first);
  const out = await exported(l, old);
  t.equal(readFileSync(join(out, 'src/a.c'), 'utf8'), 'int a;\n', 'the older content, not the checked-out file');
});

t.test('uncommitted changes: ignored by default, built and keyed when included, the user index untouched', async (t) => {
  const { tree, second } = smallRepo();
  const l = layout();
  const clean = await resolveGitSource(l, source(tree, 'HEAD', 'include'));
  t.equal(clean.uncommittedTree, null, 'a clean tree adds nothing to the key');
  t.equal(clean.id, `git:${second}`);

  writeFileSync(join(tree, 'src/a.c'), 'int a = 2;\n');
  writeFileSync(join(tree, 'src/new.c'), 'int b;\n');
  writeFileSync(join(tree, 'src/a.o'), 'object');
  // status first: it refreshes the index's stat data itself
  const statusBefore = git(tree, 'status', '--porcelain');
  const indexBefore = readFileSync(join(tree, '.git/index'));

  const ignored = await resolveGitSource(l, source(tree, 'HEAD', 'ignore'));
  t.equal(ignored.id, `git:${second}`, 'ignore: the commit alone');
  const dirty = await resolveGitSource(l, source(tree, 'HEAD', 'include'));
  t.match(dirty.id, new RegExp(`^git:${second}\\+uncommitted:[0-9a-f]{40}$`));
  t.ok(readFileSync(join(tree, '.git/index')).equals(indexBefore), 'the index is byte for byte as it was');
  t.equal(git(tree, 'status', '--porcelain'), statusBefore, 'git status unchanged');

  const out = await exported(l, dirty);
  t.equal(readFileSync(join(out, 'src/a.c'), 'utf8'), 'int a = 2;\n', 'the modified file');
  t.equal(readFileSync(join(out, 'src/new.c'), 'utf8'), 'int b;\n', 'the untracked file');
  t.notOk(existsSync(join(out, 'src/a.o')), 'not an ignored file');

  writeFileSync(join(tree, 'src/new.c'), 'int c;\n');
  const other = await resolveGitSource(l, source(tree, 'HEAD', 'include'));
  t.not(other.id, dirty.id, 'different uncommitted content, different key');
  writeFileSync(join(tree, 'src/new.c'), 'int b;\n');
  t.equal((await resolveGitSource(l, source(tree, 'HEAD', 'include'))).id, dirty.id, 'the same content, the same key');
});

t.test('a URL tree is cloned into a cache mirror and fetched per ref', async (t) => {
  const { tree, second } = smallRepo();
  const l = layout();
  const url = `file://${tree}`;
  const resolved = await resolveGitSource(l, source(url, 'main', 'ignore', true));
  t.equal(resolved.commit, second);
  t.ok(resolved.gitDir.startsWith(l.git), `mirror in the cache: ${resolved.gitDir}`);
  writeFileSync(join(tree, 'src/a.c'), 'int a = 3;\n');
  git(tree, 'commit', '-qam', 'third');
  const moved = await resolveGitSource(l, source(url, 'main', 'ignore', true));
  t.equal(moved.commit, git(tree, 'rev-parse', 'HEAD'), 'a branch is fetched again');
  t.equal(moved.subject, 'third');
  const pinned = await resolveGitSource(l, source(url, second, 'ignore', true));
  t.equal(pinned.commit, second, 'a full commit id already in the mirror');
});

t.test('a tree fetched over https is a repository others can fetch from; a file:// URL or a local tree is not', async (t) => {
  t.equal(publicRepositoryUrl(source('https://git.example.org/linux.git', 'main', 'ignore', true)), 'https://git.example.org/linux.git');
  t.equal(
    publicRepositoryUrl(source('http://git.example.org/linux.git', 'main', 'ignore', true)),
    undefined,
    'KCIDB names https repositories only',
  );
  t.equal(publicRepositoryUrl(source('file:///srv/linux', 'main', 'ignore', true)), undefined);
  t.equal(publicRepositoryUrl(source('/srv/linux')), undefined);
});

t.test('what is wrong with a git source is said plainly', async (t) => {
  const { tree } = smallRepo();
  const l = layout();
  await t.rejects(resolveGitSource(l, source(tree, 'no-such-branch')), {
    name: 'GitSourceError',
    message: `ref "no-such-branch" is not a commit in ${tree}`,
  });
  await t.rejects(resolveGitSource(l, source(join(tree, 'src'))), {
    message: `${join(tree, 'src')} is not the top of a git tree (it lies inside ${tree})`,
  });
  const plain = tempTree({ x: '' });
  const notRepo = await resolveGitSource(l, source(plain)).catch((error: unknown) => error);
  t.ok(notRepo instanceof GitSourceError);
  t.match((notRepo as Error).message, /is not a git repository|is not the top of a git tree/);
  await t.rejects(resolveGitSource(l, source('/nonexistent/linux')), { message: 'git tree /nonexistent/linux does not exist' });
  await t.rejects(resolveGitSource(l, source('file:///nonexistent/linux.git', 'main', 'ignore', true)), {
    message: /^cannot clone file:\/\/\/nonexistent\/linux\.git: /,
  });
});

t.test('a reused tree moves from commit to commit rewriting only what differs, and undoes what patches did', async (t) => {
  const { tree, first, second } = smallRepo();
  writeFileSync(join(tree, 'README'), 'readme\n');
  git(tree, 'add', 'README');
  git(tree, 'commit', '-qm', 'third: readme');
  const l = layout();
  const at = async (ref: string) => resolveGitSource(l, source(tree, ref));
  // what patches do in a build
  let aFirst = 0;
  const out = await withReusedTree(
    l,
    'k',
    await at(first),
    async ({ tree: out }) => {
      aFirst = statSync(join(out, 'src/a.c')).mtimeMs;
      const makefileTime = statSync(join(out, 'Makefile')).mtimeMs;
      writeFileSync(join(out, 'Makefile'), 'patched\n');
      writeFileSync(join(out, 'src/added-by-patch.c'), '');
      utimesSync(join(out, 'Makefile'), new Date(makefileTime), new Date(makefileTime));
      return out;
    },
    { consistentAfter: () => false, writesTree: true },
  );
  t.notOk(existsSync(join(l.trees, 'k', 'pristine')), 'a tree patches wrote is not marked pristine');

  await new Promise((r) => setTimeout(r, 20));
  await exported(l, await at('HEAD'));
  t.equal(readFileSync(join(out, 'src/a.c'), 'utf8'), 'int a = 1;\n', 'moved to the new content');
  t.ok(statSync(join(out, 'src/a.c')).mtimeMs > aFirst, 'a file that differs is written anew (make sees it changed)');
  t.equal(readFileSync(join(out, 'README'), 'utf8'), 'readme\n');
  t.equal(readFileSync(join(out, 'Makefile'), 'utf8'), 'all:\n', "the patch's change undone");
  t.notOk(existsSync(join(out, 'src/added-by-patch.c')), "the patch's new file removed");
  t.ok(existsSync(join(l.trees, 'k', 'pristine')), 'a work that writes nothing leaves the tree marked pristine');

  const aTime = statSync(join(out, 'src/a.c')).mtimeMs;
  await new Promise((r) => setTimeout(r, 20));
  await exported(l, await at(second));
  t.notOk(existsSync(join(out, 'README')), 'a file the commit does not have is gone');
  t.equal(statSync(join(out, 'src/a.c')).mtimeMs, aTime, 'a file equal in both commits is not rewritten (make keeps its object)');
});

t.test('a reused tree left busy (work stopped half-way) is exported whole again', async (t) => {
  const { tree, first, second } = smallRepo();
  const l = layout();
  await t.rejects(
    withReusedTree(
      l,
      'k',
      await resolveGitSource(l, source(tree, first)),
      async ({ buildDir }) => {
        writeFileSync(join(buildDir, 'half.o'), '');
        throw new Error('killed');
      },
      { consistentAfter: () => false, writesTree: false },
    ),
  );
  t.ok(existsSync(join(l.trees, 'k', 'busy')), 'the busy mark stays');
  const buildDir = await withReusedTree(l, 'k', await resolveGitSource(l, source(tree, second)), async (p) => p.buildDir, {
    consistentAfter: () => false,
    writesTree: false,
  });
  t.notOk(existsSync(join(buildDir, 'half.o')), 'the build folder was started again');
  t.notOk(existsSync(join(l.trees, 'k', 'busy')));
  t.equal(readFileSync(join(l.trees, 'k', 'src', 'src/a.c'), 'utf8'), 'int a = 1;\n');

  await t.rejects(
    withReusedTree(
      l,
      'k',
      await resolveGitSource(l, source(tree, first)),
      async () => {
        throw new Error('the kernel does not build');
      },
      { consistentAfter: () => true, writesTree: false },
    ),
  );
  t.notOk(existsSync(join(l.trees, 'k', 'busy')), 'a failure that leaves things consistent clears the mark');
});
