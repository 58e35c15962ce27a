import { chmodSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { rememberedToolVersion } from '../../harness/host/facts.js';
import { tempTree } from '../support/temp-tree.js';

t.test("QEMU's version is asked once per installed binary, again after an upgrade, never for a missing or broken one", async (t) => {
  const dir = tempTree({ 'memo/.keep': '' });
  const memo = join(dir, 'memo');
  const calls = join(dir, 'calls');
  writeFileSync(calls, '');
  const qemu = join(dir, 'qemu-system-aarch64');
  const install = (script: string) => {
    writeFileSync(qemu, `#!/bin/sh\necho asked >> '${calls}'\n${script}\n`);
    chmodSync(qemu, 0o755);
  };
  const asked = () => readFileSync(calls, 'utf8').split('\n').filter(Boolean).length;

  install("echo 'QEMU emulator version 7.2.22'; echo 'Copyright'");
  t.equal(await rememberedToolVersion(qemu, memo), 'QEMU emulator version 7.2.22');
  t.equal(await rememberedToolVersion(qemu, memo), 'QEMU emulator version 7.2.22');
  t.equal(asked(), 1, 'the second time from the cache: no process started');

  install("echo 'QEMU emulator version 8.2.0'");
  utimesSync(qemu, new Date(), new Date(Date.now() + 5000));
  t.equal(await rememberedToolVersion(qemu, memo), 'QEMU emulator version 8.2.0', 'an upgraded binary is asked again');
  t.equal(asked(), 2);

  install('exit 1');
  utimesSync(qemu, new Date(), new Date(Date.now() + 10000));
  t.equal(await rememberedToolVersion(qemu, memo), null, 'a binary that does not run has no version');
  t.equal(await rememberedToolVersion(qemu, memo), null);
  t.equal(asked(), 4, 'and that is not remembered: asked each time');

  t.equal(await rememberedToolVersion(join(dir, 'no-such-qemu'), memo), null, 'a missing binary: null');
  t.equal(await rememberedToolVersion('kvmatrix-no-such-binary-on-path', memo), null, 'one missing from PATH too');
  t.equal(asked(), 4);
});
