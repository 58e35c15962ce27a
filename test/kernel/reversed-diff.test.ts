import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { reversedDiff } from '../../harness/kernel/reversed-diff.js';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=k', '-c', 'user.email=k@kvmatrix.invalid', ...args], { cwd, encoding: 'utf8' });

/** A repository whose working tree differs from HEAD in every way a kernel patch does. */
function changedTree(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kvmatrix-reversed-'));
  git(dir, 'init', '-q');
  mkdirSync(join(dir, 'lib'));
  writeFileSync(
    join(dir, 'lib', 'list.c'),
    ['a', 'b', 'c', '', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o'].join('\n') + '\n',
  );
  writeFileSync(join(dir, 'old.h'), 'gone\n');
  writeFileSync(join(dir, 'tail.c'), 'no newline at the end');
  git(dir, 'add', '.');
  git(dir, 'commit', '-qm', 'base');
  // a changed run of lines, a line added, a line removed, in two hunks; a file new, one deleted, one losing its last newline
  writeFileSync(
    join(dir, 'lib', 'list.c'),
    ['a', 'B', 'C', 'x', '', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'm', 'n', 'o', 'p'].join('\n') + '\n',
  );
  unlinkSync(join(dir, 'old.h'));
  writeFileSync(join(dir, 'new.h'), 'new\n');
  writeFileSync(join(dir, 'tail.c'), 'no newline at the end\nnow there is\n');
  git(dir, 'add', '-A');
  return dir;
}

t.test('a diff turned around is the diff git writes the other way', async (t) => {
  const dir = changedTree();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const forward = git(dir, 'diff', '--cached');
  const backward = git(dir, 'diff', '--cached', '-R');
  t.not(forward, backward);
  t.equal(reversedDiff(forward), backward);
  t.equal(reversedDiff(reversedDiff(forward)), forward, 'turned around twice, the same diff');
});

t.test('applied with patch, the turned-around diff undoes the change', async (t) => {
  const dir = changedTree();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const forward = git(dir, 'diff', '--cached');
  git(dir, 'commit', '-qm', 'changed');
  const changed = readFileSync(join(dir, 'lib', 'list.c'), 'utf8');
  execFileSync('patch', ['-p1', '--quiet'], { cwd: dir, input: reversedDiff(forward) });
  git(dir, 'add', '-A');
  t.equal(
    git(dir, 'diff', '--cached', 'HEAD~1', '--stat'),
    '',
    'back at the base, file for file (the deleted file back, the new one gone)',
  );
  t.not(readFileSync(join(dir, 'lib', 'list.c'), 'utf8'), changed);
});

t.test('a mail around the diff: its text and signature stay, only the hunks turn', async (t) => {
  const mail = [
    'From: A <a@kvmatrix.invalid>',
    'Subject: [PATCH] fix',
    '',
    '---',
    ' x.c | 2 +-',
    '',
    'diff --git a/x.c b/x.c',
    '--- a/x.c',
    '+++ b/x.c',
    '@@ -1,2 +1,2 @@',
    ' keep',
    '-old',
    '+new',
    '-- ',
    '2.39.5',
    '',
  ].join('\n');
  const turned = reversedDiff(mail).split('\n');
  t.same(turned.slice(0, 6), mail.split('\n').slice(0, 6));
  t.same(turned.slice(6), [
    'diff --git b/x.c a/x.c',
    '--- b/x.c',
    '+++ a/x.c',
    '@@ -1,2 +1,2 @@',
    ' keep',
    '-new',
    '+old',
    '-- ',
    '2.39.5',
    '',
  ]);
});
