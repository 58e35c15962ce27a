/**
 * The shapes of the files a user writes: matrices/*.yaml and kernels/*.yaml.
 * Keys are snake_case as in the files; loading turns them into the types of
 * types.ts. Objects are strict: a misspelt key is an error, not ignored.
 */
import * as z from 'zod';
import { CELL_KEYS, DEVICE_KINDS, KVMTOOL_MODES, LKVM_IRQCHIPS, TOPOLOGIES, TRANSPORT_FLAGS, TRANSPORTS } from './types.js';

// Each file is parsed once per command: zod's generated fast path costs more
// to compile (about 5 ms a schema) than it saves on one small document.
z.config({ jitless: true });

const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'use lower-case letters, digits, ".", "_" and "-" (it becomes part of a cell id and a path)');

/** A patch is a file name (applied forward) or { path, direction }. */
export const patchRefSchema = z.preprocess(
  (value) => (typeof value === 'string' ? { path: value } : value),
  z.strictObject({
    path: z.string().min(1),
    direction: z.enum(['forward', 'reverse']).default('forward'),
  }),
);
export type PatchRef = z.infer<typeof patchRefSchema>;

export const kernelDefinitionSchema = z
  .strictObject({
    description: z.string().optional(),
    source: z
      .strictObject({
        tarball: z.string().min(1).optional(),
        package: z.string().min(1).optional(),
        image: z.string().min(1).optional(),
        git: z.string().min(1).optional(),
        ref: z.string().regex(/^[^\s-][^\s]*$/, 'a commit-ish: a branch, tag or commit id').optional(),
        uncommitted: z.enum(['include', 'ignore']).optional(),
        download: z
          .string()
          .refine((u) => URL.canParse(u) && ['http:', 'https:', 'file:'].includes(new URL(u).protocol), {
            error: 'an http, https or file URL (file:///absolute/path)',
          })
          .optional(),
        sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'the sha256 of the file, 64 hex digits').optional(),
      })
      .refine((s) => [s.tarball, s.image, s.git, s.download].filter((v) => v !== undefined).length === 1, {
        error:
          'give exactly one of "tarball" (a kernel source tarball), "image" (a built arm64 Image), "git" (a git tree) or "download" (a URL of a built kernel)',
      })
      .refine((s) => (s.download === undefined) === (s.sha256 === undefined), {
        error: '"download" needs "sha256" (the file\'s checksum, checked before anything is used), and "sha256" goes with "download"',
      })
      .refine((s) => s.git !== undefined || (s.ref === undefined && s.uncommitted === undefined), {
        error: '"ref" and "uncommitted" go with "git"',
      })
      .refine((s) => s.tarball !== undefined || s.package === undefined, { error: '"package" goes with "tarball"' })
      .refine((s) => s.uncommitted !== 'include' || (s.ref ?? 'HEAD') === 'HEAD', {
        error: '"uncommitted: include" builds the checked-out tree, so "ref" must be HEAD (or left out)',
      }),
    arch: z.literal('arm64', { error: 'only arm64 is supported' }).default('arm64'),
    cross_compile: z.string().default('aarch64-linux-gnu-'),
    config: z
      .strictObject({
        base: z.string().min(1).default('tinyconfig'),
        fragments: z.array(z.string().min(1)).default([]),
      })
      .default({ base: 'tinyconfig', fragments: [] }),
    patches: z.array(patchRefSchema).default([]),
  });
export type KernelDefinitionFile = z.infer<typeof kernelDefinitionSchema>;

// the same limits in boot: and in cell_boot: rules
const bootTimeout = z.number().positive();
const bootRetries = z.int().min(0).max(5);
const bootRepeat = z.int().min(1).max(100);

const qemuVmm = z.strictObject({
  type: z.literal('qemu'),
  topology: z.enum(TOPOLOGIES).default('flat'),
  ports: z.int().min(1).max(30).default(6),
  binary: z.string().min(1).default('qemu-system-aarch64'),
});

const kvmtoolVmm = z.strictObject({
  type: z.literal('kvmtool'),
  lkvm: z.string().min(1).optional(),
  mode: z.enum(KVMTOOL_MODES).default('auto'),
  transport_flag: z.enum(TRANSPORT_FLAGS).default('virtio-transport'),
  host_kernel: id.optional(),
  qemu: z.string().min(1).default('qemu-system-aarch64'),
  host_memory: z.int().min(256).optional(),
  irqchip: z.enum(LKVM_IRQCHIPS).optional(),
});

const whenSchema = z.strictObject(
  Object.fromEntries(CELL_KEYS.map((k) => [k, z.string().min(1).optional()])) as Record<
    (typeof CELL_KEYS)[number],
    z.ZodOptional<z.ZodString>
  >,
);

export const matrixSchema = z.strictObject({
  name: id,
  description: z.string().optional(),
  paths: z
    .strictObject({
      kernels: z.string().min(1).default('../kernels'),
      patches: z.string().min(1).default('../patches'),
    })
    .default({ kernels: '../kernels', patches: '../patches' }),
  kernels: z
    .record(
      id,
      z.strictObject({
        definition: z.string().min(1),
        description: z.string().optional(),
        patches: z.array(patchRefSchema).default([]),
      }),
    )
    .refine((r) => Object.keys(r).length > 0, { error: 'a matrix needs at least one kernel' }),
  vmms: z
    .record(id, z.discriminatedUnion('type', [qemuVmm, kvmtoolVmm], { error: 'type is "qemu" or "kvmtool"' }))
    .refine((r) => Object.keys(r).length > 0, { error: 'a matrix needs at least one VMM' }),
  transports: z.array(z.enum(TRANSPORTS)).min(1).default([...TRANSPORTS]),
  devices: z.array(z.enum(DEVICE_KINDS)).min(1).default([...DEVICE_KINDS]),
  boot: z
    .strictObject({
      timeout: bootTimeout.default(60),
      memory: z.int().min(64).default(256),
      cpus: z.int().min(1).max(8).default(1),
      console_cap: z.int().min(4096).default(4 * 1024 * 1024),
      append: z.string().regex(/^[^\n\r]*$/, 'one line of kernel parameters').default(''),
      retries: bootRetries.default(1),
      repeat: bootRepeat.default(1),
    })
    .default({ timeout: 60, memory: 256, cpus: 1, console_cap: 4 * 1024 * 1024, append: '', retries: 1, repeat: 1 }),
  expect: z
    .array(
      z.strictObject({
        when: whenSchema,
        verdict: z.enum(['pass', 'fail']),
        why: z.string().optional(),
      }),
    )
    .default([]),
  // boot settings for some cells: a slow nested kvmtool cell, a flaky host
  cell_boot: z
    .array(
      z
        .strictObject({
          when: whenSchema,
          timeout: bootTimeout.optional(),
          retries: bootRetries.optional(),
          repeat: bootRepeat.optional(),
        })
        .refine((r) => r.timeout !== undefined || r.retries !== undefined || r.repeat !== undefined, {
          error: 'give "timeout", "retries", "repeat" or several of them',
        }),
    )
    .default([]),
});
export type MatrixFile = z.infer<typeof matrixSchema>;
