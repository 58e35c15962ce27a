import { Parser, type Result } from 'tap-parser';

export type FinalResults = NonNullable<Parser['results']>;

/** Parses TAP with the real parser: its final result and every test point. */
export function parseTap(text: string): Promise<{ final: FinalResults; asserts: Result[] }> {
  return new Promise((resolve) => {
    const asserts: Result[] = [];
    const parser = new Parser((final) => resolve({ final, asserts }));
    parser.on('assert', (a: Result) => asserts.push(a));
    parser.end(text);
  });
}

/** Failures that are TAP syntax errors rather than not-ok test points. */
export function tapSyntaxErrors(final: FinalResults): unknown[] {
  return final.failures.filter((f) => 'tapError' in f && f.tapError);
}

/** What tap-parser reads of one level of subtests. */
export interface TapLevel {
  ok: boolean;
  count: number;
  pass: number;
  /** not ok without a TODO (tap-parser counts a `not ok # TODO` among its failures too). */
  failing: number;
  todo: number;
  skip: number;
}

/** Every level of a TAP stream's subtests as tap-parser reads it, by the names of its parents: '' is the top, '/a/b' a subtest b of a. */
export async function tapLevels(tap: string): Promise<Map<string, TapLevel>> {
  const levels = new Map<string, TapLevel>();
  const watch = (p: Parser, name: string) => {
    p.on('complete', (r: FinalResults) =>
      levels.set(name, { ok: r.ok, count: r.count, pass: r.pass, failing: r.fail - r.todo, todo: r.todo, skip: r.skip }),
    );
    p.on('child', (c: Parser) => watch(c, `${name}/${c.name}`));
  };
  const parser = new Parser();
  watch(parser, '');
  await new Promise<void>((resolve) => {
    parser.on('complete', () => resolve());
    parser.end(tap);
  });
  return levels;
}
