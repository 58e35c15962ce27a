import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { publishDir, stagingDir, type CacheLayout } from '../kernel/cache.js';
import { sha256, shortKey } from '../kernel/keys.js';
import type { BuiltKernel } from '../kernel/types.js';
import type { GuestImage } from './build-agent.js';
import { nestedBaseArchive } from './nested-initramfs.js';

/**
 * The shared part of a nested host's initramfs for one guest kernel and one
 * lkvm, cached: it holds a 5 MB Image and a 2 MB lkvm, and every cell of
 * that kernel and lkvm boots with the same bytes.
 */
export function nestedHostBase(
  layout: CacheLayout,
  guest: GuestImage,
  lkvm: { path: string; sha256: string },
  kernel: BuiltKernel,
): string {
  const key = sha256(JSON.stringify({ v: 1, agent: guest.key, lkvm: lkvm.sha256, kernel: kernel.key }));
  const entry = join(layout.nested, shortKey(key));
  const base = join(entry, 'base.cpio');
  if (existsSync(base)) return base;
  const staged = stagingDir(layout, 'nested');
  writeFileSync(
    join(staged, 'base.cpio'),
    nestedBaseArchive({
      agent: readFileSync(guest.agent),
      lkvm: readFileSync(lkvm.path),
      guestImage: readFileSync(kernel.image),
      guestInitramfs: readFileSync(guest.initramfs),
    }),
  );
  publishDir(staged, entry);
  return base;
}
