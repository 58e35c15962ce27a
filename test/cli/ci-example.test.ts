/**
 * examples/ci/github-actions.yml and gitlab-ci.yml cannot run here; what
 * can be checked is that they are valid YAML, that their jobs hand on what
 * the next needs (the GitHub shard list and shard count agree; GitLab's
 * shards get their slice from parallel:), and that every kvmatrix command
 * in them names a real command and real options. That the GitLab kernels
 * job's artifacts are enough for a shard to build nothing is tested in
 * test/integration/murray.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
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
  t.same(
    shards,
    Array.from({ length: Number(workflow.env.SHARDS) }, (_, i) => i + 1),
  );
});

t.test('the report job carries the history on, saves it before the gate, and gates last', async (t) => {
  const steps = workflow.jobs.report!.steps as {
    run?: string;
    uses?: string;
    with?: { path?: string; key?: string; 'restore-keys'?: string };
  }[];
  const at = (pred: (s: (typeof steps)[number]) => boolean) => steps.findIndex(pred);
  const restore = at((s) => s.uses === 'actions/cache/restore@v4' && s.with?.path === 'history');
  const add = at((s) => /history add merged\/latest --store history\/history\.sqlite/.test(s.run ?? ''));
  const save = at((s) => s.uses === 'actions/cache/save@v4' && s.with?.path === 'history');
  const gate = at((s) => /history gate --store history\/history\.sqlite/.test(s.run ?? ''));
  t.ok(restore >= 0 && restore < add && add < save && save < gate, `restore ${restore}, add ${add}, save ${save}, gate ${gate}`);
  t.equal(gate, steps.length - 1, 'the gate is the last step: a red night is still remembered and published');
  t.equal(steps[restore]!.with!['restore-keys'], 'kvmatrix-history-', 'the newest history any night saved');
  t.ok(
    steps.some((s) => /history --store history\/history\.sqlite --html history-page/.test(s.run ?? '')),
    'the page is written',
  );
});

t.test('every kvmatrix command in it exists and takes the options it is given', async (t) => {
  await checkCommands(
    t,
    Object.values(workflow.jobs).flatMap((job) => job.steps.map((s) => s.run ?? '')),
    6,
  );
});

interface GitlabJob {
  stage: string;
  needs?: string[];
  parallel?: number;
  script: string[];
  artifacts?: { paths: string[]; when?: string; reports?: { junit?: string } };
}

const gitlab = parse(readFileSync(join(projectRoot, 'examples/ci/gitlab-ci.yml'), 'utf8')) as Record<string, unknown> & {
  stages: string[];
};

t.test('GitLab: the kernels job hands the kernels on as artifacts, the shards run in parallel, the report publishes JUnit', async (t) => {
  t.same(gitlab.stages.slice(0, 3), ['kernels', 'cells', 'report']);
  const [kernels, cells, report] = (['kernels', 'cells', 'report'] as const).map((name) => gitlab[name] as GitlabJob);
  t.match(gitlab.default, { image: /^node:20-bookworm$/ }, 'Node.js 20 on Debian bookworm');
  t.same(kernels!.artifacts!.paths, ['.kvmatrix-cache/kernels/', '.kvmatrix-cache/configs/', '.kvmatrix-cache/fingerprints/']);
  t.same(cells!.needs, ['kernels']);
  t.ok((cells!.parallel ?? 0) > 1, 'parallel shards');
  t.ok(
    cells!.script.some((line) => line.includes('--shard ${CI_NODE_INDEX}/${CI_NODE_TOTAL}')),
    'each shard its slice',
  );
  t.same(report!.needs, ['cells']);
  t.equal(report!.artifacts!.reports!.junit, 'nightly/junit.xml');
  t.ok(
    report!.script.some((line) => line.includes('--kcidb nightly/kcidb.json')),
    'the KCIDB file beside it',
  );
});

t.test('GitLab: the report job carries the history on, a gate job of its own decides, pages publishes the page', async (t) => {
  t.same(gitlab.stages, ['kernels', 'cells', 'report', 'gate']);
  const report = gitlab.report as GitlabJob;
  const gate = gitlab.gate as GitlabJob;
  const pages = gitlab.pages as GitlabJob;
  t.ok(report.script.some((l) => l.includes('history add nightly --store history/history.sqlite')));
  t.ok(
    report.script.some((l) => l.includes("unzip -q previous.zip 'history/*'")),
    "the last successful report job's history",
  );
  t.same(report.artifacts!.paths, ['nightly/', 'run.tar.gz', 'history/', 'history-page/']);
  t.same(gate.needs, ['report']);
  t.ok(gate.script.some((l) => l.includes('history gate --store history/history.sqlite --junit gate.xml')));
  t.equal(gate.artifacts!.reports!.junit, 'gate.xml');
  t.same(pages.artifacts!.paths, ['public/']);
});

t.test('GitLab: every kvmatrix command in it exists and takes the options it is given', async (t) => {
  const scripts = Object.values(gitlab).flatMap((job) => (job as Partial<GitlabJob>).script ?? []);
  await checkCommands(t, scripts, 7);
});

async function checkCommands(t: Test, scripts: string[], atLeast: number): Promise<void> {
  const commands = scripts
    .flatMap((run) => run.split('\n'))
    .map((line) => /node dist\/cli\/main\.cjs ([^|]+)/.exec(line)?.[1]?.trim())
    .filter((c): c is string => c !== undefined);
  t.ok(commands.length >= atLeast, `found ${commands.length} commands`);
  for (const command of commands) {
    const words = command.split(/\s+/);
    const nested =
      (words[0] === 'report' && words[1] === 'merge') || (words[0] === 'history' && ['add', 'gate', 'bisect'].includes(words[1]!));
    const sub = nested ? [words[0]!, words[1]!] : [words[0]!];
    const help = await kvmatrix([...sub, '--help']);
    t.equal(help.code, 0, `kvmatrix ${sub.join(' ')} exists`);
    for (const option of words.filter((w) => w.startsWith('--'))) {
      t.match(help.stdout, new RegExp(`${option}\\b`), `${sub.join(' ')} takes ${option}`);
    }
  }
}
