import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
}

export class AgentBuildError extends Error {
  override readonly name = 'AgentBuildError';
}

/**
 * The guest agent, cross-compiled statically, and the initramfs that runs
 * it as PID 1; both cached under a key of the agent's source, the flags and
 * the compiler.
 */
export async function buildGuestImage(layout: CacheLayout, crossCompile: string): Promise<GuestImage> {
  const sources = [...agentSourceFiles, ...agentHeaderFiles].map((file) => sha256(readFileSync(file)));
  const toolchain = await toolchainVersion(crossCompile);
  if (!toolchain) {
    throw new AgentBuildError(`cannot build the guest agent: ${crossCompile}gcc not found (apt-get install gcc-aarch64-linux-gnu)`);
  }
  const key = sha256(JSON.stringify({ v: 2, sources, flags: AGENT_CFLAGS, toolchain }));
  const entry = join(layout.agent, shortKey(key));
  const result: GuestImage = { agent: join(entry, 'kvmatrix-agent'), initramfs: join(entry, 'initramfs.cpio.gz'), key };
  if (existsSync(result.initramfs)) return result;

  const staged = stagingDir(layout, 'agent');
  const log = join(staged, 'compile.log');
  const compile = await runCommand(
    [`${crossCompile}gcc`, ...AGENT_CFLAGS, '-o', join(staged, 'kvmatrix-agent'), ...agentSourceFiles],
    { logPath: log },
  );
  if (!succeeded(compile)) {
    throw new AgentBuildError(`cannot build the guest agent: ${describeFailure(compile)}\n${compile.tail.join('\n')}`);
  }
  const agent = readFileSync(join(staged, 'kvmatrix-agent'));
  writeFileSync(join(staged, 'initramfs.cpio.gz'), packInitramfs(guestInitramfsEntries(agent)));
  mkdirSync(layout.agent, { recursive: true });
  publishDir(staged, entry);
  return result;
}
