/**
 * The files a patch touches, relative to the top of the tree as `git
 * apply -p1` reads them, from its `---`/`+++` header pairs, git's `diff
 * --git` lines and git's rename and copy lines, hunks skipped by their
 * line counts. Null when that cannot be told for sure (no file header at
 * all, a quoted name, a `diff --git` line whose names hold spaces, a hunk
 * that does not add up): a caller then assumes the patch may touch
 * anything.
 */
export function pathsPatchTouches(text: string): string[] | null {
  const paths = new Set<string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const hunk = /^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@/.exec(line);
    if (hunk) {
      // a hunk's lines are content, even one that reads like a header ("--- a/..." removed)
      let old = Number(hunk[1] ?? 1);
      let added = Number(hunk[2] ?? 1);
      while ((old > 0 || added > 0) && i + 1 < lines.length) {
        const kind = lines[++i]![0];
        if (kind === ' ' || kind === undefined) {
          old--;
          added--;
        } else if (kind === '-') old--;
        else if (kind === '+') added--;
        else if (kind !== '\\') return null;
      }
      if (old > 0 || added > 0) return null;
    } else if (line.startsWith('diff --git ')) {
      const names = /^diff --git ("?)a\/(\S+) \1b\/(\S+)$/.exec(line);
      if (!names || names[1] === '"') return null;
      paths.add(names[2]!).add(names[3]!);
    } else if (/^(rename|copy) (from|to) /.test(line)) {
      const name = line.replace(/^(rename|copy) (from|to) /, '');
      if (name.startsWith('"')) return null;
      paths.add(name);
    } else if (line.startsWith('--- ') && lines[i + 1]?.startsWith('+++ ')) {
      for (const header of [line, lines[i + 1]!]) {
        const name = header.slice(4).split('\t')[0]!.trimEnd();
        if (name.startsWith('"')) return null;
        if (name === '/dev/null') continue;
        const slash = name.indexOf('/');
        // -p1 takes the first component off; a name without one is not a path git apply -p1 takes
        if (slash < 0) return null;
        paths.add(name.slice(slash + 1));
      }
      i++;
    }
  }
  return paths.size > 0 ? [...paths].sort() : null;
}
