import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import t from 'tap';
import { cacheLayout, ensureCacheDirs } from '../../harness/kernel/cache.js';
import { DownloadError, obtainDownload, sniffKind } from '../../harness/kernel/download.js';
import { body, brokenOff, serveRoutes } from '../support/http-server.js';
import { tempTree } from '../support/temp-tree.js';
import { smallDisk } from '../support/tmpfs.js';

/** Bytes with the arm64 Image header's magic where the loader looks for it. */
function fakeImage(size: number, seed = 1): Buffer {
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i++) data[i] = (i * 31 + seed) & 0xff;
  data.writeUInt32LE(0x644d5241, 56);
  return data;
}
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

function tarball(files: Record<string, Buffer>, flags: string[]): Buffer {
  const dir = tempTree({});
  for (const [path, data] of Object.entries(files)) {
    mkdirSync(join(dir, 'src', path, '..'), { recursive: true });
    writeFileSync(join(dir, 'src', path), data);
  }
  execFileSync('tar', [...flags, join(dir, 'out'), '-C', join(dir, 'src'), ...Object.keys(files)]);
  return readFileSync(join(dir, 'out'));
}

const image = fakeImage(9 << 20);
const config = Buffer.from('CONFIG_KVM=y\nCONFIG_VIRTIO_PCI=y\n');
const files = {
  image,
  gz: gzipSync(image),
  tgz: tarball({ 'boot/Image': image, 'boot/.config': config }, ['-czf']),
  txz: tarball({ 'linux/Image.gz': gzipSync(image), 'linux/config-6.1': config }, ['-cJf']),
  twoImages: tarball({ 'a/Image': image, 'b/Image': image }, ['-cf']),
  noImage: tarball({ README: Buffer.from('hello\n') }, ['-czf']),
  notKernel: Buffer.from('just some text, not a kernel at all\n'.repeat(20)),
};

t.test('downloads, with a local server on 127.0.0.1', async (t) => {
  const server = await serveRoutes({
    '/Image': body(files.image),
    '/Image.gz': body(files.gz),
    '/kernel.tar.gz': body(files.tgz),
    '/kernel.tar.xz': body(files.txz),
    '/two.tar': body(files.twoImages),
    '/none.tar.gz': body(files.noImage),
    '/text': body(files.notKernel),
    '/truncated': brokenOff(files.image),
  });
  t.teardown(() => server.close());
  const layout = cacheLayout(tempTree({}, 'kvmatrix-cache-'));
  ensureCacheDirs(layout);

  t.test('an Image: streamed, checked, published; a second time from the cache without a request', async (t) => {
    const lines: string[] = [];
    const got = await obtainDownload(
      { kind: 'download', url: server.url('/Image'), sha256: sha(image) },
      { layout, onProgress: (l) => lines.push(l) },
    );
    t.equal(got.cached, false);
    t.equal(got.key, `download:sha256:${sha(image)}`);
    t.ok(readFileSync(got.image).equals(image), 'the Image as served');
    t.equal(got.config, null);
    t.equal(lines.length, 2, 'progress every 4 MiB');
    for (const line of lines) t.match(line, /^downloading: \d+\.\d MiB of 9\.0 MiB$/);
    const again = await obtainDownload({ kind: 'download', url: server.url('/Image'), sha256: sha(image) }, { layout });
    t.equal(again.cached, true);
    t.equal(server.hits.get('/Image'), 1, 'no second request');
    t.same(readdirSync(layout.staging), []);
  });

  for (const [path, data, withConfig] of [
    ['/Image.gz', files.gz, false],
    ['/kernel.tar.gz', files.tgz, true],
    ['/kernel.tar.xz', files.txz, true],
  ] as const) {
    t.test(`${path}: the Image inside${withConfig ? ', and its config' : ''}`, async (t) => {
      const got = await obtainDownload({ kind: 'download', url: server.url(path), sha256: sha(data) }, { layout });
      t.ok(readFileSync(got.image).equals(image), 'the same Image');
      if (withConfig) t.equal(readFileSync(got.config!, 'utf8'), config.toString());
      else t.equal(got.config, null);
    });
  }

  t.test('a file: URL', async (t) => {
    const dir = tempTree({});
    writeFileSync(join(dir, 'Image'), fakeImage(4096, 7));
    const data = readFileSync(join(dir, 'Image'));
    const got = await obtainDownload({ kind: 'download', url: pathToFileURL(join(dir, 'Image')).href, sha256: sha(data) }, { layout });
    t.ok(readFileSync(got.image).equals(data));
  });

  const refusals: [string, string, string, RegExp][] = [
    [
      'a wrong sha256',
      '/Image',
      'a'.repeat(64),
      new RegExp(`/Image: its sha256 is ${sha(image)}, the kernel definition says a{64}: a different or changed file$`),
    ],
    [
      'a truncated body',
      '/truncated',
      sha(image),
      /\/truncated: (the download broke off after \d+ bytes of 9437184|\d+ bytes arrived of the 9437184 announced: the download is truncated)/,
    ],
    ['a 404', '/missing', sha(image), /\/missing: the server answered 404 Not Found$/],
    ['more than one Image', '/two.tar', sha(files.twoImages), /the tarball holds more than one Image: a\/Image, b\/Image$/],
    ['no Image', '/none.tar.gz', sha(files.noImage), /the tarball holds no file named Image or Image\.gz \(it holds README\)$/],
    ['not a kernel', '/text', sha(files.notKernel), /neither an arm64 Image, an Image\.gz nor a tarball holding one$/],
  ];
  for (const [what, path, digest, message] of refusals) {
    t.test(`${what}: one clear error, nothing in the cache`, async (t) => {
      const fresh = cacheLayout(tempTree({}, 'kvmatrix-cache-'));
      ensureCacheDirs(fresh);
      await t.rejects(obtainDownload({ kind: 'download', url: server.url(path), sha256: digest }, { layout: fresh }), DownloadError);
      await obtainDownload({ kind: 'download', url: server.url(path), sha256: digest }, { layout: fresh }).catch((error: Error) =>
        t.match(error.message, message),
      );
      t.same(readdirSync(fresh.downloads), [], 'nothing in downloads/');
      t.same(readdirSync(fresh.staging), [], 'nothing in staging/');
    });
  }

  t.test('a server that is not there', async (t) => {
    // a port that was just given up: nothing listens there
    const gone = await serveRoutes({});
    const closed = gone.url('/Image');
    await gone.close();
    const fresh = cacheLayout(tempTree({}, 'kvmatrix-cache-'));
    ensureCacheDirs(fresh);
    await t.rejects(
      obtainDownload({ kind: 'download', url: closed, sha256: sha(image) }, { layout: fresh }),
      /127\.0\.0\.1:\d+\/Image: ECONNREFUSED$/,
    );
  });
});

const smallCacheDisk = smallDisk('2m');
if (!('skip' in smallCacheDisk)) t.teardown(smallCacheDisk.unmount);

t.test(
  'a disk that fills up during a download: one clear error, nothing left on it',
  { skip: 'skip' in smallCacheDisk ? smallCacheDisk.skip : false },
  async (t) => {
    const disk = smallCacheDisk as { dir: string };
    const server = await serveRoutes({ '/Image': body(image) });
    t.teardown(() => server.close());
    const layout = cacheLayout(disk.dir);
    ensureCacheDirs(layout);
    await obtainDownload({ kind: 'download', url: server.url('/Image'), sha256: sha(image) }, { layout }).then(
      () => t.fail('a 9 MiB download fitted on a 2 MiB disk'),
      (error: Error) => {
        t.type(error, DownloadError);
        t.match(
          error.message,
          /\/Image: no space left on the device holding the cache \(.*\) after \d+ bytes: free space there, or give --cache on a larger disk$/,
        );
      },
    );
    t.same(readdirSync(layout.downloads), [], 'nothing in downloads/');
    t.same(readdirSync(layout.staging), [], 'the partial file is gone');
  },
);

t.test('sniffing: Image, gzip, tar, xz', async (t) => {
  t.equal(sniffKind(fakeImage(4096)), 'image');
  t.equal(sniffKind(files.gz.subarray(0, 512)), 'gzip');
  t.equal(sniffKind(files.twoImages.subarray(0, 512)), 'tar');
  t.equal(sniffKind(files.txz.subarray(0, 512)), 'compressed-tar');
  t.equal(sniffKind(files.notKernel.subarray(0, 512)), 'unknown');
  // bzip2 and zstd tarballs by their magic, as GNU tar reads them
  t.equal(sniffKind(Buffer.from('BZh91AY&SY')), 'compressed-tar');
  t.equal(sniffKind(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x58])), 'compressed-tar');
  t.equal(sniffKind(Buffer.from([0x28, 0xb5, 0x2f, 0xfc, 0x04, 0x58])), 'unknown', 'one byte off the zstd magic');
});
