import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { EM_AARCH64, lkvmBinaryProblem, readElfFacts, type ElfFacts } from '../../harness/host/elf.js';
import { inspectLkvm } from '../../harness/vmm/lkvm.js';

const dir = t.testdir({ 'hello.c': 'int main(void) { return 0; }\n', 'lkvm.sh': '#!/bin/sh\nexec true\n' });
const cc = 'aarch64-linux-gnu-gcc';
execFileSync(cc, ['-static', '-o', join(dir, 'static-arm64'), join(dir, 'hello.c')]);
execFileSync(cc, ['-o', join(dir, 'dynamic-arm64'), join(dir, 'hello.c')]);

t.test('a static arm64 binary: AArch64, no interpreter, fit for a nested host', async (t) => {
  const facts = readElfFacts(readFileSync(join(dir, 'static-arm64'))) as ElfFacts;
  t.same(facts, { bits: 64, littleEndian: true, machine: EM_AARCH64, interpreter: null });
  t.equal(lkvmBinaryProblem(facts, true), null);
});

t.test('a dynamic arm64 binary is fine natively, not in a nested host', async (t) => {
  const facts = readElfFacts(readFileSync(join(dir, 'dynamic-arm64'))) as ElfFacts;
  t.equal(facts.machine, EM_AARCH64);
  t.equal(facts.interpreter, '/lib/ld-linux-aarch64.so.1');
  t.equal(lkvmBinaryProblem(facts, false), null);
  t.match(lkvmBinaryProblem(facts, true), /dynamically linked \(it asks for \/lib\/ld-linux-aarch64.so.1\).*statically/);
});

t.test('an x86-64 binary is named by its architecture', async (t) => {
  // built here by the host's own compiler, whatever the host: e_machine 62 is EM_X86_64 in the ELF spec
  const x86 = join(dir, 'x86-64');
  execFileSync('x86_64-linux-gnu-gcc', ['-o', x86, join(dir, 'hello.c')]);
  const facts = readElfFacts(readFileSync(x86)) as ElfFacts;
  t.equal(facts.machine, 62);
  t.equal(lkvmBinaryProblem(facts, false), 'built for x86-64; kvmatrix needs an arm64 (AArch64) lkvm');
});

t.test('not an ELF, or cut short', async (t) => {
  t.equal(readElfFacts(readFileSync(join(dir, 'lkvm.sh'))), 'not an ELF executable');
  t.match(lkvmBinaryProblem(readElfFacts(Buffer.from('')), true), /^not an ELF executable; kvmatrix needs an arm64 lkvm binary$/);
  const whole = readFileSync(join(dir, 'static-arm64'));
  t.match(readElfFacts(whole.subarray(0, 70)), /truncated ELF file/);
  const dynamic = readFileSync(join(dir, 'dynamic-arm64'));
  // keep the program headers, lose the interpreter string they point at
  const phEnd = 64 + dynamic.readUInt16LE(0x36) * dynamic.readUInt16LE(0x38);
  t.match(readElfFacts(dynamic.subarray(0, phEnd)), /interpreter path cut off/);
});

t.test('inspectLkvm names the file and where it came from', async (t) => {
  const missing = inspectLkvm({ path: join(dir, 'nope'), from: 'KVMATRIX_LKVM' }, true);
  t.match(missing, { problem: /^lkvm .*nope \(from KVMATRIX_LKVM\) cannot be read: ENOENT$/ });
  const notFile = inspectLkvm({ path: dir, from: '--lkvm' }, true);
  t.match(notFile, { problem: /\(from --lkvm\) is not a file$/ });
  const script = inspectLkvm({ path: join(dir, 'lkvm.sh'), from: 'matrix' }, false);
  t.match(script, { problem: /\(from matrix\) is not an ELF executable/ });
  const good = inspectLkvm({ path: join(dir, 'static-arm64'), from: '--lkvm' }, true);
  t.match(good, { path: join(dir, 'static-arm64'), from: '--lkvm', sha256: /^[0-9a-f]{64}$/ });
  writeFileSync(join(dir, 'copy'), readFileSync(join(dir, 'static-arm64')));
  t.equal(
    (inspectLkvm({ path: join(dir, 'copy'), from: '--lkvm' }, true) as { sha256: string }).sha256,
    (good as { sha256: string }).sha256,
  );
});
