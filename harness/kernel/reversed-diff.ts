/**
 * A unified diff turned around: the diff that `patch -R` applies. KCIDB's
 * patchset hash is taken over the patches as applied, and a patch the
 * matrix reverse-applies applies this one.
 *
 * In each hunk the ranges swap and so do removed and added lines; within a
 * run of changed lines the (new) removed lines come first, as diff writes
 * them. File headers swap (`diff --git`, `---` and `+++`, new and deleted file modes,
 * old and new modes). A "\ No newline at end of file" marker stays with
 * the line it follows. Lines outside hunks (a mail's headers and text) are
 * kept as they are.
 */
export function reversedDiff(text: string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    const hunk = /^@@ -(\d+(?:,\d+)?) \+(\d+(?:,\d+)?) @@(.*)$/.exec(line);
    if (line.startsWith('--- ') && lines[i + 1]?.startsWith('+++ ')) {
      out.push(`--- ${lines[i + 1]!.slice(4)}`, `+++ ${line.slice(4)}`);
      i += 2;
    } else if (hunk) {
      out.push(`@@ -${hunk[2]} +${hunk[1]} @@${hunk[3]}`);
      i = reverseHunkBody(lines, i + 1, hunk[1]!, hunk[2]!, out);
    } else {
      out.push(swappedHeader(line));
      i += 1;
    }
  }
  return out.join('\n');
}

function swappedHeader(line: string): string {
  if (line.startsWith('new file mode ')) return `deleted file mode ${line.slice('new file mode '.length)}`;
  if (line.startsWith('deleted file mode ')) return `new file mode ${line.slice('deleted file mode '.length)}`;
  if (line.startsWith('old mode ')) return `new mode ${line.slice('old mode '.length)}`;
  if (line.startsWith('new mode ')) return `old mode ${line.slice('new mode '.length)}`;
  const gitFiles = /^diff --git (\S+) (\S+)$/.exec(line);
  if (gitFiles) return `diff --git ${gitFiles[2]} ${gitFiles[1]}`;
  const index = /^index ([0-9a-f]+)\.\.([0-9a-f]+)(.*)$/.exec(line);
  if (index) return `index ${index[2]}..${index[1]}${index[3]}`;
  return line;
}

/**
 * Writes a hunk's body turned around and returns the index of the first
 * line after it; the header's counts say where it ends (a mail's "-- "
 * signature after the last hunk is not a removed line).
 */
function reverseHunkBody(lines: string[], start: number, oldRange: string, newRange: string, out: string[]): number {
  let oldLeft = rangeCount(oldRange);
  let newLeft = rangeCount(newRange);
  let removed: string[] = [];
  let added: string[] = [];
  const flush = () => {
    // what was added is now removed, and comes first
    out.push(...added, ...removed);
    removed = [];
    added = [];
  };
  let i = start;
  while (i < lines.length && (oldLeft > 0 || newLeft > 0)) {
    const line = lines[i]!;
    const marker = lines[i + 1]?.startsWith('\\') ? [lines[i + 1]!] : [];
    if (line.startsWith('-')) {
      removed.push(`+${line.slice(1)}`, ...marker);
      oldLeft -= 1;
    } else if (line.startsWith('+')) {
      added.push(`-${line.slice(1)}`, ...marker);
      newLeft -= 1;
    } else {
      // a context line (an empty one had its space trimmed by a mailer or editor)
      flush();
      out.push(line, ...marker);
      oldLeft -= 1;
      newLeft -= 1;
    }
    i += 1 + marker.length;
  }
  flush();
  return i;
}

/** The line count of a hunk range, `start,count` or `start` (one line). */
function rangeCount(range: string): number {
  const comma = range.indexOf(',');
  return comma < 0 ? 1 : Number(range.slice(comma + 1));
}
