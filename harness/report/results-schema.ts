/**
 * The shape of results.json, for reading a run back (report, compare,
 * merge). Writing needs no schema: the harness builds RunResults itself.
 * Objects are loose: a field added by a later kvmatrix is carried, not
 * refused; a field this version reads must be there with its type.
 */
import * as z from 'zod/mini';
import '../matrix/zod-config.js';
import type { TestPath } from '../matrix/test-path.js';
import { KERNEL_BUILD_STAGES } from '../kernel/types.js';
import { RESULTS_SCHEMAS_READ, type RunResults } from './types.js';

const num = z.number();
const text = z.string();
const optionalText = z.optional(text);
const texts = z.array(text);
const nullableNumber = z.nullable(num);
const nullableString = z.nullable(text);
const count = (min: number) => z.int().check(z.gte(min));
const verdict = z.enum(['pass', 'fail', 'error', 'timeout', 'skip', 'flaky']);
const status = z.enum(['as-expected', 'unexpected', 'skipped']);
const interrupted = z.optional(z.literal(true));
const bar = z.looseObject({ index: num, kind: z.enum(['io', 'mem', 'other']), start: num, end: num });
const incident = z.looseObject({
  kind: z.enum(['panic', 'oops', 'bug', 'warning', 'lockdep', 'kasan', 'ubsan']),
  line: num,
  summary: text,
});

const device = z.looseObject({
  name: text,
  kind: z.enum(['rng', 'net', 'blk']),
  position: num,
  bdf: nullableString,
  pciId: nullableString,
  presented: z.nullable(z.enum(['legacy', 'modern'])),
  bar0: z.nullable(bar),
  bars: z.array(bar),
  pciDriver: nullableString,
  virtioDev: nullableString,
  virtioDriver: nullableString,
  status: nullableNumber,
  statusNames: texts,
  check: z.nullable(z.looseObject({ result: z.enum(['ok', 'fail', 'timeout', 'skip', 'error']), detail: text })),
  problems: texts,
});

// a path inside the run folder: relative, never climbing out of it (results.json may come from elsewhere)
const inRun = z
  .string()
  .check(z.refine((p) => p.length > 0 && !p.startsWith('/') && !p.split('/').includes('..'), 'a path inside the run folder'));

/** A file of the run folder that `report` reads or links to, or null. */
const inRunOrNull = z.nullable(inRun);

const attempt = z.looseObject({ verdict, reasons: texts, console: inRunOrNull });

const testVerdict = z.enum(['pass', 'fail', 'skip', 'timeout', 'crashed', 'flaky']);
const testPath = z.pipe(
  z.string().check(z.regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'a test path: parts of [A-Za-z0-9_-] joined by dots')),
  z.transform((p) => p as TestPath),
);
// which expect rule set the expectation (absent in runs from before it was recorded)
const expectedBy = z.optional(z.object({ rule: num, scope: z.enum(['test', 'cell']) }));
const testNode = z.looseObject({
  name: text,
  path: testPath,
  verdict: testVerdict,
  expected: z.enum(['pass', 'fail', 'skip']),
  expectedWhy: optionalText,
  expectedBy,
  status,
  reasons: texts,
  log: texts,
  logDropped: z.optional(num),
  lines: z.optional(z.tuple([num, num])),
  incidents: z.optional(z.array(incident)),
  notes: z.optional(texts),
  get children() {
    return z.array(testNode);
  },
});
const tests = z.optional(z.array(testNode));

const cell = z.looseObject({
  id: z.string().check(z.regex(/^[a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._-]*\/(legacy|modern)$/, 'a cell id: <kernel>/<vmm>/<transport>')),
  kernel: text,
  vmm: text,
  vmmType: z.enum(['qemu', 'kvmtool']),
  transport: z.enum(['legacy', 'modern']),
  topology: z.enum(['flat', 'bridged']),
  verdict,
  expected: z.enum(['pass', 'fail']),
  expectedWhy: optionalText,
  expectedBy,
  status,
  reasons: texts,
  hint: optionalText,
  devices: z.array(device),
  tests,
  incidents: z.array(incident),
  timings: z.looseObject({
    bootMs: nullableNumber,
    firstOutputMs: nullableNumber,
    kernelFirstLine: nullableNumber,
    initStarted: nullableNumber,
    agentDone: nullableNumber,
  }),
  console: inRunOrNull,
  consoleBytes: num,
  consoleTruncated: z.boolean(),
  consoleCapBytes: num,
  reproduce: inRunOrNull,
  command: z.nullable(texts),
  consoleTail: texts,
  interrupted,
  retried: z.optional(z.array(attempt)),
  repeats: z.optional(
    z.array(
      z.looseObject({
        boot: count(1),
        verdict,
        status,
        reasons: texts,
        hint: optionalText,
        devices: z.array(device),
        tests,
        bootMs: nullableNumber,
        console: inRunOrNull,
        reproduce: inRunOrNull,
        retried: z.optional(z.array(attempt)),
        interrupted,
      }),
    ),
  ),
  kvmtool: z.optional(
    z.looseObject({
      mode: z.enum(['native', 'nested']),
      lkvm: z.looseObject({ path: text, from: z.enum(['matrix', '--lkvm', 'KVMATRIX_LKVM']) }),
      lkvmArgs: texts,
      guestConsole: z.optional(inRun),
    }),
  ),
});

const kernel = z.looseObject({
  id: text,
  ok: z.boolean(),
  durationMs: num,
  key: optionalText,
  source: optionalText,
  commit: z.optional(z.looseObject({ id: text, subject: text, uncommitted: z.boolean(), repository: optionalText })),
  // the build's own stages, or a companion's, named by its kind (kselftest)
  stage: z.optional(z.union([z.enum(KERNEL_BUILD_STAGES), z.string().check(z.regex(/^[a-z][a-z0-9-]*$/))])),
  message: optionalText,
  logTail: z.optional(texts),
  patches: z.optional(
    z.array(
      z.looseObject({
        file: text,
        direction: z.enum(['forward', 'reverse']),
        sha256: z.string().check(z.regex(/^[0-9a-f]{64}$/, 'a sha256')),
        path: z.optional(inRun),
      }),
    ),
  ),
  kselftests: z.optional(z.looseObject({ key: text, cached: z.boolean(), tests: num })),
  warnings: z.optional(texts),
  artifacts: z.optional(
    z.looseObject({
      image: z.optional(inRun),
      config: z.optional(inRun),
      buildLog: z.optional(inRun),
      kselftests: z.optional(inRun),
      kselftestBuildLog: z.optional(inRun),
    }),
  ),
});

// runs written before flaky existed have no count of it
const counts = z.looseObject({ pass: num, fail: num, error: num, timeout: num, skip: num, flaky: z._default(num, 0) });

const hostFacts = z.looseObject({
  arch: text,
  node: text,
  qemu: nullableString,
  accel: z.enum(['tcg', 'kvm']),
  kvmatrix: text,
  kvmatrixCommit: optionalText,
  name: optionalText,
  vmms: z.optional(
    z.array(
      z.looseObject({
        id: text,
        type: z.enum(['qemu', 'kvmtool']),
        qemu: z.optional(z.looseObject({ binary: text, version: nullableString })),
        lkvm: z.optional(z.looseObject({ path: text, sha256: text, era: nullableString })),
      }),
    ),
  ),
});

export const runResultsSchema = z.looseObject({
  schema: z.enum(RESULTS_SCHEMAS_READ, {
    error: `not a kvmatrix results file this version reads (schema ${RESULTS_SCHEMAS_READ.map((s) => `"${s}"`).join(' or ')})`,
  }),
  runId: text,
  matrix: z.looseObject({ name: text, file: text, description: optionalText, digest: optionalText }),
  shard: z.optional(z.looseObject({ index: count(1), count: count(1), selected: count(0) })),
  mergedFrom: z.optional(texts),
  interrupted: optionalText,
  startedAt: text,
  finishedAt: text,
  host: hostFacts,
  // each shard's machine, in mergedFrom's order: shards of a night may run on several
  mergedHosts: z.optional(z.array(hostFacts)),
  selection: z.looseObject({ cells: texts, filters: texts }),
  kernels: z.array(kernel),
  cells: z.array(cell),
  summary: z.looseObject({ total: num, asExpected: num, unexpected: num, skipped: num, byVerdict: counts }),
});

// the schema must describe at least what the writer writes: a field
// renamed in types.ts and not here fails to compile
export type ParsedResults = z.infer<typeof runResultsSchema>;
type Covers<A, B> = A extends B ? true : false;
export const SCHEMA_MATCHES_RESULTS: Covers<ParsedResults, RunResults> = true;
