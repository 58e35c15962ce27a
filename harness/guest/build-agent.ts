import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { arch } from 'node:os';
import { join } from 'node:path';
import { describeFailure, runCommand, succeeded } from '../host/command.js';
import { agentHeaderFiles, agentSourceFiles } from '../host/install-paths.js';
import { publishDir, stagingDir, type CacheLayout } from '../kernel/cache.js';
import { sha256, shortKey } from '../kernel/keys.js';
import { toolchainVersion } from '../kernel/toolchain.js';
import { guestInitramfsEntries, packInitramfs } from './initramfs.js';

/*
 * -Wno-format-truncation: every snprintf in the agent is bounded on purpose
 * (long sysfs paths are cut, not overflowed), and gcc 12 warns on each.
 */
export const AGENT_CFLAGS = ['-static', '-Os', '-s', '-Wall', '-Wextra', '-Werror', '-Wno-format-truncation'];

export interface GuestImage {
  agent: string;
  initramfs: string;
  key: string;
  /** The userspace layer (userspace-layer.ts), when a cell of the run runs commands. */
  layer?: string;
}

export class AgentBuildError extends Error {
  override readonly name = 'AgentBuildError';
}

/**
 * The compiler prefixes that can build the arm64 agent, in order. An arm64
 * host compiles natively: Debian's gcc also answers to aarch64-linux-gnu-gcc,
 * other distributions' only to gcc.
 */
export function agentCompilerPrefixes(crossCompile: string, hostArch: string): string[] {
  return hostArch === 'arm64' && crossCompile !== '' ? [crossCompile, ''] : [crossCompile];
}

/**
 * The guest agent, compiled statically (cross-compiled unless the host is
 * arm64), and the initramfs that runs it as PID 1; both cached under a key
 * of the agent's source, the flags and the compiler.
 */
export async function buildGuestImage(
  layout: CacheLayout,
  crossCompile: string,
  hostArch: string = arch(),
  onStep?: (what: string) => void,
): Promise<GuestImage> {
  const sources = [...agentSourceFiles, ...agentHeaderFiles].map((file) => sha256(readFileSync(file)));
  let compiler: { prefix: string; toolchain: string } | null = null;
  for (const prefix of agentCompilerPrefixes(crossCompile, hostArch)) {
    const toolchain = await toolchainVersion(prefix, layout);
    if (toolchain) {
      compiler = { prefix, toolchain };
      break;
    }
  }
  if (!compiler) {
    const fix = hostArch === 'arm64' ? 'apt-get install gcc libc6-dev' : 'apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross';
    throw new AgentBuildError(`cannot build the guest agent: ${crossCompile}gcc not found (${fix})`);
  }
  const { prefix, toolchain } = compiler;
  const key = sha256(JSON.stringify({ v: 2, sources, flags: AGENT_CFLAGS, toolchain }));
  const entry = join(layout.agent, shortKey(key));
  const result: GuestImage = { agent: join(entry, 'kvmatrix-agent'), initramfs: join(entry, 'initramfs.cpio.gz'), key };
  if (existsSync(result.initramfs)) return result;

  onStep?.('guest: building the agent and its initramfs (once, into the cache)');
  const staged = stagingDir(layout, 'agent');
  const log = join(staged, 'compile.log');
  const compile = await runCommand([`${prefix}gcc`, ...AGENT_CFLAGS, '-o', join(staged, 'kvmatrix-agent'), ...agentSourceFiles], {
    logPath: log,
  });
  if (!succeeded(compile)) {
    throw new AgentBuildError(`cannot build the guest agent: ${describeFailure(compile)}\n${compile.tail.join('\n')}`);
  }
  const agent = readFileSync(join(staged, 'kvmatrix-agent'));
  writeFileSync(join(staged, 'initramfs.cpio.gz'), packInitramfs(guestInitramfsEntries(agent)));
  mkdirSync(layout.agent, { recursive: true });
  publishDir(staged, entry);
  return result;
}
