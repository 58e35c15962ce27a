import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const made: string[] = [];

/**
 * Writes files (path -> text) under a new temporary folder and returns it.
 * Every such folder is removed when the test process exits well (a suite
 * run used to leave hundreds behind in the system's temporary folder); a
 * test file that failed keeps them, for a look at what its messages name.
 */
export function tempTree(files: Record<string, string>, prefix = 'kvmatrix-test-'): string {
  const root = mkdtempSync(join(tmpdir(), prefix));
  if (made.length === 0) process.once('exit', removeTempTrees);
  made.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

function removeTempTrees(code: number): void {
  if (code !== 0) return;
  for (const dir of made) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // a folder a test made unremovable: left, the exit goes on
    }
  }
}
