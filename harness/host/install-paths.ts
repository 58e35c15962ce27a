import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The kvmatrix checkout this code runs from: the nearest folder above this
 * file whose package.json is kvmatrix's. The same from the TypeScript
 * sources (tests) and from the compiled dist/ (the bin).
 */
export const projectRoot: string = findRoot(dirname(fileURLToPath(import.meta.url)));

function findRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'kvmatrix') return dir;
      } catch {
        // not ours; keep looking
      }
    }
    if (dirname(dir) === dir) throw new Error(`kvmatrix: no kvmatrix package.json above ${start}`);
  }
}

export const defaultMatrixFile = join(projectRoot, 'matrices', 'murray.yaml');
const agentDir = join(projectRoot, 'harness', 'guest', 'agent');
/** The agent's C sources, compiled together; the header is part of its cache key. */
export const agentSourceFiles = [
  join(agentDir, 'kvmatrix-agent.c'),
  join(agentDir, 'nested-host.c'),
  join(agentDir, 'arg-file.c'),
  join(agentDir, 'ktap-digest.c'),
  join(agentDir, 'crc32.c'),
  join(agentDir, 'commands.c'),
];
export const agentHeaderFiles = [join(agentDir, 'agent.h'), join(agentDir, 'arg-file.h')];
