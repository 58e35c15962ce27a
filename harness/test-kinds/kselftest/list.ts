/**
 * What an install of kselftests says about itself: the tests each target
 * installed (kselftest-list.txt, `target:test` a line) and the deadline a
 * target's `settings` file gives its tests. Pure: the build reads the
 * files, these read the text.
 */

import type { KselftestCase } from '../../matrix/types.js';

export type { KselftestCase };

/** The kselftest default when a target's settings name no timeout (runner.sh's kselftest_default_timeout). */
export const KSELFTEST_DEFAULT_TIMEOUT_SEC = 45;

/** `target:test` lines; anything else (blank lines, make's chatter) is not a test. */
export function parseKselftestList(text: string): { target: string; test: string }[] {
  const tests: { target: string; test: string }[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const colon = line.lastIndexOf(':');
    if (colon <= 0 || colon === line.length - 1 || /\s/.test(line)) continue;
    tests.push({ target: line.slice(0, colon), test: line.slice(colon + 1) });
  }
  return tests;
}

/** The `timeout=` of a settings file, in seconds; null when it has none or says 0 (no limit). */
export function settingsTimeout(text: string): number | null {
  const match = /^timeout=(\d+)\s*$/m.exec(text);
  if (!match) return null;
  const seconds = Number(match[1]);
  return seconds > 0 ? seconds : null;
}

/** The name of a test in `skip:` lists and on the agent's records. */
export function kselftestName(c: Pick<KselftestCase, 'target' | 'test'>): string {
  return `${c.target}:${c.test}`;
}
