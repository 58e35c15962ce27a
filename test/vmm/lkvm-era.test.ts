import { readFileSync } from 'node:fs';
import t from 'tap';
import { lkvmEraOf, resolveLkvmEra } from '../../harness/vmm/lkvm-era.js';

/** Bytes as a binary's string table holds them: each ended by NUL. */
const strings = (...names: string[]) => Buffer.from(`\x7fELF\0${names.join('\0')}\0`, 'latin1');

t.test("an lkvm's era from the option names among its strings, newest first", async (t) => {
  t.equal(lkvmEraOf(strings('force-pci', 'Force virtio devices to use PCI')), 'force-pci');
  t.equal(lkvmEraOf(strings('force-pci', 'virtio-legacy', 'Use legacy virtio transport')), 'virtio-legacy');
  t.equal(
    lkvmEraOf(strings('force-pci', 'virtio-legacy', 'virtio-transport', '[pci|pci-legacy|mmio|mmio-legacy]')),
    'virtio-transport',
    'the newest keeps the older names as aliases',
  );
  t.equal(lkvmEraOf(strings('--virtio-transport')), 'virtio-transport', 'written with its dashes');
  t.equal(lkvmEraOf(strings('hello')), null);
});

t.test('a name inside a longer string is not the option', async (t) => {
  t.equal(lkvmEraOf(strings('virtio/pci-legacy.c', 'no-virtio-legacy', 'xforce-pci', 'use_virtio-transport')), null);
  t.equal(
    lkvmEraOf(strings('virtio-transport: unknown type "%s"', 'force-pci')),
    'force-pci',
    'an error message naming it is not its name',
  );
  t.equal(lkvmEraOf(Buffer.from('force-pci', 'latin1')), null, 'not ended by NUL');
  t.equal(lkvmEraOf(Buffer.from('force-pci\0', 'latin1')), 'force-pci', 'at the very start');
});

t.test('the matrix says, the binary shows: auto takes what it shows; a contradiction is refused', async (t) => {
  t.same(resolveLkvmEra('auto', 'virtio-legacy'), { era: 'virtio-legacy' });
  t.match(resolveLkvmEra('auto', null), {
    problem: /shows none of --virtio-transport, --virtio-legacy or --force-pci.*set transport_flag/,
  });
  t.same(resolveLkvmEra('force-pci', null), { era: 'force-pci' }, 'a binary that shows nothing is taken at the matrix word');
  t.same(resolveLkvmEra('virtio-legacy', 'virtio-legacy'), { era: 'virtio-legacy' });
  t.match(resolveLkvmEra('force-pci', 'virtio-legacy'), {
    problem:
      /has --force-pci and --virtio-legacy \(kvmtool from July 2022 to March 2023\), but transport_flag is force-pci: use auto or virtio-legacy/,
  });
  t.match(resolveLkvmEra('virtio-transport', 'force-pci'), { problem: /legacy virtio-pci only/ });
});

// real lkvm builds of each era, given by the environment as the kvmtool integration tests take them
const real: [string, string | undefined, string][] = [
  ['KVMATRIX_LKVM', process.env.KVMATRIX_LKVM, 'virtio-transport'],
  ['KVMATRIX_LKVM_MIDDLE', process.env.KVMATRIX_LKVM_MIDDLE, 'virtio-legacy'],
  ['KVMATRIX_LKVM_2020', process.env.KVMATRIX_LKVM_2020, 'force-pci'],
];
for (const [name, path, era] of real) {
  t.test(
    `a real lkvm of the ${era} era (${name})`,
    { skip: path ? false : `${name} is not set: no lkvm of that era built to read` },
    async (t) => {
      t.equal(lkvmEraOf(readFileSync(path!)), era);
    },
  );
}
