import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { onInterrupt } from '../host/interrupt-cleanup.js';
import { gitOut, gitRun } from '../kernel/git-source.js';

import { InputError } from '../matrix/input-error.js';
import type { Cell, Matrix } from '../matrix/types.js';
import type { BisectMark } from '../verdict/bisect-exit.js';
import type { Verdict } from '../verdict/types.js';
import { runBisectStep, type BisectStep, type BisectTry } from './bisect-step.js';
import type { RunOptions } from './run-options.js';
import { writeFileAtomic } from '../host/atomic-file.js';

export interface BisectOptions {
  /** Absolute path of the top of the kernel git tree. */
  tree: string;
  good: string[];
  bad: string;
  matrix: Matrix;
  cell: Cell;
  withPatches: boolean;
  /** This bisect's folder: bisect.log, bisect.json and steps/ go here. */
  outDir: string;
  run: Omit<RunOptions, 'matrix' | 'cells' | 'selection' | 'outRoot' | 'runId'>;
  onStep?: (step: BisectStep, index: number) => void;
}

export interface CommitRef {
  commit: string;
  subject: string;
}

export interface BisectStepRecord {
  commit: string;
  subject: string;
  verdict: Verdict | null;
  mark: BisectMark;
  exit: number;
  why: string;
  reasons: string[];
  /** With --tries above 1: each boot of the cell, its console relative to the bisect's folder. */
  tries?: BisectTry[];
  /** The step's run folder, relative to the bisect's folder. */
  run: string;
}

export type BisectOutcome =
  | { kind: 'found'; firstBad: CommitRef }
  /** Skipped commits hide which of these is the first bad one. */
  | { kind: 'ambiguous'; candidates: CommitRef[] }
  /** A step could not test its commit fairly; the bisect stopped there. */
  | { kind: 'aborted'; at: CommitRef; why: string }
  /** Stopped by SIGINT or SIGTERM. */
  | { kind: 'interrupted' };

export interface BisectReport {
  tree: string;
  cell: string;
  good: string[];
  bad: string;
  outcome: BisectOutcome;
  steps: BisectStepRecord[];
}

/**
 * Finds the first commit between good and bad where the cell fails, with
 * `git bisect` in --no-checkout mode: the tree's HEAD, index and files are
 * never touched, each step builds the commit git names from git's objects.
 * The bisect is reset afterwards, and by the signal handler if the harness
 * is stopped; bisect.log and bisect.json are written either way.
 */
export async function bisectKernel(options: BisectOptions): Promise<BisectReport> {
  const { tree } = options;
  const top = await gitRun(null, ['rev-parse', '--show-toplevel'], { cwd: tree }).catch(() => null);
  if (!top || top.code !== 0 || realpathSync(top.stdout) !== realpathSync(tree)) {
    throw new InputError(`--tree ${tree} is not the top of a git tree`);
  }
  const bad = await commitOf(tree, options.bad, '--bad');
  const good = await Promise.all(options.good.map((g) => commitOf(tree, g, '--good')));
  if (await bisecting(tree)) {
    throw new InputError(`a bisect is already under way in ${tree}; finish it or run \`git -C ${tree} bisect reset\` first`);
  }
  const original = await headOf(tree);
  mkdirSync(join(options.outDir, 'steps'), { recursive: true });
  const steps: BisectStepRecord[] = [];
  const report = (outcome: BisectOutcome): BisectReport => ({
    tree,
    cell: options.cell.id,
    good: options.good,
    bad: options.bad,
    outcome,
    steps,
  });

  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    const log = gitSync(tree, ['bisect', 'log']);
    if (log !== null) writeFileSync(join(options.outDir, 'bisect.log'), log);
    gitSync(tree, ['bisect', 'reset']);
  };
  const dropCleanup = onInterrupt(() => {
    finish();
    writeReport(options.outDir, report({ kind: 'interrupted' }));
  });
  try {
    let answer = await gitRun(null, ['bisect', 'start', '--no-checkout', bad, ...good], { cwd: tree });
    for (let index = 1; ; index++) {
      const done = bisectEnd(answer.stdout);
      if (done) {
        const outcome: BisectOutcome =
          done.kind === 'found'
            ? { kind: 'found', firstBad: await describe(tree, done.commits[0]!) }
            : { kind: 'ambiguous', candidates: await Promise.all(done.commits.map((c) => describe(tree, c))) };
        return finishWith(report(outcome));
      }
      if (answer.code !== 0) throw new Error(`git bisect stopped: ${answer.stderr || answer.stdout}`);
      const at = await describe(tree, await gitOut(null, ['rev-parse', 'BISECT_HEAD'], { cwd: tree }));
      const runId = `${String(index).padStart(2, '0')}-${at.commit.slice(0, 12)}`;
      const step = await runBisectStep({
        matrix: options.matrix,
        cell: options.cell,
        on: { tree, ref: at.commit, uncommitted: 'ignore', withPatches: options.withPatches },
        run: { ...options.run, outRoot: join(options.outDir, 'steps'), runId },
      });
      steps.push({
        ...at,
        verdict: step.verdict,
        mark: step.decision.mark,
        exit: step.decision.code,
        why: step.decision.why,
        reasons: step.reasons,
        ...(step.tries.length > 0
          ? { tries: step.tries.map((t) => ({ ...t, console: t.console && relative(options.outDir, join(step.runDir, t.console)) })) }
          : {}),
        run: relative(options.outDir, step.runDir),
      });
      options.onStep?.(step, index);
      if (step.decision.mark === 'abort') return finishWith(report({ kind: 'aborted', at, why: step.decision.why }));
      answer = await gitRun(null, ['bisect', step.decision.mark], { cwd: tree });
    }
  } finally {
    finish();
    dropCleanup();
    // reset should have put everything back; say so rather than leave it quietly changed
    const now = await headOf(tree).catch(() => null);
    if (now !== null && now !== original) {
      // eslint-disable-next-line no-unsafe-finally -- a tree left on another commit is worse news than any error before it
      throw new Error(`${tree} was on ${original} before the bisect and is on ${now} after it`);
    }
    // eslint-disable-next-line no-unsafe-finally -- and so is a bisect left running
    if (await bisecting(tree)) throw new Error(`git bisect reset did not end the bisect in ${tree}; run \`git -C ${tree} bisect reset\``);
  }

  function finishWith(result: BisectReport): BisectReport {
    finish();
    writeReport(options.outDir, result);
    return result;
  }
}

/** What `git bisect good|bad|skip|start` printed when the bisect is over, or null while it goes on. */
export function bisectEnd(stdout: string): { kind: 'found' | 'ambiguous'; commits: string[] } | null {
  const found = /^([0-9a-f]{40}) is the first bad commit$/m.exec(stdout);
  if (found) return { kind: 'found', commits: [found[1]!] };
  if (/only 'skip'ped commits left to test/.test(stdout)) {
    const list = stdout.slice(stdout.indexOf('could be any of:'));
    return { kind: 'ambiguous', commits: [...list.matchAll(/^([0-9a-f]{40})$/gm)].map((m) => m[1]!) };
  }
  return null;
}

function writeReport(outDir: string, report: BisectReport): void {
  writeFileAtomic(join(outDir, 'bisect.json'), `${JSON.stringify(report, null, 2)}\n`);
}

async function commitOf(tree: string, ref: string, option: string): Promise<string> {
  const commit = await gitOut(null, ['rev-parse', '-q', '--verify', `${ref}^{commit}`], { cwd: tree }).catch(() => '');
  if (!commit) throw new InputError(`${option} ${ref} is not a commit in ${tree}`);
  return commit;
}

async function describe(tree: string, commit: string): Promise<CommitRef> {
  return { commit, subject: await gitOut(null, ['log', '-1', '--format=%s', commit], { cwd: tree }) };
}

/** Whether a bisect is under way in the tree (git keeps BISECT_START until reset). */
async function bisecting(tree: string): Promise<boolean> {
  const start = await gitOut(null, ['rev-parse', '--path-format=absolute', '--git-path', 'BISECT_START'], { cwd: tree });
  return existsSync(start);
}

/** The branch HEAD is on, or its commit when detached. */
async function headOf(tree: string): Promise<string> {
  const branch = await gitRun(null, ['symbolic-ref', '-q', 'HEAD'], { cwd: tree });
  return branch.code === 0 ? branch.stdout : gitOut(null, ['rev-parse', 'HEAD'], { cwd: tree });
}

/** Synchronous, for the signal handler: git's stdout, or null when it failed. */
function gitSync(tree: string, args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: tree, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return null;
  }
}
