import t from 'tap';
import { bugReportingProblem, describeDropped, findDroppedOptions, parseConfig } from '../../harness/kernel/config-check.js';
import { buildKey, configInputsKey } from '../../harness/kernel/keys.js';
import { kselftestKey } from '../../harness/test-kinds/kselftest/build.js';
import { makeArgv } from '../../harness/kernel/make.js';

const finalConfig = `#
# Automatically generated file; DO NOT EDIT.
CONFIG_PCI=y
CONFIG_VIRTIO_PCI=y
# CONFIG_VIRTIO_PCI_LEGACY is not set
CONFIG_LOG_BUF_SHIFT=17
CONFIG_CMDLINE="console=ttyAMA0"
`;

t.test('parseConfig reads set and unset options', async (t) => {
  const c = parseConfig(finalConfig);
  t.equal(c.get('CONFIG_PCI'), 'y');
  t.equal(c.get('CONFIG_VIRTIO_PCI_LEGACY'), 'n');
  t.equal(c.get('CONFIG_CMDLINE'), '"console=ttyAMA0"');
  t.equal(c.has('CONFIG_KVM'), false);
});

t.test('options the final config dropped are found with their fragment line', async (t) => {
  const dropped = findDroppedOptions(
    [{ file: 'frag.config', text: '# comment\nCONFIG_PCI=y\nCONFIG_VIRTIO_PCI_LEGACY=y\nCONFIG_KVM=y\nCONFIG_LOG_BUF_SHIFT=17\n' }],
    finalConfig,
  );
  t.same(
    dropped.map((d) => `${d.option}:${d.line}:${d.got}`),
    ['CONFIG_VIRTIO_PCI_LEGACY:3:n', 'CONFIG_KVM:4:n'],
  );
  t.match(describeDropped(dropped[0]!), /^frag\.config:3: CONFIG_VIRTIO_PCI_LEGACY=y was asked for but the final \.config is not set/);
});

t.test('"is not set" in a fragment is satisfied by absence; later fragments win', async (t) => {
  const dropped = findDroppedOptions(
    [
      { file: 'a', text: 'CONFIG_VIRTIO_PCI_LEGACY=y\n# CONFIG_KVM is not set\n' },
      { file: 'b', text: '# CONFIG_VIRTIO_PCI_LEGACY is not set\n' },
    ],
    finalConfig,
  );
  t.same(dropped, []);
});

t.test(
  'an option a selftest config asks as a module is there when built in (no MODULES); a module is not built in, nor absent',
  async (t) => {
    const final = 'CONFIG_PCI=y\nCONFIG_ZRAM=m\n';
    const dropped = findDroppedOptions(
      [{ file: 'tools/testing/selftests/x/config', text: 'CONFIG_PCI=m\nCONFIG_ZRAM=y\nCONFIG_TEST_LKM=m\n' }],
      final,
    );
    t.same(
      dropped.map((d) => `${d.option}:${d.got}`),
      ['CONFIG_ZRAM:m', 'CONFIG_TEST_LKM:n'],
    );
    t.match(
      describeDropped(dropped[1]!),
      /^tools\/testing\/selftests\/x\/config:3: CONFIG_TEST_LKM=m was asked for but the final \.config is not set/,
    );
  },
);

t.test('cache keys change with every input and only with them', async (t) => {
  const base = {
    source: 's',
    patches: [{ sha256: 'p', direction: 'reverse' as const }],
    arch: 'arm64',
    crossCompile: 'x-',
    base: 'tinyconfig',
    fragments: ['f'],
    toolchain: 'gcc 12',
  };
  const k = configInputsKey(base);
  t.equal(configInputsKey({ ...base }), k);
  t.not(configInputsKey({ ...base, patches: [{ sha256: 'p', direction: 'forward' }] }), k);
  t.not(configInputsKey({ ...base, fragments: ['g'] }), k);
  t.not(configInputsKey({ ...base, toolchain: 'gcc 13' }), k);
  t.not(configInputsKey({ ...base, kselftestTargets: ['timers'] }), k, 'kselftest targets merge their configs');
  const ks = { source: 's', patches: [], arch: 'arm64', crossCompile: 'x-', targets: ['size'], toolchain: 't' };
  t.not(kselftestKey(ks), kselftestKey({ ...ks, targets: ['size', 'timers'] }));
  t.not(kselftestKey(ks), kselftestKey({ ...ks, patches: [{ sha256: 'p', direction: 'forward' }] }));
  t.not(kselftestKey(ks), kselftestKey({ ...ks, source: 'other' }));
  t.equal(kselftestKey(ks), kselftestKey({ ...ks }));
  const b = { source: 's', patches: [], arch: 'arm64', crossCompile: 'x-', config: 'c', toolchain: 't', target: 'Image' };
  t.not(buildKey(b), buildKey({ ...b, config: 'd' }));
  t.not(buildKey(b), buildKey({ ...b, source: 'other' }));
});

t.test('make argv: out of tree, cross compiled, ccache only when asked', async (t) => {
  const spec = { arch: 'arm64' as const, crossCompile: 'aarch64-linux-gnu-' };
  const plain = makeArgv(spec, { buildDir: '/b', jobs: 2, ccache: false }, ['Image']);
  t.same(plain, [
    'make',
    'ARCH=arm64',
    'CROSS_COMPILE=aarch64-linux-gnu-',
    'O=/b',
    'KBUILD_BUILD_USER=kvmatrix',
    'KBUILD_BUILD_HOST=kvmatrix',
    '-j2',
    'Image',
  ]);
  const cached = makeArgv(spec, { buildDir: '/b', jobs: 2, ccache: true }, ['Image']);
  t.ok(cached.includes('CC=ccache aarch64-linux-gnu-gcc'));
  t.ok(cached.includes('HOSTCC=ccache gcc'), 'host programs through ccache too');
  t.same(
    cached.filter((a) => !plain.includes(a)),
    ['CC=ccache aarch64-linux-gnu-gcc', 'HOSTCC=ccache gcc'],
    'nothing else differs',
  );
});

t.test('a final .config that cannot show a WARNING or a BUG is named, with the options to add', async (t) => {
  t.equal(bugReportingProblem('CONFIG_BUG=y\nCONFIG_DEBUG_BUGVERBOSE=y\n'), null);
  t.match(
    bugReportingProblem('# CONFIG_BUG is not set\n'),
    /^CONFIG_BUG and CONFIG_DEBUG_BUGVERBOSE are off: WARN_ON\(\) prints nothing and BUG\(\) no report, so a patch that warns passes unseen; add CONFIG_BUG=y and CONFIG_DEBUG_BUGVERBOSE=y to a config fragment$/,
  );
  t.match(bugReportingProblem('CONFIG_BUG=y\n'), /^CONFIG_DEBUG_BUGVERBOSE is off: a WARNING or BUG report names no file and line/);
});
