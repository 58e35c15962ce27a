/**
 * The shapes of the files a user writes: matrices/*.yaml and kernels/*.yaml.
 * Keys are snake_case as in the files; loading turns them into the types of
 * types.ts. Objects are strict: a misspelt key is an error, not ignored.
 */
import * as z from 'zod/mini';
import './zod-config.js';
import { testGlobProblem } from './test-path.js';
import type { FileSchema } from './yaml-file.js';
import {
  CELL_KEYS,
  DEFAULT_TCG_CPU,
  TOLERABLE_INCIDENT_KINDS,
  DEVICE_KINDS,
  KVMTOOL_MODES,
  LKVM_IRQCHIPS,
  TOPOLOGIES,
  TRANSPORT_FLAGS,
  TRANSPORTS,
} from './types.js';

/**
 * The schemas, built when a file is first checked against one: a run whose
 * files were all validated before (validated-memo.ts) builds none of them.
 */
function buildSchemas() {
  const text = z.string();
  const nonEmpty = () => z.string().check(z.minLength(1));
  const optionalText = () => z.optional(z.string());
  const whole = (min: number, max?: number) => z.int().check(...[z.gte(min), ...(max === undefined ? [] : [z.lte(max)])]);

  const id = z
    .string()
    .check(z.regex(/^[a-z0-9][a-z0-9._-]*$/, 'use lower-case letters, digits, ".", "_" and "-" (it becomes part of a cell id and a path)'));

  // a patch is a file name (applied forward) or { path, direction }
  const patchRefSchema = z.pipe(
    z.transform((value: unknown) => (typeof value === 'string' ? { path: value } : value)),
    z.strictObject({
      path: nonEmpty(),
      direction: z._default(z.enum(['forward', 'reverse']), 'forward'),
    }),
  );

  const kernelDefinitionSchema = z.strictObject({
    description: optionalText(),
    source: z
      .strictObject({
        tarball: z.optional(nonEmpty()),
        package: z.optional(nonEmpty()),
        image: z.optional(nonEmpty()),
        git: z.optional(nonEmpty()),
        ref: z.optional(z.string().check(z.regex(/^[^\s-][^\s]*$/, 'a commit-ish: a branch, tag or commit id'))),
        uncommitted: z.optional(z.enum(['include', 'ignore'])),
        download: z.optional(
          z.string().check(
            z.refine((u) => URL.canParse(u) && ['http:', 'https:', 'file:'].includes(new URL(u).protocol), {
              error: 'an http, https or file URL (file:///absolute/path)',
            }),
          ),
        ),
        sha256: z.optional(z.string().check(z.regex(/^[0-9a-fA-F]{64}$/, 'the sha256 of the file, 64 hex digits'))),
      })
      .check(
        z.refine((s) => [s.tarball, s.image, s.git, s.download].filter((v) => v !== undefined).length === 1, {
          error:
            'give exactly one of "tarball" (a kernel source tarball), "image" (a built arm64 Image), "git" (a git tree) or "download" (a URL of a built kernel)',
        }),
        z.refine((s) => (s.download === undefined) === (s.sha256 === undefined), {
          error: '"download" needs "sha256" (the file\'s checksum, checked before anything is used), and "sha256" goes with "download"',
        }),
        z.refine((s) => s.git !== undefined || (s.ref === undefined && s.uncommitted === undefined), {
          error: '"ref" and "uncommitted" go with "git"',
        }),
        z.refine((s) => s.tarball !== undefined || s.package === undefined, { error: '"package" goes with "tarball"' }),
        z.refine((s) => s.uncommitted !== 'include' || (s.ref ?? 'HEAD') === 'HEAD', {
          error: '"uncommitted: include" builds the checked-out tree, so "ref" must be HEAD (or left out)',
        }),
      ),
    arch: z._default(z.literal('arm64', { error: 'only arm64 is supported' }), 'arm64'),
    cross_compile: z._default(text, 'aarch64-linux-gnu-'),
    config: z._default(
      z.strictObject({
        base: z._default(nonEmpty(), 'tinyconfig'),
        fragments: z._default(z.array(nonEmpty()), []),
      }),
      { base: 'tinyconfig', fragments: [] },
    ),
    patches: z._default(z.array(patchRefSchema), []),
  });

  // the same limits in boot: and in cell_boot: rules
  const bootTimeout = z.number().check(z.positive());
  const bootRetries = whole(0, 5);
  const bootRepeat = whole(1, 100);

  const qemuVmm = z.strictObject({
    type: z.literal('qemu'),
    topology: z._default(z.enum(TOPOLOGIES), 'flat'),
    ports: z._default(whole(1, 30), 6),
    binary: z._default(nonEmpty(), 'qemu-system-aarch64'),
    // a -cpu value: a model and its properties
    tcg_cpu: z._default(
      z
        .string()
        .check(
          z.regex(
            /^[A-Za-z0-9][A-Za-z0-9_.,=-]*$/,
            'a QEMU CPU model and its properties, as -cpu takes them (cortex-a57, max,pauth-impdef=on)',
          ),
        ),
      DEFAULT_TCG_CPU,
    ),
  });

  const kvmtoolVmm = z.strictObject({
    type: z.literal('kvmtool'),
    lkvm: z.optional(nonEmpty()),
    mode: z._default(z.enum(KVMTOOL_MODES), 'auto'),
    transport_flag: z._default(z.enum(TRANSPORT_FLAGS), 'auto'),
    host_kernel: z.optional(id),
    qemu: z._default(nonEmpty(), 'qemu-system-aarch64'),
    host_memory: z.optional(whole(256)),
    irqchip: z.optional(z.enum(LKVM_IRQCHIPS)),
  });

  // one glob as kunit.filter_glob= takes it: a suite, or suite.case
  const kunitFilter = z.string().check(
    z.regex(
      /^[^\s,]+$/,
      'one glob, as kunit.filter_glob= takes it (a suite, or suite.case): no lists or spaces; choose suites through the kunitconfig',
    ),
    z.refine((g) => g.split('.').length <= 2, { error: 'one glob: a suite, or suite.case (one dot)' }),
  );
  // a folder of tools/testing/selftests, as TARGETS= takes it
  const kselftestTarget = z
    .string()
    .check(z.regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, 'a folder of tools/testing/selftests (timers, net/forwarding)'));
  const testEntry = z.union(
    [
      z.literal('probe'),
      z.literal('dmesg'),
      z.strictObject({
        kunit: z.strictObject({
          kunitconfig: z.union([nonEmpty(), z.array(z.string()).check(z.minLength(1))], {
            error: 'a kunitconfig file (relative to the matrix) or a list of config lines',
          }),
          filter: z.optional(kunitFilter),
        }),
      }),
      z.strictObject({
        command: z.strictObject({
          name: z.string().check(z.regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" and "-": it names the test command.<name>')),
          run: z.union([nonEmpty(), z.tuple([nonEmpty()], nonEmpty())], {
            error: 'a script file (relative to the matrix), or the program and its arguments as a list',
          }),
          files: z._default(z.array(nonEmpty()), []),
          timeout: z._default(z.number().check(z.positive(), z.lte(3600)), 60),
          expect_exit: z._default(whole(0, 255), 0),
        }),
      }),
      z.strictObject({
        kselftest: z.strictObject({
          targets: z.array(kselftestTarget).check(z.minLength(1)),
          skip: z._default(
            z.array(z.string().check(z.regex(/^[A-Za-z0-9_./-]+:[^\s:]+$/, 'a test as kselftest-list.txt names it: target:test'))),
            [],
          ),
          timeout: z.optional(z.number().check(z.positive(), z.lte(3600))),
        }),
      }),
    ],
    {
      error:
        'a test is "probe", "dmesg", { kunit: { kunitconfig, filter } }, { command: { name, run, files, timeout, expect_exit } } or { kselftest: { targets, skip, timeout } }',
    },
  );
  const testList = z.array(testEntry).check(z.minLength(1));
  const testGlob = z
    .string()
    .check(z.refine((g) => testGlobProblem(g) === null, { error: (issue) => testGlobProblem(String(issue.input)) ?? 'a test glob' }));

  const whenSchema = z.strictObject(
    Object.fromEntries(CELL_KEYS.map((k) => [k, z.optional(nonEmpty())])) as Record<
      (typeof CELL_KEYS)[number],
      z.ZodMiniOptional<z.ZodMiniString<string>>
    >,
  );

  const matrixSchema = z.strictObject({
    name: id,
    description: optionalText(),
    paths: z._default(
      z.strictObject({
        kernels: z._default(nonEmpty(), '../kernels'),
        patches: z._default(nonEmpty(), '../patches'),
      }),
      { kernels: '../kernels', patches: '../patches' },
    ),
    kernels: z
      .record(
        id,
        z.strictObject({
          definition: nonEmpty(),
          description: optionalText(),
          patches: z._default(z.array(patchRefSchema), []),
        }),
      )
      .check(z.refine((r) => Object.keys(r).length > 0, { error: 'a matrix needs at least one kernel' })),
    vmms: z
      .record(id, z.discriminatedUnion('type', [qemuVmm, kvmtoolVmm], { error: 'type is "qemu" or "kvmtool"' }))
      .check(z.refine((r) => Object.keys(r).length > 0, { error: 'a matrix needs at least one VMM' })),
    transports: z._default(z.array(z.enum(TRANSPORTS)).check(z.minLength(1)), [...TRANSPORTS]),
    devices: z._default(z.array(z.enum(DEVICE_KINDS)).check(z.minLength(1)), [...DEVICE_KINDS]),
    boot: z._default(
      z.strictObject({
        timeout: z._default(bootTimeout, 60),
        memory: z._default(whole(64), 256),
        cpus: z._default(whole(1, 8), 1),
        console_cap: z._default(whole(4096), 4 * 1024 * 1024),
        append: z._default(z.string().check(z.regex(/^[^\n\r]*$/, 'one line of kernel parameters')), ''),
        retries: z._default(bootRetries, 1),
        repeat: z._default(bootRepeat, 1),
      }),
      { timeout: 60, memory: 256, cpus: 1, console_cap: 4 * 1024 * 1024, append: '', retries: 1, repeat: 1 },
    ),
    // what each boot runs; probe (the device checks) when absent
    tests: z._default(testList, ['probe']),
    // other tests for some cells: a later rule wins
    cell_tests: z._default(z.array(z.strictObject({ when: whenSchema, tests: testList })), []),
    expect: z._default(
      z.array(
        z
          .strictObject({
            when: whenSchema,
            // a glob over the cell's tests (kunit.suite.case): the rule is about those tests, not the cell
            test: z.optional(testGlob),
            verdict: z.optional(z.enum(['pass', 'fail', 'skip'])),
            why: optionalText(),
            // kernel reports the tests may print and still pass (a case that warns on purpose)
            may_print: z.optional(z.array(z.enum(TOLERABLE_INCIDENT_KINDS)).check(z.minLength(1))),
          })
          .check(
            z.refine((r) => r.test !== undefined || r.verdict !== 'skip', {
              error: '"skip" is for tests (with "test:"): a cell is skipped by what the host lacks, not by the matrix',
              path: ['verdict'],
            }),
            z.refine((r) => r.test !== undefined || r.may_print === undefined, {
              error: '"may_print" is for tests (with "test:"): the reports a test may print; one outside every test is the cell\'s',
              path: ['may_print'],
            }),
            z.refine((r) => r.verdict !== undefined || r.may_print !== undefined, {
              error: 'give "verdict" (pass, fail, skip), "may_print" (the kernel reports a test may print), or both',
            }),
          ),
      ),
      [],
    ),
    // boot settings for some cells: a slow nested kvmtool cell, a flaky host
    cell_boot: z._default(
      z.array(
        z
          .strictObject({
            when: whenSchema,
            timeout: z.optional(bootTimeout),
            retries: z.optional(bootRetries),
            repeat: z.optional(bootRepeat),
          })
          .check(
            z.refine((r) => r.timeout !== undefined || r.retries !== undefined || r.repeat !== undefined, {
              error: 'give "timeout", "retries", "repeat" or several of them',
            }),
          ),
      ),
      [],
    ),
  });

  return { patchRef: patchRefSchema, kernelDefinition: kernelDefinitionSchema, matrix: matrixSchema };
}

type Schemas = ReturnType<typeof buildSchemas>;
let built: Schemas | undefined;
const schemas = (): Schemas => (built ??= buildSchemas());

export const kernelDefinitionFile: FileSchema<Schemas['kernelDefinition']> = { kind: 'kernel', schema: () => schemas().kernelDefinition };
export const matrixFile: FileSchema<Schemas['matrix']> = { kind: 'matrix', schema: () => schemas().matrix };
export type PatchRef = z.infer<Schemas['patchRef']>;
export type KernelDefinitionFile = z.infer<Schemas['kernelDefinition']>;
export type MatrixFile = z.infer<Schemas['matrix']>;
