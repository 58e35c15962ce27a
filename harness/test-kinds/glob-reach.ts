import { globMatchesPath, testPath } from '../matrix/test-path.js';

/** Whether a glob can name a test kind or anything below it (its first part matches the kind's name). */
export function globReachesKind(glob: string, kind: string): boolean {
  const first = glob.split('.')[0]!;
  return globMatchesPath(first, testPath(kind));
}
