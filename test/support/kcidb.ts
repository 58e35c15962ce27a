/**
 * KernelCI's own validator of KCIDB submissions: kcidb-io from PyPI, in the
 * checkout's .venv (installed by `ensure-deps.sh --test`). A machine
 * without it fails the KCIDB tests: CI's machines reach PyPI.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../harness/host/install-paths.js';
import type { KcidbSubmission } from '../../harness/report/kcidb.js';
import { kvmatrix } from './cli.js';
import { tempTree } from './temp-tree.js';

const PYTHON = join(projectRoot, '.venv', 'bin', 'python');

// the latest schema kcidb-io knows, at least 5.3, and the submission checked against it
const VALIDATE = `
import json, sys
from kcidb_io import schema
latest = schema.LATEST
if (latest.major, latest.minor) < (5, 3):
    sys.exit(f"kcidb-io's latest schema is {latest.major}.{latest.minor}, older than 5.3")
try:
    latest.validate(json.load(open(sys.argv[1])))
except Exception as error:
    sys.exit(f"invalid: {str(error)[:3000]}")
print(f"{latest.major}.{latest.minor}")
`;

/** The schema version the file validated against; throws with kcidb-io's reason when it does not. */
export function validateKcidb(file: string): string {
  if (!existsSync(PYTHON)) throw new Error(`kcidb-io is not installed (${PYTHON} missing): run bash harness/host/ensure-deps.sh --test`);
  try {
    return execFileSync(PYTHON, ['-c', VALIDATE, file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? String(error);
    throw new Error(`${file}: ${stderr.trim()}`, { cause: error });
  }
}

/** A real run folder rendered with `kvmatrix report --kcidb`, validated by kcidb-io, and read back. */
export async function runKcidb(runDir: string): Promise<KcidbSubmission> {
  const file = join(tempTree({}, 'kvmatrix-kcidb-'), 'kcidb.json');
  const rendered = await kvmatrix(['report', runDir, '--kcidb', file]);
  if (rendered.code !== 0) throw new Error(`report --kcidb exited ${rendered.code}: ${rendered.stderr}`);
  validateKcidb(file);
  return JSON.parse(readFileSync(file, 'utf8')) as KcidbSubmission;
}
