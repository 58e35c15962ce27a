/**
 * Boots the arm64 host rig with one job: the rig's layers plus a job layer
 * (its init, the job's steps, the lkvm binaries, kernel Images and matrices
 * handed in), then reads the job's out folder back from the results disk.
 */
import { appendFileSync, chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { launchVmm } from '../../../harness/vmm/launch.js';
import type { LaunchOutcome } from '../../../harness/vmm/types.js';
import { packDirectory, type Rig } from './build-rig.js';
import { checkSteps, RIG_PATHS, rigQemuArgv, type RigStep, type RigStepResult } from './rig-spec.js';

const here = dirname(fileURLToPath(import.meta.url));

export interface RigJob {
  steps: RigStep[];
  /** Files handed in: path inside the rig -> a file outside. */
  files: Record<string, string>;
  /** Text files handed in: path inside the rig -> contents. */
  texts?: Record<string, string>;
  /** Environment of every step, on top of the init's. */
  env?: Record<string, string>;
}

export interface RigRun {
  launch: LaunchOutcome;
  /** The rig's own console: its kernel, the init, the step lines. */
  console: string;
  /** The job's out folder, read back from the results disk. */
  outDir: string;
  steps: RigStepResult[];
}

export interface RigBootOptions {
  /** A fresh folder for this boot: the initramfs, the disk, the console and out/. */
  workDir: string;
  timeoutSec: number;
  memoryMiB?: number;
  cpus?: number;
  qemu?: string;
  /** Megabytes of the results disk. */
  resultsMiB?: number;
}

export async function bootRig(rig: Rig, job: RigJob, options: RigBootOptions): Promise<RigRun> {
  checkSteps(job.steps);
  mkdirSync(options.workDir, { recursive: true });
  const jobRoot = join(options.workDir, 'job-root');
  rmSync(jobRoot, { recursive: true, force: true });
  const put = (inside: string, write: (path: string) => void, mode = 0o644) => {
    const path = join(jobRoot, inside);
    mkdirSync(dirname(path), { recursive: true });
    write(path);
    chmodSync(path, mode);
  };
  put('/init', (p) => copyFileSync(join(here, 'rig-init.sh'), p), 0o755);
  put(`${RIG_PATHS.rig}/job.mjs`, (p) => copyFileSync(join(here, 'rig-job.mjs'), p));
  put(RIG_PATHS.job, (p) => writeFileSync(p, JSON.stringify({ cwd: RIG_PATHS.kvmatrix, env: job.env ?? {}, steps: job.steps })));
  for (const [inside, outside] of Object.entries(job.files)) {
    put(inside, (p) => copyFileSync(outside, p), inside.startsWith(`${RIG_PATHS.bin}/`) ? 0o755 : 0o644);
  }
  for (const [inside, text] of Object.entries(job.texts ?? {})) put(inside, (p) => writeFileSync(p, text));
  const jobLayer = join(options.workDir, 'job.cpio');
  await packDirectory(jobRoot, jobLayer);
  rmSync(jobRoot, { recursive: true, force: true });

  const initrd = join(options.workDir, 'initramfs.cpio');
  writeFileSync(initrd, '');
  for (const layer of [...rig.layers, jobLayer]) appendFileSync(initrd, readFileSync(layer));
  const disk = join(options.workDir, 'results.img');
  writeFileSync(disk, '');
  truncateSync(disk, (options.resultsMiB ?? 512) * 1024 * 1024);

  const consolePath = join(options.workDir, 'rig-console.log');
  const argv = rigQemuArgv({
    qemu: options.qemu ?? 'qemu-system-aarch64',
    kernel: rig.kernel,
    initrd,
    resultsDisk: disk,
    memoryMiB: options.memoryMiB ?? 4096,
    cpus: options.cpus ?? 2,
  });
  let launch: LaunchOutcome;
  try {
    launch = await launchVmm(
      { argv: argv as [string, ...string[]], inputs: [] },
      { consolePath, timeoutSec: options.timeoutSec, capBytes: 64 << 20 },
    );
  } finally {
    rmSync(initrd, { force: true });
  }
  const outDir = join(options.workDir, 'out');
  mkdirSync(outDir, { recursive: true });
  // an empty disk is no archive: tar says so, and the steps are then unknown
  await execa('tar', ['-xf', disk, '-C', outDir], { reject: false });
  rmSync(disk, { force: true });
  const stepsFile = join(outDir, 'steps.json');
  return {
    launch,
    console: readFileSync(consolePath, 'utf8'),
    outDir,
    steps: existsSync(stepsFile) ? (JSON.parse(readFileSync(stepsFile, 'utf8')) as RigStepResult[]) : [],
  };
}
