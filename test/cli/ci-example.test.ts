/**
 * examples/ci/github-actions.yml cannot run here; what can be checked is
 * that it is valid YAML, that its shard list and shard count agree, and
 * that every kvmatrix command in it names a real command and real options.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { projectRoot } from '../../harness/host/install-paths.js';
import { kvmatrix } from '../support/cli.js';

interface Workflow {
  env: Record<string, string | number>;
  jobs: Record<string, { needs?: string; strategy?: { matrix: { shard: number[] } }; steps: { run?: string }[] }>;
}

const workflow = parse(readFileSync(join(projectRoot, 'examples/ci/github-actions.yml'), 'utf8')) as Workflow;

t.test('kernels are built once, before the shards, and the shard list matches SHARDS', async (t) => {
  t.same(Object.keys(workflow.jobs), ['kernels', 'cells', 'report']);
  t.equal(workflow.jobs.cells!.needs, 'kernels');
  t.equal(workflow.jobs.report!.needs, 'cells');
  const shards = workflow.jobs.cells!.strategy!.matrix.shard;
  t.same(shards, Array.from({ length: Number(workflow.env.SHARDS) }, (_, i) => i + 1));
});

t.test('every kvmatrix command in it exists and takes the options it is given', async (t) => {
  const commands = Object.values(workflow.jobs)
    .flatMap((job) => job.steps.map((s) => s.run ?? ''))
    .flatMap((run) => run.split('\n'))
    .map((line) => /node dist\/cli\/main\.cjs ([^|]+)/.exec(line)?.[1]?.trim())
    .filter((c): c is string => c !== undefined);
  t.ok(commands.length >= 4, `found ${commands.length} commands`);
  for (const command of commands) {
    const words = command.split(/\s+/);
    const sub = words[0] === 'report' && words[1] === 'merge' ? ['report', 'merge'] : [words[0]!];
    const help = await kvmatrix([...sub, '--help']);
    t.equal(help.code, 0, `kvmatrix ${sub.join(' ')} exists`);
    for (const option of words.filter((w) => w.startsWith('--'))) {
      t.match(help.stdout, new RegExp(`${option}\\b`), `${sub.join(' ')} takes ${option}`);
    }
  }
});
