import t from 'tap';
import { renderDoctor, type DoctorFacts } from '../../harness/doctor/doctor.js';

const base: DoctorFacts = {
  arch: 'x64',
  kvm: 'usable',
  qemu: [{ binary: 'qemu-system-aarch64', version: 'QEMU emulator version 7.2.22' }],
  kvmtool: [],
  requirements: [],
};

t.test('an x86 host with QEMU and a good static lkvm is ok, nested', async (t) => {
  const { text, ok } = renderDoctor({
    ...base,
    kvmtool: [{ vmm: 'kvmtool', mode: 'nested', lkvm: { path: '/opt/lkvm', from: 'KVMATRIX_LKVM' }, problem: null, hostKernel: 'patched' }],
  });
  t.ok(ok);
  t.match(text, /^host: x64, \/dev\/kvm usable \(arm64 guests run under TCG; kvmtool runs nested\)$/m);
  t.match(text, /^qemu: qemu-system-aarch64: QEMU emulator version 7\.2\.22; QEMU cells run with TCG, emulated \(-accel tcg\)$/m);
  t.match(text, /^kvmtool kvmtool: nested in QEMU, host kernel patched; lkvm \/opt\/lkvm \(from KVMATRIX_LKVM\), arm64, static$/m);
});

t.test('no lkvm: still ok, the cells will be skipped and the line says how to give one', async (t) => {
  const { text, ok } = renderDoctor({
    ...base,
    kvmtool: [{ vmm: 'kvmtool', mode: 'nested', lkvm: null, problem: null, hostKernel: 'patched' }],
  });
  t.ok(ok);
  t.match(text, /no lkvm given, its cells will be skipped \(--lkvm PATH, KVMATRIX_LKVM/);
});

t.test('missing QEMU, a wrong lkvm, or no host kernel: not ok, each said', async (t) => {
  const { text, ok } = renderDoctor({
    ...base,
    qemu: [{ binary: 'qemu-system-aarch64', version: null }],
    kvmtool: [
      {
        vmm: 'a',
        mode: 'nested',
        lkvm: { path: '/x', from: '--lkvm' },
        problem: 'lkvm /x (from --lkvm) is built for x86-64; kvmatrix needs an arm64 (AArch64) lkvm',
        hostKernel: 'patched',
      },
      { vmm: 'b', mode: 'nested', lkvm: null, problem: null, hostKernel: null },
      { vmm: 'c', mode: { problem: 'mode: native needs an arm64 host' }, lkvm: null, problem: null, hostKernel: null },
    ],
  });
  t.notOk(ok);
  t.match(text, /qemu-system-aarch64: MISSING \(apt-get install qemu-system-arm\)/);
  t.match(text, /kvmtool a: .*built for x86-64/);
  t.match(text, /kvmtool b: nested in QEMU, host kernel NONE \(set host_kernel:\)/);
  t.match(text, /kvmtool c: cannot run here: mode: native needs an arm64 host/);
  t.match(text, /not ok: see the lines above\n$/);
});

t.test('an arm64 host with KVM runs kvmtool natively', async (t) => {
  const { text } = renderDoctor({
    ...base,
    arch: 'arm64',
    kvmtool: [{ vmm: 'kvmtool', mode: 'native', lkvm: { path: '/usr/bin/lkvm', from: '--lkvm' }, problem: null, hostKernel: null }],
  });
  t.match(text, /\(arm64 guests run under KVM\)/);
  t.match(text, /kvmtool kvmtool: native; lkvm \/usr\/bin\/lkvm \(from --lkvm\), arm64$/m);
});

t.test('requirements: found ones with where, missing ones with their fix; only a required one makes it not ok', async (t) => {
  const found = { what: 'make: kernel build', found: true, detail: '/usr/bin/make', fix: null, required: true };
  const optional = {
    what: 'ccache: repeated kernel builds',
    found: false,
    detail: '/usr/bin/ccache is missing',
    fix: 'apt-get install ccache',
    required: false,
  };
  const flex = {
    what: 'flex: kernel build',
    found: false,
    detail: '/usr/bin/flex is missing',
    fix: 'apt-get install flex',
    required: true,
  };
  const fine = renderDoctor({ ...base, requirements: [found, optional] });
  t.ok(fine.ok, 'an optional tool missing is still ok');
  t.match(fine.text, /^found: make: kernel build: \/usr\/bin\/make$/m);
  t.match(fine.text, /^missing \(optional\): ccache: repeated kernel builds: \/usr\/bin\/ccache is missing; fix: apt-get install ccache$/m);
  t.match(fine.text, /ok: this matrix can run here\n$/);
  const broken = renderDoctor({ ...base, requirements: [found, flex] });
  t.notOk(broken.ok);
  t.match(broken.text, /^MISSING: flex: kernel build: \/usr\/bin\/flex is missing; fix: apt-get install flex$/m);
});

t.test('an arm64 host with a usable /dev/kvm: QEMU cells under KVM, kvmtool native', async (t) => {
  const { text, ok } = renderDoctor({
    ...base,
    arch: 'arm64',
    kvmtool: [{ vmm: 'kvmtool', mode: 'native', lkvm: { path: '/opt/lkvm', from: '--lkvm' }, problem: null, hostKernel: null }],
  });
  t.ok(ok);
  t.match(text, /^host: arm64, \/dev\/kvm usable \(arm64 guests run under KVM\)$/m);
  t.match(
    text,
    /^qemu: qemu-system-aarch64: QEMU emulator version 7\.2\.22; QEMU cells run with KVM acceleration \(-accel kvm -cpu host\)$/m,
  );
  t.match(text, /^kvmtool kvmtool: native; lkvm \/opt\/lkvm \(from --lkvm\), arm64$/m);
});
