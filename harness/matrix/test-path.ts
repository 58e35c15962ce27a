/**
 * The names of the nodes of a cell's tree of tests, as one dotted path:
 * `kunit.list-kunit-test.list_test_list_add`, `probe.rng2`. The same path
 * is written in `expect` rules and `--test`, shown in TAP, JUnit and the
 * HTML page, and later sent to KCIDB, whose path parts allow only
 * [A-Za-z0-9_-]. A name with any other character (a KUnit parameter
 * such as "len=16, offset=3", a dot in a name) is escaped: each byte of
 * such a character's UTF-8 becomes `__` and two lower-case hex digits,
 * and an underscore is escaped the same way when another underscore
 * follows it, so that no name's escape reads as another's.
 */

declare const testPathBrand: unique symbol;
/** A dotted path of escaped parts; build one with testPath(). */
export type TestPath = string & { readonly [testPathBrand]: true };

const PLAIN = /^[A-Za-z0-9-]$/;

/** One name as a path part. */
export function escapePart(name: string): string {
  let out = '';
  const chars = [...name];
  chars.forEach((c, i) => {
    if (PLAIN.test(c) || (c === '_' && chars[i + 1] !== '_')) out += c;
    else for (const byte of Buffer.from(c, 'utf8')) out += `__${byte.toString(16).padStart(2, '0')}`;
  });
  // an empty name still names something: a part is never empty
  return out === '' ? '__' : out;
}

/** The name a part was escaped from (escapePart's inverse). */
export function unescapePart(part: string): string {
  if (part === '__') return '';
  const bytes: number[] = [];
  for (let i = 0; i < part.length;) {
    const hex = /^__([0-9a-f]{2})/.exec(part.slice(i));
    if (hex) {
      bytes.push(parseInt(hex[1]!, 16));
      i += 4;
    } else {
      bytes.push(part.charCodeAt(i));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The path of a node named by these names, outermost first. */
export function testPath(...names: string[]): TestPath {
  return names.map(escapePart).join('.') as TestPath;
}

/** A path below `parent`. */
export function childPath(parent: TestPath, name: string): TestPath {
  return `${parent}.${escapePart(name)}` as TestPath;
}

/**
 * The names siblings go by in the tree, in order: each its own, and one
 * whose path part an earlier sibling already has (a second `check`, a
 * second nameless `# SKIP` with the same reason) that name with `#` and
 * its result's number appended (its place, without one): `check`,
 * `check#2`, as a path `check__232`; where that is taken too (results
 * that repeat a number), `-2`, `-3` after it. Stable as long as the
 * output is, never two siblings on one path, and linear in the siblings:
 * a program's output may hold a million of one name.
 */
export function distinctNames(siblings: readonly { name: string; number?: number | null }[]): string[] {
  const taken = new Set<string>();
  /** The next `-k` to try after a name and number already taken twice. */
  const next = new Map<string, number>();
  return siblings.map((sibling, place) => {
    let name = sibling.name;
    if (taken.has(escapePart(name))) {
      const stem = `${name}#${sibling.number ?? place + 1}`;
      name = stem;
      let k = next.get(stem) ?? 2;
      while (taken.has(escapePart(name))) name = `${stem}-${k++}`;
      next.set(stem, k);
    }
    taken.add(escapePart(name));
    return name;
  });
}

/** The names a path was made of. */
export function pathNames(path: TestPath): string[] {
  return path.split('.').map(unescapePart);
}

const GLOB_PART = /^[A-Za-z0-9_*-]+$/;

/**
 * Why a glob over test paths cannot match anything, or null: parts of
 * [A-Za-z0-9_-] and `*`, joined by dots (a name with other characters is
 * written escaped, as TAP and JUnit show it).
 */
export function testGlobProblem(glob: string): string | null {
  if (glob === '') return 'an empty test glob';
  const bad = glob.split('.').find((part) => !GLOB_PART.test(part));
  if (bad === undefined) return null;
  return bad === ''
    ? `"${glob}" has an empty part: parts are joined by single dots`
    : `"${bad}" in "${glob}" holds a character a test path never has: write names escaped (a space is __20, "." is __2e), as the reports show them`;
}

/**
 * Whether a glob names a node or one of its ancestors: `kunit.list-kunit-test`
 * names every case of that suite. `*` matches any run of characters, dots
 * included, as in --cell.
 */
export function globMatchesPath(glob: string, path: TestPath): boolean {
  const re = globRegExp(glob);
  const parts = path.split('.');
  for (let n = parts.length; n >= 1; n--) {
    if (re.test(parts.slice(0, n).join('.'))) return true;
  }
  return false;
}

const compiled = new Map<string, RegExp>();

function globRegExp(glob: string): RegExp {
  let re = compiled.get(glob);
  if (!re) {
    re = new RegExp(
      `^${glob
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\-]/g, '\\$&'))
        .join('.*')}$`,
    );
    compiled.set(glob, re);
  }
  return re;
}

/**
 * Whether a --test glob can name `child` of the test kind `kind`, or
 * something below it: its first part names the kind, its second (if any)
 * the child (command.<name>, kselftest.<target>).
 */
export function globReachesChild(glob: string, kind: string, child: string): boolean {
  const [first = '', second] = glob.split('.');
  return globMatchesPath(first, testPath(kind)) && (second === undefined || globMatchesPath(second, testPath(child)));
}
