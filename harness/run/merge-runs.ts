import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadedRun } from '../report/load-results.js';
import { mergeShards } from '../report/merge.js';
import type { RunResults } from '../report/types.js';
import { newRunId } from './run-id.js';
import { pathInside, placeTree } from './run-artifacts.js';
import { pointLatest } from './run-results.js';
import { writeReports } from './write-reports.js';

/**
 * Folds shard run folders into a new run folder under outRoot: each
 * shard's cells/, kernels/, guest/ and nested/ are carried across,
 * hard-linked where the filesystem allows (cell paths are unique per cell
 * and the rest is named by kernel id or content, so the relative paths in
 * results.json and the reproduce scripts stay true), then the reports are
 * written and `latest` moved. Built under a hidden name and renamed
 * into place, so a refused or failed merge leaves nothing behind.
 */
export function mergeRunFolders(
  shards: readonly LoadedRun[],
  outRoot: string,
  options: { partial?: boolean } = {},
): { results: RunResults; runDir: string } {
  const runId = newRunId(new Date());
  const merged = mergeShards(
    shards.map((s) => ({ results: s.results, file: s.file })),
    { runId, ...(options.partial ? { partial: true } : {}) },
  );
  mkdirSync(outRoot, { recursive: true });
  const staging = join(outRoot, `.${runId}.merging`);
  const runDir = join(outRoot, runId);
  try {
    mkdirSync(staging);
    for (const shard of shards) {
      for (const part of ['cells', 'kernels', 'guest', 'nested']) {
        const from = join(shard.runDir, part);
        if (existsSync(from)) placeTree(from, join(staging, part));
      }
    }
    merged.kernels = merged.kernels.map((k) => ({ ...k, ...(k.buildLog ? { buildLog: rebase(k.buildLog, shards, runDir) } : {}) }));
    writeReports(merged, staging);
    renameSync(staging, runDir);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  pointLatest(outRoot, runId);
  return { results: merged, runDir };
}

/** A build log inside a shard's folder now lives in the merged one; one in the cache stays where it is. */
function rebase(path: string, shards: readonly LoadedRun[], runDir: string): string {
  for (const shard of shards) {
    const inside = pathInside(shard.runDir, path);
    if (inside !== null) return join(runDir, inside);
  }
  return path;
}
