import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../harness/host/install-paths.js';

export interface ConsoleFixture {
  name: string;
  text: string;
  nonce: string;
  /** Nested kvmtool fixtures: the host agent's nonce (nonce is the guest's). */
  hostNonce?: string;
  cell: string;
}

/** A console captured from one of kvmatrix's own runs, with the nonce that boot used. */
export function consoleFixture(name: string): ConsoleFixture {
  const dir = join(projectRoot, 'test', 'fixtures', 'console');
  const meta = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as { nonce: string; hostNonce?: string; cell: string };
  return { name, text: readFileSync(join(dir, `${name}.log`), 'utf8'), ...meta };
}
