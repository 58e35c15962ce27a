/**
 * The shape of results.json, for reading a run back (report, compare,
 * merge). Writing needs no schema: the harness builds RunResults itself.
 * Objects are loose: a field added by a later kvmatrix is carried, not
 * refused; a field this version reads must be there with its type.
 */
import * as z from 'zod';
import { RESULTS_SCHEMA, type RunResults } from './types.js';

// Each file is parsed once per command: zod's generated fast path costs more
// to compile (about 5 ms a schema) than it saves on one small document.
z.config({ jitless: true });

const verdict = z.enum(['pass', 'fail', 'error', 'timeout', 'skip', 'flaky']);
const status = z.enum(['as-expected', 'unexpected', 'skipped']);
const bar = z.looseObject({ index: z.number(), kind: z.enum(['io', 'mem', 'other']), start: z.number(), end: z.number() });
const incident = z.looseObject({ kind: z.enum(['panic', 'oops', 'bug', 'warning']), line: z.number(), summary: z.string() });
const nullableString = z.string().nullable();

const device = z.looseObject({
  name: z.string(),
  kind: z.enum(['rng', 'net', 'blk']),
  position: z.number(),
  bdf: nullableString,
  pciId: nullableString,
  presented: z.enum(['legacy', 'modern']).nullable(),
  bar0: bar.nullable(),
  bars: z.array(bar),
  pciDriver: nullableString,
  virtioDev: nullableString,
  virtioDriver: nullableString,
  status: z.number().nullable(),
  statusNames: z.array(z.string()),
  check: z.looseObject({ result: z.enum(['ok', 'fail', 'timeout', 'skip', 'error']), detail: z.string() }).nullable(),
  problems: z.array(z.string()),
});

const attempt = z.looseObject({ verdict, reasons: z.array(z.string()), console: nullableString });

const cell = z.looseObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._-]*\/(legacy|modern)$/, 'a cell id: <kernel>/<vmm>/<transport>'),
  kernel: z.string(),
  vmm: z.string(),
  vmmType: z.enum(['qemu', 'kvmtool']),
  transport: z.enum(['legacy', 'modern']),
  topology: z.enum(['flat', 'bridged']),
  verdict,
  expected: z.enum(['pass', 'fail']),
  expectedWhy: z.string().optional(),
  status,
  reasons: z.array(z.string()),
  hint: z.string().optional(),
  devices: z.array(device),
  incidents: z.array(incident),
  timings: z.looseObject({
    bootMs: z.number().nullable(),
    firstOutputMs: z.number().nullable(),
    kernelFirstLine: z.number().nullable(),
    initStarted: z.number().nullable(),
    agentDone: z.number().nullable(),
  }),
  console: nullableString,
  consoleBytes: z.number(),
  consoleTruncated: z.boolean(),
  consoleCapBytes: z.number(),
  reproduce: nullableString,
  command: z.array(z.string()).nullable(),
  consoleTail: z.array(z.string()),
  interrupted: z.literal(true).optional(),
  retried: z.array(attempt).optional(),
  repeats: z
    .array(
      z.looseObject({
        boot: z.number().int().min(1),
        verdict,
        status,
        reasons: z.array(z.string()),
        hint: z.string().optional(),
        devices: z.array(device),
        bootMs: z.number().nullable(),
        console: nullableString,
        reproduce: nullableString,
        retried: z.array(attempt).optional(),
        interrupted: z.literal(true).optional(),
      }),
    )
    .optional(),
  kvmtool: z.looseObject({
    mode: z.enum(['native', 'nested']),
    lkvm: z.looseObject({ path: z.string(), from: z.enum(['matrix', '--lkvm', 'KVMATRIX_LKVM']) }),
    lkvmArgs: z.array(z.string()),
  }).optional(),
});

const kernel = z.looseObject({
  id: z.string(),
  ok: z.boolean(),
  durationMs: z.number(),
  key: z.string().optional(),
  source: z.string().optional(),
  commit: z.looseObject({ id: z.string(), subject: z.string(), uncommitted: z.boolean() }).optional(),
  stage: z.enum(['source', 'toolchain', 'patch', 'config', 'build']).optional(),
  message: z.string().optional(),
  logTail: z.array(z.string()).optional(),
});

// runs written before flaky existed have no count of it
const counts = z.looseObject({ pass: z.number(), fail: z.number(), error: z.number(), timeout: z.number(), skip: z.number(), flaky: z.number().default(0) });

export const runResultsSchema = z.looseObject({
  schema: z.literal(RESULTS_SCHEMA, { error: `not a kvmatrix results file of this version (schema "${RESULTS_SCHEMA}")` }),
  runId: z.string(),
  matrix: z.looseObject({ name: z.string(), file: z.string(), description: z.string().optional(), digest: z.string().optional() }),
  shard: z.looseObject({ index: z.number().int().min(1), count: z.number().int().min(1), selected: z.number().int().min(0) }).optional(),
  mergedFrom: z.array(z.string()).optional(),
  interrupted: z.string().optional(),
  startedAt: z.string(),
  finishedAt: z.string(),
  host: z.looseObject({ arch: z.string(), node: z.string(), qemu: nullableString, accel: z.enum(['tcg', 'kvm']), kvmatrix: z.string() }),
  selection: z.looseObject({ cells: z.array(z.string()), filters: z.array(z.string()) }),
  kernels: z.array(kernel),
  cells: z.array(cell),
  summary: z.looseObject({ total: z.number(), asExpected: z.number(), unexpected: z.number(), skipped: z.number(), byVerdict: counts }),
});

// the schema must describe at least what the writer writes: a field
// renamed in types.ts and not here fails to compile
export type ParsedResults = z.infer<typeof runResultsSchema>;
type Covers<A, B> = A extends B ? true : false;
export const SCHEMA_MATCHES_RESULTS: Covers<ParsedResults, RunResults> = true;
