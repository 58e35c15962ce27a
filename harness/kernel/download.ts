import { createHash } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import { describeFailure, runCommand, succeeded } from '../host/command.js';
import type { DownloadKernelSource } from '../matrix/types.js';
import { publishDir, stagingDir, type CacheLayout } from './cache.js';
import { isArm64Image } from './image-header.js';
import { withLock } from './lock.js';

/** A download that could not become a kernel: the message says what to check. */
export class DownloadError extends Error {
  override readonly name = 'DownloadError';
}

export interface DownloadedKernel {
  /** `download:sha256:<hex>`: the file's own checksum, verified. */
  key: string;
  image: string;
  config: string | null;
  cached: boolean;
}

export interface DownloadContext {
  layout: CacheLayout;
  signal?: AbortSignal;
  /** A line now and then while bytes arrive, for the progress display. */
  onProgress?: (line: string) => void;
}

/**
 * The kernel behind a download source, from the cache when its sha256 has
 * been fetched before. Otherwise it is streamed into a staging folder and
 * hashed on the way, checked for length and checksum, unpacked, checked
 * for an arm64 Image, and only then published under downloads/<sha256>/
 * by one rename. Any failure leaves nothing in the cache.
 */
export async function obtainDownload(source: DownloadKernelSource, ctx: DownloadContext): Promise<DownloadedKernel> {
  const entry = join(ctx.layout.downloads, source.sha256);
  const key = `download:sha256:${source.sha256}`;
  const found = cachedEntry(entry, key);
  if (found) return found;
  return withLock(ctx.layout, `download-${source.sha256.slice(0, 16)}`, async () => {
    const raced = cachedEntry(entry, key);
    if (raced) return raced;
    const staging = stagingDir(ctx.layout, 'download');
    try {
      const file = join(staging, 'download');
      const got = await fetchTo(source.url, file, ctx);
      if (got !== source.sha256) {
        throw new DownloadError(
          `${source.url}: its sha256 is ${got}, the kernel definition says ${source.sha256}: a different or changed file`,
        );
      }
      const out = join(staging, 'entry');
      mkdirSync(out);
      await unpackKernel(file, out, source.url);
      writeFileSync(join(out, 'meta.json'), `${JSON.stringify({ url: source.url, sha256: source.sha256 }, null, 2)}\n`);
      publishDir(out, entry);
    } finally {
      // the download itself and anything unpacked beside it
      rmSync(staging, { recursive: true, force: true });
    }
    return { ...cachedEntry(entry, key)!, cached: false };
  });
}

function cachedEntry(entry: string, key: string): DownloadedKernel | null {
  if (!existsSync(join(entry, 'Image'))) return null;
  const config = join(entry, 'config');
  return { key, image: join(entry, 'Image'), config: existsSync(config) ? config : null, cached: true };
}

/** Streams url into file; returns the sha256 of what arrived. */
async function fetchTo(url: string, file: string, ctx: DownloadContext): Promise<string> {
  const hash = createHash('sha256');
  let received = 0;
  let expected: number | null = null;
  let lastReport = 0;
  const count = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      received += chunk.length;
      if (ctx.onProgress && received - lastReport >= 4 << 20) {
        lastReport = received;
        ctx.onProgress(`downloading: ${mib(received)}${expected ? ` of ${mib(expected)}` : ''}`);
      }
      done(null, chunk);
    },
  });

  let body: Readable;
  if (url.startsWith('file:')) {
    const path = fileURLToPath(url);
    try {
      expected = statSync(path).size;
    } catch {
      throw new DownloadError(`${url}: no such file`);
    }
    body = createReadStream(path);
  } else {
    let response: Response;
    try {
      response = await fetch(url, { ...(ctx.signal ? { signal: ctx.signal } : {}), redirect: 'follow' });
    } catch (error) {
      throw new DownloadError(`${url}: ${describeFetchError(error)}`);
    }
    if (!response.ok || !response.body) {
      throw new DownloadError(`${url}: the server answered ${response.status} ${response.statusText}`.trimEnd());
    }
    const length = response.headers.get('content-length');
    expected = length !== null && /^\d+$/.test(length) ? Number(length) : null;
    body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
  }
  try {
    await pipeline(body, count, createWriteStream(file), ...(ctx.signal ? [{ signal: ctx.signal }] : []));
  } catch (error) {
    if (ctx.signal?.aborted) throw new DownloadError(`${url}: interrupted after ${received} bytes`);
    if ((error as NodeJS.ErrnoException).code === 'ENOSPC') {
      throw new DownloadError(
        `${url}: no space left on the device holding the cache (${ctx.layout.root}) after ${received} bytes: free space there, or give --cache on a larger disk`,
      );
    }
    throw new DownloadError(
      `${url}: the download broke off after ${received} bytes${expected ? ` of ${expected}` : ''} (${describeFetchError(error)})`,
    );
  }
  if (expected !== null && received !== expected) {
    throw new DownloadError(`${url}: ${received} bytes arrived of the ${expected} announced: the download is truncated`);
  }
  return hash.digest('hex');
}

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message ?? String(error);
}

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

/** What a downloaded file is, from its first bytes. */
export function sniffKind(head: Buffer): 'image' | 'gzip' | 'tar' | 'compressed-tar' | 'unknown' {
  if (isArm64Image(head)) return 'image';
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
  // xz, bzip2, zstd: GNU tar reads them all
  if (
    head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) ||
    head.subarray(0, 3).toString('latin1') === 'BZh' ||
    head.readUInt32LE(0) === 0xfd2fb528
  ) {
    return 'compressed-tar';
  }
  return 'unknown';
}

function readHead(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(512);
    return head.subarray(0, readSync(fd, head, 0, 512, 0));
  } finally {
    closeSync(fd);
  }
}

/** Puts `Image` (and `config` when the download has one) into out. */
async function unpackKernel(file: string, out: string, url: string): Promise<void> {
  let kind = sniffKind(readHead(file));
  let current = file;
  if (kind === 'gzip') {
    current = `${file}.unzipped`;
    try {
      await pipeline(createReadStream(file), createGunzip(), createWriteStream(current));
    } catch (error) {
      throw new DownloadError(`${url}: not a valid gzip file (${(error as Error).message})`);
    }
    kind = sniffKind(readHead(current));
  }
  if (kind === 'image') {
    renameSync(current, join(out, 'Image'));
    return;
  }
  if (kind !== 'tar' && kind !== 'compressed-tar') {
    throw new DownloadError(`${url}: neither an arm64 Image, an Image.gz nor a tarball holding one`);
  }
  const tree = `${file}.tree`;
  mkdirSync(tree);
  const result = await runCommand(['tar', '-xf', current, '-C', tree, '--no-same-owner', '--no-same-permissions'], { tailLines: 5 });
  if (!succeeded(result)) throw new DownloadError(`${url}: tar could not unpack it: ${describeFailure(result)}`);
  const files = listFiles(tree);
  const images = files.filter((f) => /(^|\/)Image(\.gz)?$/.test(f));
  if (images.length === 0) {
    throw new DownloadError(
      `${url}: the tarball holds no file named Image or Image.gz (it holds ${files.slice(0, 8).join(', ') || 'nothing'}${files.length > 8 ? ', ...' : ''})`,
    );
  }
  const plain = images.filter((f) => f.endsWith('Image'));
  if (plain.length > 1 || (plain.length === 0 && images.length > 1)) {
    throw new DownloadError(`${url}: the tarball holds more than one Image: ${images.join(', ')}`);
  }
  const chosen = join(tree, plain[0] ?? images[0]!);
  if (chosen.endsWith('.gz')) await pipeline(createReadStream(chosen), createGunzip(), createWriteStream(join(out, 'Image')));
  else renameSync(chosen, join(out, 'Image'));
  if (sniffKind(readHead(join(out, 'Image'))) !== 'image') {
    throw new DownloadError(`${url}: ${relative(tree, chosen)} is not an arm64 Image (no ARM\\x64 magic at offset 56)`);
  }
  const config = files.find((f) => /(^|\/)(\.config|config|config-[^/]+)$/.test(f));
  if (config) renameSync(join(tree, config), join(out, 'config'));
}

function listFiles(root: string, dir = root): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listFiles(root, join(dir, e.name)) : e.isFile() ? [relative(root, join(dir, e.name))] : []))
    .sort();
}
