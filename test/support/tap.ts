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
