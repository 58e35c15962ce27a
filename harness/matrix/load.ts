import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { InputError, type InputLocation } from './input-error.js';
import { kernelDefinitionFile, matrixFile, type KernelDefinitionFile, type MatrixFile, type PatchRef } from './schema.js';
import { kunitconfigProblem, kunitconfigText } from './kunitconfig.js';
import { cellKeys, testsFor } from './expand.js';
import type {
  CellKey,
  CommandTestSpec,
  ExpectationRule,
  KernelSource,
  KernelSpec,
  KselftestTestSpec,
  Kunitconfig,
  Matrix,
  PatchSpec,
  TestSpec,
  VmmSpec,
} from './types.js';
import type { ValidatedMemo } from './validated-memo.js';
import { loadYamlFile, type LoadedYaml } from './yaml-file.js';

export interface LoadMatrixOptions {
  /** Take what an earlier run validated from the same text (the CLI's, from the bundle; none in tests). */
  memo?: ValidatedMemo | null;
}

/**
 * Loads a matrix file and every kernel definition it names, resolving all
 * paths. Throws one InputError, with file:line:col and key path, for the
 * first thing wrong.
 */
export function loadMatrix(path: string, options: LoadMatrixOptions = {}): Matrix {
  const file = resolve(path);
  const memo = options.memo ?? null;
  const loaded = loadYamlFile(file, matrixFile, memo);
  const raw = loaded.data;
  const base = dirname(file);
  const kernelsDir = resolve(base, raw.paths.kernels);
  const patchesDir = resolve(base, raw.paths.patches);

  const kernels: KernelSpec[] = Object.entries(raw.kernels).map(([id, entry]) => {
    const definitionFile = resolveDefinition(kernelsDir, entry.definition);
    if (!existsSync(definitionFile)) {
      throw new InputError(
        `kernel definition "${entry.definition}" not found (looked for ${definitionFile})`,
        loaded.locate(['kernels', id, 'definition']),
      );
    }
    const definition = withReferrer(() => loadKernelDefinition(definitionFile, patchesDir, memo), `kernels.${id}.definition in ${file}`);
    const ownPatches = resolvePatches(entry.patches, patchesDir, loaded, ['kernels', id, 'patches']);
    if (ownPatches.length > 0 && (definition.source.kind === 'image' || definition.source.kind === 'download')) {
      throw new InputError(
        `kernel "${id}" is already built (its source is ${definition.source.kind === 'image' ? 'an image' : 'a download'}): patches cannot apply to it`,
        loaded.locate(['kernels', id, 'patches']),
      );
    }
    return {
      ...definition,
      id,
      ...(entry.description ? { description: entry.description } : {}),
      patches: [...definition.patches, ...ownPatches],
    };
  });

  const vmms: VmmSpec[] = Object.entries(raw.vmms).map(([id, v]): VmmSpec => {
    if (v.type === 'qemu') return { id, type: 'qemu', topology: v.topology, ports: v.ports, binary: v.binary, tcgCpu: v.tcg_cpu };
    if (v.host_kernel !== undefined && !raw.kernels[v.host_kernel]) {
      throw new InputError(
        `no kernel "${v.host_kernel}" in this matrix to boot as the nested host (it has: ${Object.keys(raw.kernels).join(', ')})`,
        loaded.locate(['vmms', id, 'host_kernel']),
      );
    }
    const hostKernel = v.host_kernel ?? (raw.kernels.patched ? 'patched' : undefined);
    return {
      id,
      type: 'kvmtool',
      ...(v.lkvm ? { lkvm: resolve(base, v.lkvm) } : {}),
      mode: v.mode,
      transportFlag: v.transport_flag,
      ...(hostKernel ? { hostKernel } : {}),
      qemuBinary: v.qemu,
      ...(v.host_memory ? { hostMemoryMiB: v.host_memory } : {}),
      ...(v.irqchip ? { irqchip: v.irqchip } : {}),
    };
  });

  const known: Record<string, string[]> = {
    kernel: kernels.map((k) => k.id),
    vmm: vmms.map((v) => v.id),
    type: ['qemu', 'kvmtool'],
    transport: raw.transports,
    topology: ['flat', 'bridged'],
  };
  // a rule that names nothing in the matrix is a typo, not a rule that never applies
  for (const list of ['expect', 'cell_boot', 'cell_tests'] as const) {
    raw[list].forEach((rule, index) => {
      for (const [key, value] of Object.entries(rule.when)) {
        if (value !== undefined && !known[key]!.includes(value)) {
          throw new InputError(
            `no ${key} "${value}" in this matrix (it has: ${known[key]!.join(', ')})`,
            loaded.locate([list, index, 'when', key]),
          );
        }
      }
    });
  }

  const testList = (entries: MatrixFile['tests'], at: PropertyKey[]): TestSpec[] => {
    const specs = entries.map((entry, index) => testSpec(entry, file, loaded, [...at, index]));
    specs.forEach((spec, index) => {
      if (spec.kind === 'kselftest' && specs.findIndex((other) => other.kind === 'kselftest') !== index) {
        throw new InputError(
          'a second kselftest entry in one list of tests: list all its targets in one',
          loaded.locate([...at, index, 'kselftest']),
        );
      }
      if (spec.kind !== 'command') return;
      if (specs.findIndex((other) => other.kind === 'command' && other.name === spec.name) !== index) {
        throw new InputError(
          `a second command named "${spec.name}" in one list of tests: each is the test command.${spec.name}`,
          loaded.locate([...at, index, 'command', 'name']),
        );
      }
      // the guest keeps every command's files in one folder, by their names
      const earlier = specs.slice(0, index).flatMap((other) => (other.kind === 'command' ? other.files : []));
      const clash = spec.files.find((f) => earlier.some((e) => e !== f && basename(e) === basename(f)));
      if (clash) {
        throw new InputError(
          `two different files named ${basename(clash)} in one list of tests (${earlier.find((e) => basename(e) === basename(clash))} and ${clash}): the guest keeps the commands' files by their names, in ${GUEST_FILES_DIR}`,
          loaded.locate([...at, index, 'command']),
        );
      }
    });
    return specs;
  };
  const tests = testList(raw.tests, ['tests']);
  const cellTests = raw.cell_tests.map((rule, index) => ({
    when: Object.fromEntries(Object.entries(rule.when).filter(([, v]) => v !== undefined)),
    tests: testList(rule.tests, ['cell_tests', index, 'tests']),
  }));
  withKernelTests(kernels, vmms, raw.transports, { tests, cellTests }, loaded);

  return {
    file,
    name: raw.name,
    ...(raw.description ? { description: raw.description } : {}),
    kernels,
    vmms,
    transports: raw.transports,
    devices: raw.devices,
    boot: {
      timeoutSec: raw.boot.timeout,
      memoryMiB: raw.boot.memory,
      cpus: raw.boot.cpus,
      consoleCapBytes: raw.boot.console_cap,
      retries: raw.boot.retries,
      repeat: raw.boot.repeat,
      append: raw.boot.append.trim(),
    },
    cellBoot: raw.cell_boot.map((rule) => ({
      when: Object.fromEntries(Object.entries(rule.when).filter(([, v]) => v !== undefined)),
      ...(rule.timeout !== undefined ? { timeoutSec: rule.timeout } : {}),
      ...(rule.retries !== undefined ? { retries: rule.retries } : {}),
      ...(rule.repeat !== undefined ? { repeat: rule.repeat } : {}),
    })),
    expectations: raw.expect.map((rule): ExpectationRule => {
      const when = Object.fromEntries(Object.entries(rule.when).filter(([, v]) => v !== undefined));
      const why = rule.why ? { why: rule.why } : {};
      if (rule.test !== undefined) {
        return {
          when,
          test: rule.test,
          ...(rule.verdict ? { verdict: rule.verdict } : {}),
          ...why,
          ...(rule.may_print ? { mayPrint: rule.may_print } : {}),
        };
      }
      // the schema lets skip and may_print through only with a test, and a rule without either has a verdict
      return { when, verdict: rule.verdict === 'fail' ? 'fail' : 'pass', ...why };
    }),
    tests,
    cellTests,
  };
}

/** One entry of `tests:`, its kunitconfig read and checked, its command's files found. */
function testSpec(entry: MatrixFile['tests'][number], matrixFile: string, loaded: LoadedYaml<unknown>, at: PropertyKey[]): TestSpec {
  if (entry === 'probe' || entry === 'dmesg') return { kind: entry };
  if ('command' in entry) return commandSpec(entry.command, matrixFile, loaded, [...at, 'command']);
  if ('kselftest' in entry) return kselftestSpec(entry.kselftest, loaded, [...at, 'kselftest']);
  const { kunitconfig, filter } = entry.kunit;
  const key = [...at, 'kunit', 'kunitconfig'];
  let config: Kunitconfig;
  if (typeof kunitconfig === 'string') {
    const path = resolve(dirname(matrixFile), kunitconfig);
    requireFile(path, 'kunitconfig', () => loaded.locate(key));
    const lines = readFileSync(path, 'utf8').replace(/\n$/, '').split('\n');
    config = { file: path, lines: lines.map((text, i) => ({ line: i + 1, text })) };
    const problem = kunitconfigProblem(lines);
    if (problem) {
      throw new InputError(`${problem.problem} (the kunitconfig named by ${formatKey(key)} in ${matrixFile})`, {
        file: path,
        ...(problem.index !== null ? { line: problem.index + 1 } : {}),
      });
    }
  } else {
    const problem = kunitconfigProblem(kunitconfig);
    if (problem) throw new InputError(problem.problem, loaded.locate(problem.index === null ? key : [...key, problem.index]));
    // the lines' own places in the matrix, so that an option the kernel drops is named at its line
    config = { file: matrixFile, lines: kunitconfig.map((text, i) => ({ line: loaded.locate([...key, i]).line ?? 0, text })) };
  }
  return { kind: 'kunit', kunitconfig: config, filter: filter ?? null };
}

/** Where a command's files are in the guest (commands.c runs commands with /bin:/sbin:... on their PATH). */
export const GUEST_FILES_DIR = '/kvmatrix/files';

/** A command test: its files found beside the matrix, a script given as `run` run by the guest's sh. */
function commandSpec(
  command: Extract<MatrixFile['tests'][number], { command: unknown }>['command'],
  matrixFile: string,
  loaded: LoadedYaml<unknown>,
  at: PropertyKey[],
): CommandTestSpec {
  const base = dirname(matrixFile);
  const found = (ref: string, key: PropertyKey[]) => {
    const path = resolve(base, ref);
    requireFile(path, 'command file', () => loaded.locate(key));
    return path;
  };
  const files = command.files.map((ref, index) => found(ref, [...at, 'files', index]));
  let argv: [string, ...string[]];
  if (typeof command.run === 'string') {
    const script = found(command.run, [...at, 'run']);
    files.push(script);
    argv = ['sh', `${GUEST_FILES_DIR}/${basename(script)}`];
  } else {
    argv = command.run;
  }
  const names = files.map((f) => basename(f));
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice)
    throw new InputError(
      `two files named ${twice}: the guest keeps a command's files by their names, in ${GUEST_FILES_DIR}`,
      loaded.locate([...at, 'files']),
    );
  return { kind: 'command', name: command.name, argv, files, timeoutSec: command.timeout, expectExit: command.expect_exit };
}

/** A kselftest test: every skipped test belongs to one of its targets. */
function kselftestSpec(
  kselftest: Extract<MatrixFile['tests'][number], { kselftest: unknown }>['kselftest'],
  loaded: LoadedYaml<unknown>,
  at: PropertyKey[],
): KselftestTestSpec {
  const targets = [...new Set(kselftest.targets)];
  kselftest.skip.forEach((name, index) => {
    const target = name.slice(0, name.lastIndexOf(':'));
    if (!targets.includes(target)) {
      throw new InputError(
        `${name} is not a test of the targets listed (${targets.join(', ')}): a skipped test is target:test`,
        loaded.locate([...at, 'skip', index]),
      );
    }
  });
  return { kind: 'kselftest', targets, skip: kselftest.skip, timeoutSec: kselftest.timeout ?? null };
}

/**
 * Gives each kernel whose cells run KUnit the kunitconfig they ask for,
 * and the kselftest targets its cells run (all of them, for one build).
 * A kernel is built once, with one kunitconfig: cells of one kernel that
 * ask for two different ones, and a kernel that is already built (an
 * image, a download), are mistakes in the matrix.
 */
function withKernelTests(
  kernels: KernelSpec[],
  vmms: VmmSpec[],
  transports: readonly string[],
  rules: Pick<Matrix, 'tests' | 'cellTests'>,
  loaded: LoadedYaml<unknown>,
): void {
  const where = (index: number | null): PropertyKey[] => (index === null ? ['tests'] : ['cell_tests', index, 'tests']);
  for (const kernel of kernels) {
    let chosen: { config: Kunitconfig; rule: number | null } | null = null;
    const targets = new Set<string>();
    for (const vmm of vmms) {
      for (const transport of transports) {
        const keys: Record<CellKey, string> = cellKeys({
          kernel,
          vmm,
          transport: transport as 'legacy',
          topology: vmm.type === 'qemu' ? vmm.topology : 'flat',
        });
        const { tests, rule } = testsFor(keys, rules.tests, rules.cellTests);
        const built =
          kernel.source.kind === 'image' || kernel.source.kind === 'download'
            ? kernel.source.kind === 'image'
              ? 'an image'
              : 'a download'
            : null;
        const kselftest = tests.find((t) => t.kind === 'kselftest');
        if (kselftest) {
          if (built) {
            throw new InputError(
              `kernel "${kernel.id}" is already built (its source is ${built}): kselftests are built from a kernel's source, with its patches`,
              loaded.locate(where(rule)),
            );
          }
          kselftest.targets.forEach((t) => targets.add(t));
        }
        const kunit = tests.find((t) => t.kind === 'kunit');
        if (!kunit) continue;
        if (built) {
          throw new InputError(
            `kernel "${kernel.id}" is already built (its source is ${built}): a kunitconfig cannot apply to it`,
            loaded.locate(where(rule)),
          );
        }
        if (chosen && kunitconfigText(chosen.config) !== kunitconfigText(kunit.kunitconfig)) {
          throw new InputError(
            `the cells of kernel "${kernel.id}" ask for two kunitconfigs (${chosen.config.file} and ${kunit.kunitconfig.file}): a kernel is built with one; give those cells a kernel entry of their own`,
            loaded.locate(where(rule)),
          );
        }
        chosen ??= { config: kunit.kunitconfig, rule };
      }
    }
    if (chosen) kernel.kunitconfig = chosen.config;
    if (targets.size > 0) kernel.kselftestTargets = [...targets].sort();
  }
}

function formatKey(path: readonly PropertyKey[]): string {
  return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`)).join('');
}

/** A bare name means `<kernels dir>/<name>.yaml`; anything else is a path. */
/** An InputError from a file a matrix names also says which key of the matrix named it. */
function withReferrer<T>(load: () => T, referrer: string): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof InputError) throw new InputError(`${error.detail} (named by ${referrer})`, error.location);
    throw error;
  }
}

function resolveDefinition(kernelsDir: string, ref: string): string {
  if (/^[A-Za-z0-9._-]+$/.test(ref) && !ref.endsWith('.yaml') && !ref.endsWith('.yml')) {
    return resolve(kernelsDir, `${ref}.yaml`);
  }
  return isAbsolute(ref) ? ref : resolve(kernelsDir, ref);
}

/** Loads kernels/<name>.yaml; the kernel id is filled in by the matrix. */
export function loadKernelDefinition(file: string, patchesDir: string, memo: ValidatedMemo | null = null): Omit<KernelSpec, 'id'> {
  const loaded = loadYamlFile(file, kernelDefinitionFile, memo);
  const def = loaded.data;
  const base = dirname(file);
  const fragments = def.config.fragments.map((fragment, index) => {
    const path = resolve(base, fragment);
    requireFile(path, 'config fragment', () => loaded.locate(['config', 'fragments', index]));
    return path;
  });
  const source = kernelSource(def.source, base, loaded);
  if (source.kind === 'image' || source.kind === 'download') {
    // a built kernel: nothing of a build applies, and silently ignoring it would surprise
    const what = source.kind === 'image' ? 'an image' : 'a download';
    const built = (key: 'patches' | 'config') =>
      new InputError(`${what} is already built: "${key}" cannot apply to it`, loaded.locate([key]));
    if (def.patches.length > 0) throw built('patches');
    if (def.config.fragments.length > 0 || def.config.base !== 'tinyconfig') throw built('config');
  }
  return {
    ...(def.description ? { description: def.description } : {}),
    definitionFile: file,
    source,
    arch: def.arch,
    crossCompile: def.cross_compile,
    config: { base: def.config.base, fragments },
    patches: resolvePatches(def.patches, patchesDir, loaded, ['patches']),
  };
}

function kernelSource(raw: KernelDefinitionFile['source'], base: string, loaded: LoadedYaml<unknown>): KernelSource {
  if (raw.tarball) return { kind: 'tarball', path: resolve(base, raw.tarball), ...(raw.package ? { package: raw.package } : {}) };
  if (raw.image) return { kind: 'image', path: resolve(base, raw.image) };
  if (raw.download) return { kind: 'download', url: raw.download, sha256: raw.sha256!.toLowerCase() };
  const git = raw.git!;
  const url = isGitUrl(git);
  if (url && raw.uncommitted === 'include') {
    throw new InputError('"uncommitted: include" needs a local tree, not a URL', loaded.locate(['source', 'uncommitted']));
  }
  return {
    kind: 'git',
    tree: url ? git : resolve(base, git),
    remote: url,
    ref: raw.ref ?? 'HEAD',
    uncommitted: raw.uncommitted ?? 'ignore',
  };
}

/** A URL git can fetch (scheme://… or user@host:path), as opposed to a local path. */
export function isGitUrl(tree: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(tree) || /^[^/\s]+@[^/\s]+:/.test(tree);
}

function resolvePatches(refs: PatchRef[], patchesDir: string, loaded: LoadedYaml<unknown>, at: PropertyKey[]): PatchSpec[] {
  return refs.map((ref, index) => {
    const path = isAbsolute(ref.path) ? ref.path : resolve(patchesDir, ref.path);
    requireFile(path, 'patch', () => loaded.locate([...at, index]));
    return { path, direction: ref.direction };
  });
}

/** `where` only when the file is missing: a location may need the YAML parsed (yaml-file.ts). */
function requireFile(path: string, what: string, where: () => InputLocation): void {
  let ok: boolean;
  try {
    ok = statSync(path).isFile();
  } catch {
    ok = false;
  }
  if (!ok) throw new InputError(`${what} ${path} does not exist or is not a file`, where());
}
