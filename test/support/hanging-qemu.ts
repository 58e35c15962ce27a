import { chmodSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface HangingQemu {
  /** The wrapper to name as a QEMU VMM's `binary:`. */
  path: string;
  /** How many boots it has started so far. */
  boots(): number;
}

/**
 * A qemu-system-aarch64 stand-in for a guest that hangs now and then: it
 * runs the real QEMU every time, but on the boots it is told to (counted
 * across every call, claimed by mkdir so that boots side by side count
 * right), it freezes QEMU with SIGSTOP once the guest has printed its
 * first bytes, and the boot runs into its timeout as a hung guest would.
 */
export function hangingQemu(dir: string, hangOn: readonly number[]): HangingQemu {
  const state = join(dir, 'boots');
  mkdirSync(state, { recursive: true });
  const path = join(dir, 'hanging-qemu');
  writeFileSync(
    path,
    [
      '#!/bin/sh',
      'case "$1" in --version) exec qemu-system-aarch64 --version;; esac',
      'n=1',
      `while ! mkdir '${state}/'$n 2>/dev/null; do n=$((n + 1)); done`,
      `case " ${hangOn.join(' ')} " in *" $n "*) ;; *) exec qemu-system-aarch64 "$@";; esac`,
      'qemu-system-aarch64 "$@" &',
      'pid=$!',
      // stdout is the console file: wait until the guest has said something, so the hang is mid-boot
      'while [ ! -s /proc/$$/fd/1 ]; do sleep 0.05; done',
      'sleep 0.2',
      'kill -STOP $pid',
      'wait $pid',
      '',
    ].join('\n'),
  );
  chmodSync(path, 0o755);
  return { path, boots: () => readdirSync(state).length };
}
