import { createReadStream, existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createHash } from 'node:crypto';
import { describeFailure, DISK_FULL_HINT, ranOutOfDisk, runCommand, succeeded } from '../host/command.js';
import { publishDir, stagingDir, type CacheLayout } from './cache.js';
import { sha256, shortKey } from './keys.js';
import { withLock } from './lock.js';
import { writeFileAtomic } from '../host/atomic-file.js';

/** A source tarball that cannot become a tree: the message names it, the hint says what to do. */
export class SourceError extends Error {
  override readonly name = 'SourceError';
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/**
 * The sha256 of a large file, remembered by path, size, mtime and inode so
 * that deciding a kernel is already built does not re-read 138 MB.
 */
export async function fileFingerprint(layout: CacheLayout, path: string): Promise<string> {
  const st = statSync(path);
  const memo = join(layout.fingerprints, sha256(`${path}\0${st.size}\0${st.mtimeMs}\0${st.ino}`).slice(0, 32));
  if (existsSync(memo)) {
    const known = readFileSync(memo, 'utf8').trim();
    if (/^[0-9a-f]{64}$/.test(known)) return known;
  }
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  const digest = hash.digest('hex');
  writeFileAtomic(memo, `${digest}\n`);
  return digest;
}

/**
 * The extracted tree of a source tarball, extracted once per tarball
 * content into the cache. The top-level folder of the archive is stripped.
 */
export async function extractedSource(
  layout: CacheLayout,
  tarball: string,
  fingerprint: string,
  options: { signal?: AbortSignal; onProgress?: (progress: UnpackProgress) => void } = {},
): Promise<string> {
  const target = join(layout.sources, shortKey(fingerprint));
  if (existsSync(join(target, 'Makefile'))) return target;
  return withLock(layout, `source-${shortKey(fingerprint)}`, async () => {
    if (existsSync(join(target, 'Makefile'))) return target;
    const staged = stagingDir(layout, 'source');
    try {
      await extractTarball(tarball, staged, options);
      if (!existsSync(join(staged, 'Makefile'))) {
        throw new SourceError(
          `${tarball} does not hold a kernel tree (no Makefile at its top level)`,
          'point the kernel definition at a kernel source tarball',
        );
      }
    } catch (error) {
      // a half-unpacked tree is gigabytes nothing will read: give the disk back
      rmSync(staged, { recursive: true, force: true });
      throw error;
    }
    publishDir(staged, target);
    return target;
  });
}

/** How far an unpack has come: bytes of the archive read, of its whole size when the archive says it. */
export interface UnpackProgress {
  bytes: number;
  total: number | null;
}

/** GNU tar's default record: 20 blocks of 512 bytes; a checkpoint counts records. */
const TAR_RECORD_BYTES = 20 * 512;
/** A checkpoint every 50 MiB of archive. */
const CHECKPOINT_RECORDS = 5120;
const CHECKPOINT_LINE = /^tar: (\d+)$/;

/**
 * GNU tar, not node-tar: on this 80,000-file tree node-tar took 89 s where
 * GNU tar took 15 s, and tar -J reads xz, which node-tar does not. Its
 * checkpoints tell how far it has read; xz's index, the size it unpacks to.
 */
async function extractTarball(
  tarball: string,
  dest: string,
  options: { signal?: AbortSignal; onProgress?: (progress: UnpackProgress) => void },
): Promise<void> {
  const total = options.onProgress ? await unpackedSize(tarball) : null;
  options.onProgress?.({ bytes: 0, total });
  const checkpoints = options.onProgress ? [`--checkpoint=${CHECKPOINT_RECORDS}`, '--checkpoint-action=echo=%u'] : [];
  // tar's own last words, which its checkpoints must not push out
  const said: string[] = [];
  const result = await runCommand(['tar', '-xf', tarball, '-C', dest, '--strip-components=1', '--no-same-owner', ...checkpoints], {
    ...(options.signal ? { signal: options.signal } : {}),
    tailLines: 5,
    onLine: (line) => {
      const at = CHECKPOINT_LINE.exec(line);
      if (at) options.onProgress?.({ bytes: Number(at[1]) * TAR_RECORD_BYTES, total });
      else if (said.push(line) > 5) said.shift();
    },
  });
  if (!succeeded(result)) {
    if (ranOutOfDisk({ ...result, tail: [...result.tail, ...said] }))
      throw new SourceError(`cannot unpack ${tarball}: no space left on the device`, DISK_FULL_HINT);
    throw new SourceError(`cannot unpack ${tarball}: ${describeFailure(result)}: ${said.join(' ').slice(0, 300)}`);
  }
}

/** The size an .xz tarball unpacks to, from its index (no decompression); null for any other or when xz cannot say. */
async function unpackedSize(tarball: string): Promise<number | null> {
  if (!tarball.endsWith('.xz')) return null;
  let totals: number | null = null;
  const result = await runCommand(['xz', '--robot', '--list', tarball], {
    tailLines: 1,
    onLine: (line) => {
      // totals <streams> <blocks> <compressed> <uncompressed> ...
      const fields = line.split('\t');
      if (fields[0] === 'totals' && /^\d+$/.test(fields[4] ?? '')) totals = Number(fields[4]);
    },
  });
  return succeeded(result) ? totals : null;
}
