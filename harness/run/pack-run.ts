/**
 * A run folder as one .tar.gz that unpacks anywhere into a folder that
 * renders with `kvmatrix report` and boots with its reproduce scripts.
 */
import { randomBytes } from 'node:crypto';
import { readlinkSync, realpathSync, renameSync, rmSync, type Stats } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { create, type ReadEntry } from 'tar';
import { InputError } from '../matrix/input-error.js';
import { pathInside } from './run-artifacts.js';

export interface PackOutcome {
  /** The archive's top folder: the run id. */
  top: string;
  /** Entries left out, each with why. */
  leftOut: string[];
}

/**
 * Writes the run folder to `file` (gzip-compressed tar), under its own name.
 * Files linked more than once inside the folder are stored once and then
 * as hard links, so unpacking gives whole files; a symbolic link is stored
 * as a link, never followed, and only one that names a path below its own
 * folder (relative, no `..` step) is kept: judged by its text, a chain of
 * links could lead out once unpacked (`s -> ..`, `t -> s/../..`), while
 * links that only descend stay inside whatever else they meet. kvmatrix
 * makes no symbolic links in a run folder. Anything but files, folders
 * and links is left out too. The archive is
 * written aside and renamed into place: a failure leaves no half file.
 */
export async function packRun(runDir: string, file: string): Promise<PackOutcome> {
  const folder = realpathSync(runDir);
  const target = resolve(file);
  if (isInside(folder, realpathSync(dirname(target)))) {
    throw new InputError(`${file}: the archive would be inside the run folder it packs (${folder}); write it elsewhere`);
  }
  const top = basename(folder);
  const parent = dirname(folder);
  const leftOut: string[] = [];
  const keep = (path: string, entry: Stats | ReadEntry): boolean => {
    // creating, tar hands the lstat of each path (a ReadEntry only when it reads an archive)
    const stat = entry as Stats;
    const absolute = join(parent, path);
    if (stat.isSymbolicLink()) {
      const target = readlinkSync(absolute);
      if (!isAbsolute(target) && !target.split('/').includes('..')) return true;
      leftOut.push(
        `${path}: a symbolic link to ${target}, ${isAbsolute(target) ? 'absolute' : 'climbing with ..'}: it could lead outside the run folder`,
      );
      return false;
    }
    if (stat.isFile() || stat.isDirectory()) return true;
    leftOut.push(`${path}: neither a file, a folder nor a symbolic link`);
    return false;
  };
  const tmp = join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await create({ file: tmp, cwd: parent, gzip: true, portable: true, filter: keep }, [top]);
    renameSync(tmp, target);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
  return { top, leftOut };
}

function isInside(folder: string, path: string): boolean {
  return pathInside(folder, path) !== null;
}
