/**
 * The initramfs a cell's guest boots. A cell whose kinds run no program
 * in the guest boots the cached one as it is, its nonce on the command
 * line. A cell that runs programs boots the archives in turn, put together
 * in its folder: the cached one, the userspace layer, the kinds' own
 * layers (the kernel's kselftests), and the boot's own archive with the
 * nonce (kept off the command line, which a program can read), the
 * programs and their files. Its reproduce script puts them together again.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootArchive, programFileEntries } from '../guest/boot-archive.js';
import type { GuestImage } from '../guest/build-agent.js';
import type { Cell } from '../matrix/types.js';
import type { ReproducePrepare } from '../report/reproduce.js';
import { guestPayload, runsUserspace } from '../test-kinds/registry.js';

export interface BootInitrd {
  /** The initrd as the VMM, started in the cell folder, names it. */
  initrd: string;
  /** The nonce for the command line; null when the boot's archive carries it. */
  commandLineNonce: string | null;
  /** What the reproduce script needs instead of the initrd, and how it makes the initrd of them. */
  parts?: { inputs: string[]; prepare: ReproducePrepare };
  /** Removes what was put together for the boot (megabytes per cell); the reproduce script makes it again. */
  done(): void;
}

/** The boot's own archive of a cell that runs programs: the nonce, the programs, their files. */
export function commandBootArchive(cell: Cell, nonce: string): Buffer {
  const payload = guestPayload(cell);
  return bootArchive(
    nonce,
    payload.programs,
    programFileEntries(payload.files, (f) => readFileSync(f)),
  );
}

/** The userspace layer of a guest whose cell runs commands (run-matrix gives it one). */
export function layerOf(cell: Cell, guest: GuestImage): string {
  if (!guest.layer) throw new Error(`cell ${cell.id} runs commands, but the run has no userspace layer for its guest`);
  return guest.layer;
}

/** A command cell's initrd: the guest's initramfs, the userspace layer, the tests' layers (kselftests), the boot's archive, one after the other. */
export function commandInitrd(cell: Cell, guest: GuestImage, bootArchive: Buffer): Buffer {
  return Buffer.concat([...[guest.initramfs, layerOf(cell, guest), ...guestPayload(cell).layers].map((f) => readFileSync(f)), bootArchive]);
}

/** COMBINED and BOOT_ARCHIVE are files of the cell folder. */
const COMBINED = 'initramfs.cpio';
const BOOT_ARCHIVE = 'boot.cpio.gz';

/**
 * The cell's initrd for this boot. `local` names a file as the VMM in the
 * cell folder `dir` reaches it.
 */
export function guestInitrd(cell: Cell, guest: GuestImage, dir: string, nonce: string, local: (path: string) => string): BootInitrd {
  if (!runsUserspace(cell)) return { initrd: local(guest.initramfs), commandLineNonce: nonce, done: () => undefined };
  const archive = commandBootArchive(cell, nonce);
  writeFileSync(join(dir, BOOT_ARCHIVE), archive);
  writeFileSync(join(dir, COMBINED), commandInitrd(cell, guest, archive));
  // the reproduce script puts the same three together again
  const inputs = [local(guest.initramfs), local(layerOf(cell, guest)), ...guestPayload(cell).layers.map(local), BOOT_ARCHIVE];
  return {
    initrd: COMBINED,
    commandLineNonce: null,
    parts: { inputs, prepare: { argv: ['cat', ...inputs], stdout: COMBINED } },
    done: () => rmSync(join(dir, COMBINED), { force: true }),
  };
}
