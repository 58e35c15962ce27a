import { chmodSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { cacheLayout, ensureCacheDirs } from '../../harness/kernel/cache.js';
import { rememberedToolchainVersion } from '../../harness/kernel/toolchain.js';
import { tempTree } from '../support/temp-tree.js';

t.test('the toolchain version is asked once per installed compiler and again after an upgrade', async (t) => {
  const dir = tempTree({});
  const calls = join(dir, 'calls');
  writeFileSync(calls, '');
  const tool = (name: string, version: string) => {
    const path = join(dir, `fake-${name}`);
    writeFileSync(path, `#!/bin/sh\necho ${name} >> '${calls}'\necho '${version}'\necho 'more text'\n`);
    chmodSync(path, 0o755);
    return path;
  };
  const gcc = tool('gcc', 'fake-gcc (Debian 12.2.0-14) 12.2.0');
  tool('ld', 'GNU ld (GNU Binutils for Debian) 2.40');
  const layout = cacheLayout(join(dir, 'cache'));
  ensureCacheDirs(layout);
  const prefix = join(dir, 'fake-');
  const asked = () => readFileSync(calls, 'utf8').trim().split('\n').filter(Boolean).length;

  t.equal(await rememberedToolchainVersion(prefix, layout), 'fake-gcc (Debian 12.2.0-14) 12.2.0 | GNU ld (GNU Binutils for Debian) 2.40');
  t.equal(asked(), 2, 'gcc and ld asked');
  t.equal(await rememberedToolchainVersion(prefix, layout), 'fake-gcc (Debian 12.2.0-14) 12.2.0 | GNU ld (GNU Binutils for Debian) 2.40');
  t.equal(asked(), 2, 'the second time from the cache: no process started');

  // an upgrade replaces the compiler: the next call asks again and sees the new version
  tool('gcc', 'fake-gcc (Debian 12.2.0-15) 12.2.1');
  utimesSync(gcc, new Date(), new Date(Date.now() + 5000));
  t.equal(await rememberedToolchainVersion(prefix, layout), 'fake-gcc (Debian 12.2.0-15) 12.2.1 | GNU ld (GNU Binutils for Debian) 2.40');
  t.equal(asked(), 4);

  t.equal(await rememberedToolchainVersion(join(dir, 'missing-'), layout), null, 'not installed: null, nothing remembered');
});
