import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { kunitconfigText } from './kunitconfig.js';
import type { Cell, TestSpec } from './types.js';

/**
 * A digest of what a matrix asks of its cells: ids, expectations, devices,
 * boot settings, the tests each runs and the rules for those tests, without
 * file paths (CI jobs check the project out in different places): a file a
 * test takes counts by its name and content, given as `fileDigest`. Shards
 * of one matrix carry the same digest, and merge refuses shards whose
 * digests differ; a history of nights tells a changed matrix by it. Kernel
 * contents are compared by their cache keys instead.
 */
export function matrixDigest(cells: readonly Cell[], fileDigest: (path: string) => string): string {
  const essence = cells.map((c) => ({
    id: c.id,
    topology: c.topology,
    expect: c.expect.verdict,
    devices: c.devices.map((d) => d.name),
    boot: c.boot,
    tests: c.tests.map((t) => testEssence(t, fileDigest)),
    leafExpect: c.leafExpect.map((r) => ({ test: r.test, verdict: r.verdict ?? null, why: r.why ?? null, mayPrint: r.mayPrint ?? [] })),
  }));
  return `sha256:${createHash('sha256').update(JSON.stringify(essence)).digest('hex')}`;
}

/** A test as it asks, whatever folder its files are in. */
function testEssence(test: TestSpec, fileDigest: (path: string) => string): unknown {
  switch (test.kind) {
    case 'kunit':
      return { kind: test.kind, config: kunitconfigText(test.kunitconfig), filter: test.filter };
    case 'command':
      return {
        kind: test.kind,
        name: test.name,
        argv: test.argv,
        files: test.files.map((f) => ({ name: basename(f), content: fileDigest(f) })),
        timeoutSec: test.timeoutSec,
        expectExit: test.expectExit,
      };
    case 'kselftest':
      return { kind: test.kind, targets: test.targets, skip: test.skip, timeoutSec: test.timeoutSec };
    case 'probe':
    case 'dmesg':
      return { kind: test.kind };
  }
}
