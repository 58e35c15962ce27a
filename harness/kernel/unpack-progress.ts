import { basename } from 'node:path';
import type { UnpackProgress } from './source.js';
import type { KernelProgress } from './types.js';

/** A kernel's unpack as progress: its start a step of the source stage, then how much is done. */
export function unpackProgress(kernelId: string, tarball: string, unpacked: UnpackProgress): KernelProgress {
  if (unpacked.bytes === 0) {
    return {
      kernelId,
      stage: 'source',
      step: `unpacking the source, ${basename(tarball)}${unpacked.total === null ? '' : ` (${mib(unpacked.total)})`}; once, into the cache`,
    };
  }
  const percent = unpacked.total ? ` ${Math.min(100, Math.floor((unpacked.bytes / unpacked.total) * 100))}%` : '';
  const done = unpacked.total === null ? mib(unpacked.bytes) : `${mibNumber(unpacked.bytes)} of ${mib(unpacked.total)}`;
  return { kernelId, stage: 'source', line: `unpacking:${percent} (${done})` };
}

function mib(bytes: number): string {
  return `${mibNumber(bytes)} MiB`;
}

function mibNumber(bytes: number): string {
  return Math.round(bytes / (1 << 20)).toLocaleString('en-US');
}
