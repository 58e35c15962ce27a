/**
 * kunit.py, the kernel's own KUnit runner, run as it is from an unpacked
 * kernel source (tools/testing/kunit/kunit.py) beside kvmatrix: for the
 * parity test and the bench. Its results come from its --json file
 * (KernelCI's older test JSON: groups of groups, cases with PASS, FAIL,
 * SKIP or ERROR).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { ccacheEnv } from '../../harness/kernel/make.js';

export interface KunitPyOptions {
  /** The unpacked kernel source kunit.py runs from (and, with O=, writes nothing into). */
  src: string;
  buildDir: string;
  kunitconfig: string;
  json: string;
  /** kunit.py's own --kconfig_add lines. */
  kconfigAdd?: string[];
  /** Compile through ccache, with the paths made relative to this folder (as kvmatrix's builds are). */
  ccacheBase?: string;
  jobs: number;
  log: string;
}

/** `kunit.py run` for arm64 under QEMU; resolves with its exit code. */
export async function runKunitPy(o: KunitPyOptions): Promise<{ code: number; ms: number }> {
  mkdirSync(o.buildDir, { recursive: true });
  const argv = [
    join(o.src, 'tools', 'testing', 'kunit', 'kunit.py'),
    'run',
    '--arch',
    'arm64',
    '--cross_compile',
    'aarch64-linux-gnu-',
    '--kunitconfig',
    o.kunitconfig,
    '--build_dir',
    o.buildDir,
    '--jobs',
    String(o.jobs),
    `--json=${o.json}`,
    ...(o.kconfigAdd ?? []).flatMap((line) => ['--kconfig_add', line]),
    ...(o.ccacheBase ? ['--make_options', 'CC=ccache aarch64-linux-gnu-gcc', '--make_options', 'HOSTCC=ccache gcc'] : []),
  ];
  const started = performance.now();
  const run = await execa('python3', argv, {
    cwd: o.src,
    reject: false,
    stdin: 'ignore',
    all: true,
    env: o.ccacheBase ? ccacheEnv(o.ccacheBase) : {},
  });
  const ms = performance.now() - started;
  execFileSync('sh', ['-c', 'cat > "$0"', o.log], { input: run.all ?? '' });
  return { code: run.exitCode ?? -1, ms };
}

interface KunitPyGroup {
  name: string;
  sub_groups: KunitPyGroup[];
  test_cases: { name: string; status: string }[];
}

/** Every case kunit.py's JSON reports: its names from the suite down, joined by a tab, and its status. */
export function kunitPyCases(jsonFile: string): Map<string, string> {
  const top = JSON.parse(readFileSync(jsonFile, 'utf8')) as KunitPyGroup;
  const cases = new Map<string, string>();
  const walk = (group: KunitPyGroup, names: string[]) => {
    for (const c of group.test_cases) cases.set([...names, c.name].join('\t'), c.status);
    for (const sub of group.sub_groups) walk(sub, [...names, sub.name]);
  };
  // the top group is kunit.py's own ("KUnit Test Group"); its sub-groups are the suites
  walk(top, []);
  return cases;
}
