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
export function findDroppedOptions(
  fragments: readonly { file: string; text: string }[],
  finalConfig: string,
): DroppedOption[] {
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
