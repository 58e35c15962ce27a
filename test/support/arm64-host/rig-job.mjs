// The rig's job runner, run by its init with the rig's own Node.js: each
// step of job.json in turn, an argv array (no shell), in /opt/kvmatrix, its
// output in out/steps/<name>.out and .err, and every step's status in
// out/steps.json, written after each step so that a hang still leaves the
// earlier ones. Plain JavaScript: the rig has no TypeScript loader.
import { spawnSync } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [jobFile, outDir] = process.argv.slice(2);
const job = JSON.parse(readFileSync(jobFile, 'utf8'));
mkdirSync(join(outDir, 'steps'), { recursive: true });
const results = [];
for (const step of job.steps) {
  const out = openSync(join(outDir, 'steps', `${step.name}.out`), 'w');
  const err = openSync(join(outDir, 'steps', `${step.name}.err`), 'w');
  console.log(`kvmatrix-rig: step ${step.name}: ${step.argv.join(' ')}`);
  const started = performance.now();
  const run = spawnSync(step.argv[0], step.argv.slice(1), {
    cwd: job.cwd,
    env: { ...process.env, ...job.env },
    stdio: ['ignore', out, err],
    timeout: step.timeoutSec * 1000,
    killSignal: 'SIGTERM',
  });
  closeSync(out);
  closeSync(err);
  const result = {
    name: step.name,
    argv: step.argv,
    code: run.status,
    signal: run.signal,
    durationMs: Math.round(performance.now() - started),
    ...(run.error ? { error: String(run.error.message) } : {}),
  };
  console.log(`kvmatrix-rig: step ${step.name}: status ${run.status ?? run.signal} after ${result.durationMs} ms`);
  results.push(result);
  writeFileSync(join(outDir, 'steps.json'), `${JSON.stringify(results, null, 2)}\n`);
}
