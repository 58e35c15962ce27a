import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { InputError } from '../../harness/matrix/input-error.js';
import type { Matrix } from '../../harness/matrix/types.js';
import { planKvmtoolCells } from '../../harness/run/kvmtool-plan.js';
import { kvmtoolCell, testKernel } from '../support/cells.js';

const dir = t.testdir({
  'hello.c': 'int main(void) { return 0; }\n',
  // the option names a middle-era kvmtool holds (July 2022 to March 2023)
  'middle.c':
    'static const char *options[] = { "force-pci", "virtio-legacy" };\nint main(int argc, char **argv) { return options[argc & 1][0]; }\n',
});
const staticLkvm = join(dir, 'lkvm-static');
const dynamicLkvm = join(dir, 'lkvm-dynamic');
const middleLkvm = join(dir, 'lkvm-middle');
execFileSync('aarch64-linux-gnu-gcc', ['-static', '-o', staticLkvm, join(dir, 'hello.c')]);
execFileSync('aarch64-linux-gnu-gcc', ['-o', dynamicLkvm, join(dir, 'hello.c')]);
execFileSync('aarch64-linux-gnu-gcc', ['-static', '-o', middleLkvm, join(dir, 'middle.c')]);

/** The InputError a call throws, or null. */
function inputError(fn: () => unknown): InputError | null {
  try {
    fn();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  return null;
}

const matrix = { file: '/m/murray.yaml', kernels: [testKernel], vmms: [kvmtoolCell('legacy').vmm] } as unknown as Matrix;
const x86 = { env: {}, arch: 'x64', kvmUsable: true };
const arm64Kvm = { env: {}, arch: 'arm64', kvmUsable: true };

t.test('no lkvm anywhere: skipped, saying how to give one', async (t) => {
  const [plan] = planKvmtoolCells(matrix, [kvmtoolCell('legacy')], x86);
  t.match(plan, {
    action: 'skip',
    reason: /no lkvm given for kvmtool: pass --lkvm PATH, set KVMATRIX_LKVM, or name lkvm: in the matrix's vmms\.kvmtool/,
  });
});

t.test('KVMATRIX_LKVM on an x86 host: nested, with the host kernel', async (t) => {
  const [plan] = planKvmtoolCells(matrix, [kvmtoolCell('legacy')], { ...x86, env: { KVMATRIX_LKVM: staticLkvm } });
  t.match(plan, { action: 'boot', mode: 'nested', hostKernel: 'patched', lkvm: { path: staticLkvm, from: 'KVMATRIX_LKVM' } });
});

t.test('--lkvm wins over the environment; the matrix pin wins over both', async (t) => {
  const [fromCli] = planKvmtoolCells(matrix, [kvmtoolCell('legacy')], { ...x86, cliLkvm: staticLkvm, env: { KVMATRIX_LKVM: '/nowhere' } });
  t.match(fromCli, { lkvm: { from: '--lkvm' } });
  const pinned = kvmtoolCell('legacy', ['rng'], { lkvm: staticLkvm });
  const [fromMatrix] = planKvmtoolCells(matrix, [pinned], { ...x86, cliLkvm: '/nowhere' });
  t.match(fromMatrix, { lkvm: { from: 'matrix', path: staticLkvm } });
});

t.test('a dynamic lkvm is bad input for a nested host, and fine natively', async (t) => {
  const error = inputError(() => planKvmtoolCells(matrix, [kvmtoolCell('legacy')], { ...x86, cliLkvm: dynamicLkvm }));
  t.match(error?.message, /\(from --lkvm\) is dynamically linked/);
  const [native] = planKvmtoolCells(matrix, [kvmtoolCell('legacy')], { ...arm64Kvm, cliLkvm: dynamicLkvm });
  t.match(native, { action: 'boot', mode: 'native' });
});

t.test('an lkvm for the wrong architecture is bad input, pointing at the matrix entry', async (t) => {
  const cell = kvmtoolCell('legacy', ['rng'], { lkvm: process.execPath });
  const error = inputError(() => planKvmtoolCells(matrix, [cell], x86));
  t.match(error?.message, /^\/m\/murray\.yaml: vmms\.kvmtool\.lkvm: lkvm .* is built for /);
});

t.test('mode: native on a host without arm64 KVM is an error for those cells', async (t) => {
  const [plan] = planKvmtoolCells(matrix, [kvmtoolCell('legacy', ['rng'], { mode: 'native' })], { ...x86, cliLkvm: staticLkvm });
  t.match(plan, { action: 'error', reason: /mode: native needs an arm64 host with a usable \/dev\/kvm; this host is x64/ });
});

t.test('nested without a host kernel: an error with the key to set', async (t) => {
  const cell = kvmtoolCell('legacy', ['rng'], {});
  delete cell.vmm.hostKernel;
  const [plan] = planKvmtoolCells(matrix, [cell], { ...x86, cliLkvm: staticLkvm });
  t.match(plan, { action: 'error', hint: /host_kernel: in vmms\.kvmtool/ });
});

t.test('cells kvmtool cannot express are skipped before any lkvm is looked at', async (t) => {
  const [plan] = planKvmtoolCells(matrix, [kvmtoolCell('modern', ['rng'], { transportFlag: 'force-pci' })], {
    ...x86,
    cliLkvm: '/nowhere',
  });
  t.match(plan, { action: 'skip', reason: /only legacy/ });
});

t.test('transport_flag: auto takes the era the lkvm shows; one it contradicts, or none it can tell, is refused', async (t) => {
  const auto = { transportFlag: 'auto' as const };
  const [modern] = planKvmtoolCells(matrix, [kvmtoolCell('modern', ['rng'], auto)], { ...x86, cliLkvm: middleLkvm });
  t.match(modern, { action: 'boot', era: 'virtio-legacy' }, "a middle-era lkvm's modern cells run");
  const contradicted = inputError(() =>
    planKvmtoolCells(matrix, [kvmtoolCell('legacy', ['rng'], { transportFlag: 'force-pci' })], { ...x86, cliLkvm: middleLkvm }),
  );
  t.match(
    contradicted?.message,
    /^\/m\/murray\.yaml: vmms\.kvmtool\.transport_flag: lkvm .*lkvm-middle \(from --lkvm\) has --force-pci and --virtio-legacy .*but transport_flag is force-pci: use auto or virtio-legacy$/,
  );
  const untold = inputError(() => planKvmtoolCells(matrix, [kvmtoolCell('legacy', ['rng'], auto)], { ...x86, cliLkvm: staticLkvm }));
  t.match(
    untold?.message,
    /vmms\.kvmtool\.transport_flag: lkvm .*lkvm-static \(from --lkvm\) shows none of --virtio-transport, --virtio-legacy or --force-pci/,
  );
  const made = inputError(() =>
    planKvmtoolCells({ ...matrix, vmms: [] }, [kvmtoolCell('legacy', ['rng'], auto)], { ...x86, cliLkvm: staticLkvm }),
  );
  t.match(
    made?.message,
    /^\/m\/murray\.yaml: lkvm .* set transport_flag in a kvmtool entry of the matrix's vmms$/,
    'an entry `boot --vmm kvmtool` made: no key of the file named, but where to say it',
  );
  const [legacy] = planKvmtoolCells(matrix, [kvmtoolCell('legacy', ['rng'], { transportFlag: 'force-pci' })], {
    ...x86,
    cliLkvm: staticLkvm,
  });
  t.match(legacy, { action: 'boot', era: 'force-pci' }, 'a binary that shows nothing is taken at the matrix word');
});

t.test('commands boot in nested and native kvmtool cells alike', async (t) => {
  const command = { kind: 'command' as const, name: 'c', argv: ['true'] as [string], files: [], timeoutSec: 5, expectExit: 0 };
  const cell = { ...kvmtoolCell('legacy'), tests: [{ kind: 'probe' as const }, command] };
  const [nested] = planKvmtoolCells(matrix, [cell], { ...x86, cliLkvm: staticLkvm });
  t.match(nested, { action: 'boot', mode: 'nested' });
  const [native] = planKvmtoolCells(matrix, [cell], { ...arm64Kvm, cliLkvm: staticLkvm });
  t.match(native, { action: 'boot', mode: 'native' });
});
