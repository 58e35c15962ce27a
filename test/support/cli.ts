import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { projectRoot } from '../../harness/host/install-paths.js';
import type { RunResults } from '../../harness/report/types.js';
import { tempTree } from './temp-tree.js';

export const cliPath = join(projectRoot, 'dist', 'cli', 'main.cjs');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built kvmatrix CLI (npm test builds it first). */
export async function kvmatrix(args: string[], options: { spyDir?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run npm run build`);
  const path = options.spyDir ? `${options.spyDir}:${process.env.PATH}` : process.env.PATH!;
  const result = await execa(process.execPath, [cliPath, ...args], {
    reject: false,
    env: { ...options.env, PATH: path },
    cwd: projectRoot,
    stdin: 'ignore',
  });
  return { code: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

export function readResults(runDir: string): RunResults {
  return JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')) as RunResults;
}

/**
 * A `make` first on PATH that records each call, then runs the real make,
 * so a test can tell whether the harness ran make at all.
 */
export function makeSpy(): { dir: string; calls(): string[]; reset(): void } {
  const dir = tempTree({});
  const log = join(dir, 'calls.log');
  const realMake = ['/usr/bin/make', '/bin/make'].find(existsSync) ?? 'make';
  writeFileSync(join(dir, 'make'), `#!/bin/sh\necho "$*" >> '${log}'\nexec ${realMake} "$@"\n`);
  chmodSync(join(dir, 'make'), 0o755);
  return {
    dir,
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []),
    reset: () => rmSync(log, { force: true }),
  };
}
