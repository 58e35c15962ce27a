/** A fragment option that did not survive into the final .config. */
export interface DroppedOption {
  option: string;
  wanted: string;
  got: string;
  file: string;
  line: number;
}

const SET = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/;
const UNSET = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/;

/** CONFIG_X -> value, with "n" for "is not set". */
export function parseConfig(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const set = SET.exec(line);
    if (set) values.set(set[1]!, set[2]!);
    const unset = UNSET.exec(line);
    if (unset) values.set(unset[1]!, 'n');
  }
  return values;
}

/**
 * The options fragments asked for that the final .config does not have.
 * Kconfig silently drops an option whose dependencies are missing; a
 * kernel built without it would fail its cells for a reason nobody sees.
 * Later fragments override earlier ones, as merge_config.sh does. An
 * option asked for as a module and built in instead is not dropped.
 */
export function findDroppedOptions(fragments: readonly { file: string; text: string }[], finalConfig: string): DroppedOption[] {
  const wanted = new Map<string, { value: string; file: string; line: number }>();
  for (const fragment of fragments) {
    fragment.text.split('\n').forEach((raw, index) => {
      const line = raw.trim();
      const set = SET.exec(line);
      const unset = UNSET.exec(line);
      if (set) wanted.set(set[1]!, { value: set[2]!, file: fragment.file, line: index + 1 });
      else if (unset) wanted.set(unset[1]!, { value: 'n', file: fragment.file, line: index + 1 });
    });
  }
  const final = parseConfig(finalConfig);
  const dropped: DroppedOption[] = [];
  for (const [option, want] of wanted) {
    const got = final.get(option) ?? 'n';
    // without MODULES Kconfig builds in what was asked as a module (selftest configs ask =m)
    const builtIn = want.value === 'm' && got === 'y';
    if (got !== want.value && !builtIn) dropped.push({ option, wanted: want.value, got, file: want.file, line: want.line });
  }
  return dropped;
}

export function describeDropped(d: DroppedOption): string {
  const got = d.got === 'n' ? 'is not set' : `is ${d.got}`;
  return `${d.file}:${d.line}: ${d.option}=${d.wanted} was asked for but the final .config ${got} (a dependency is missing)`;
}

/** Whether a final .config can host KVM guests (a nested kvmtool host). */
export function configHasKvm(finalConfig: string): boolean {
  return parseConfig(finalConfig).get('CONFIG_KVM') === 'y';
}

/** The options without which the kernel's trouble goes unseen: WARN_ON() and BUG() print their reports, with file and line. */
export const BUG_REPORTING = ['CONFIG_BUG', 'CONFIG_DEBUG_BUGVERBOSE'] as const;

/** Why a kernel with this final .config cannot show a WARNING or a BUG as the console's health rules read them; null when it can. */
export function bugReportingProblem(finalConfig: string): string | null {
  const values = parseConfig(finalConfig);
  return describeBugReporting(BUG_REPORTING.filter((option) => values.get(option) !== 'y'));
}

/**
 * The same, told before anything is built from the config's recipe: the
 * base's own choice (tinyconfig and allnoconfig turn BUG off, the others
 * keep its default on), then each fragment's in order, as merge_config.sh
 * applies them. DEBUG_BUGVERBOSE follows BUG unless a fragment sets it.
 */
export function bugReportingProblemOfRecipe(base: string, fragments: readonly string[]): string | null {
  const set = new Map<string, string>();
  for (const text of fragments) for (const [option, value] of parseConfig(text)) set.set(option, value);
  const bug = set.get('CONFIG_BUG') ?? (base === 'tinyconfig' || base === 'allnoconfig' ? 'n' : 'y');
  const verbose = set.get('CONFIG_DEBUG_BUGVERBOSE') ?? bug;
  return describeBugReporting([...(bug === 'y' ? [] : ['CONFIG_BUG']), ...(verbose === 'y' ? [] : ['CONFIG_DEBUG_BUGVERBOSE'])]);
}

function describeBugReporting(off: readonly string[]): string | null {
  if (off.length === 0) return null;
  const effect = off.includes('CONFIG_BUG')
    ? 'WARN_ON() prints nothing and BUG() no report, so a patch that warns passes unseen'
    : 'a WARNING or BUG report names no file and line';
  return `${off.join(' and ')} ${off.length > 1 ? 'are' : 'is'} off: ${effect}; add ${off.map((o) => `${o}=y`).join(' and ')} to a config fragment`;
}
