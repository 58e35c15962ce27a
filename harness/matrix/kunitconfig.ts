/**
 * A kunitconfig: the config options a KUnit run needs, one a line, as the
 * kernel's own `.kunitconfig` files write them. Blank lines and `#`
 * comments are allowed; `# CONFIG_X is not set` asks for X off, as in a
 * .config. Anything else is a mistake in the file.
 */
import type { Kunitconfig } from './types.js';

const SET = /^CONFIG_[A-Za-z0-9_]+=\S.*$/;
const UNSET = /^# CONFIG_[A-Za-z0-9_]+ is not set$/;

export interface KunitconfigProblem {
  /** Index of the line at fault; null for the lines as a whole. */
  index: number | null;
  problem: string;
}

/** What is wrong with a kunitconfig's lines, or null. */
export function kunitconfigProblem(lines: readonly string[]): KunitconfigProblem | null {
  let options = 0;
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (SET.test(line) || UNSET.test(line)) {
      options++;
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const shown = line.length > 60 ? `${line.slice(0, 60)}...` : line;
    return {
      index,
      problem: `"${shown}" is not a config option: a line is CONFIG_NAME=value, "# CONFIG_NAME is not set", a # comment or blank`,
    };
  }
  return options === 0 ? { index: null, problem: 'names no config option (CONFIG_NAME=value lines)' } : null;
}

/** Its lines as a config fragment, what merge_config.sh merges and the cache key holds: where they were written does not count. */
export function kunitconfigText(config: Kunitconfig): string {
  return `${config.lines.map((l) => l.text.trim()).join('\n')}\n`;
}

/**
 * The same lines placed at their own line numbers, for the config check:
 * an option the kernel drops is reported at the line of the file (or of
 * the matrix) that asked for it. A matrix's flow list (`[CONFIG_A=y,
 * CONFIG_B=y]`) writes several on one line, and each must be checked: a
 * line already taken puts the next of them in a fragment of its own,
 * checked after (one fragment for a file, whatever its length).
 */
export function kunitconfigCheckFragments(config: Kunitconfig): { file: string; text: string }[] {
  const layers: string[][] = [];
  for (const { line, text } of config.lines) {
    const at = Math.max(line, 1) - 1;
    let layer = layers.find((l) => l[at] === undefined);
    if (!layer) layers.push((layer = []));
    layer[at] = text.trim();
  }
  return layers.map((layer) => ({ file: config.file, text: `${Array.from(layer, (l) => l ?? '').join('\n')}\n` }));
}
