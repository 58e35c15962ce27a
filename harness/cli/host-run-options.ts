/**
 * What the shared run options come to on this host: the cache, the
 * accelerator, ccache and lkvm. Loaded by a command when it runs, not when
 * the CLI starts.
 */
import { arch } from 'node:os';
import { canUseKvm, hostAccel } from '../host/facts.js';
import { cacheLayout, resolveCacheRoot } from '../kernel/cache.js';
import { ccacheAvailable } from '../kernel/toolchain.js';
import type { KvmtoolHost } from '../run/kvmtool-plan.js';
import { plainEvents } from './event-lines.js';
import type { SharedRunFlags } from './options.js';

/** What decides how kvmtool cells run on this machine. */
export function kvmtoolHostFacts(cliLkvm: string | undefined): KvmtoolHost {
  return { ...(cliLkvm ? { cliLkvm } : {}), env: process.env, arch: arch(), kvmUsable: canUseKvm() };
}

/** The runMatrix options that come from this host and the shared flags: cache, builds, accelerator, lkvm, progress on stderr. */
export async function hostRunOptions(flags: SharedRunFlags, version: string) {
  return {
    layout: cacheLayout(resolveCacheRoot(flags.cache)),
    buildJobs: flags.buildJobs,
    ccache: flags.ccache && (await ccacheAvailable()),
    accel: hostAccel(),
    ...(flags.timeout !== undefined ? { timeoutSec: flags.timeout } : {}),
    ...(flags.retries !== undefined ? { retries: flags.retries } : {}),
    buildTimeoutSec: flags.buildTimeout,
    version,
    kvmtoolHost: kvmtoolHostFacts(flags.lkvm),
    artifacts: flags.artifacts,
    events: plainEvents((line) => process.stderr.write(`${line}\n`)),
  };
}
