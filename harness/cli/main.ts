#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from '@commander-js/extra-typings';
import { backgroundRemovalsDone } from '../host/background-removal.js';
import { requestStop } from '../host/graceful-stop.js';
import { runInterruptCleanups } from '../host/interrupt-cleanup.js';
import { projectRoot } from '../host/install-paths.js';
import { InputError } from '../matrix/input-error.js';
import { StoreError } from '../history/store-error.js';
import { killAllGroups } from '../host/process-group.js';
import { BISECT_EXIT } from '../verdict/bisect-exit.js';
import { bisectSubcommand } from './bisect-command.js';
import { bisectRunSubcommand } from './bisect-run-command.js';
import { bootSubcommand } from './boot-command.js';
import { buildSubcommand } from './build-command.js';
import { compareSubcommand } from './compare-command.js';
import { doctorSubcommand } from './doctor-command.js';
import { historySubcommand } from './history-command.js';
import { listSubcommand } from './list-command.js';
import { reportSubcommand } from './report-command.js';
import { EXIT } from './options.js';
import { runSubcommand } from './run-command.js';

const version = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;

const program = new Command('kvmatrix')
  .description(
    "Boot arm64 kernels with and without a patch under QEMU and kvmtool, across virtio-pci transports and PCI topologies, and report every cell against the matrix's expectations.",
  )
  .version(version)
  // a subcommand's options are its own: `history add RUN --store F` is add's --store, not history's
  .enablePositionalOptions()
  .showHelpAfterError('(kvmatrix --help for usage)')
  .exitOverride()
  .addHelpText(
    'after',
    '\nExit codes: 0 every cell as expected, 1 some cell not, 2 bad usage or matrix, 3 nothing could run.\n' +
      'history gate: 0 the newest run adds no regression, 1 it adds one, 4 cannot tell.\n' +
      'bisect-run: 0 pass, 1 fail, 125 commit untestable, 128 harness or host trouble, 129 bad usage.',
  );
program.addCommand(runSubcommand(version).exitOverride());
program.addCommand(listSubcommand().exitOverride());
program.addCommand(buildSubcommand().exitOverride());
program.addCommand(bootSubcommand(version).exitOverride());
program.addCommand(doctorSubcommand().exitOverride());
program.addCommand(bisectSubcommand(version).exitOverride());
program.addCommand(bisectRunSubcommand(version).exitOverride());
program.addCommand(reportSubcommand().exitOverride());
program.addCommand(compareSubcommand().exitOverride());
program.addCommand(historySubcommand(version).exitOverride());

// under `git bisect run` every exit code below 128 marks the commit: trouble
// that is not the commit's must abort the bisect instead
const exits =
  process.argv[2] === 'bisect-run'
    ? { usage: BISECT_EXIT.usage, internal: BISECT_EXIT.abort }
    : { usage: EXIT.usage, internal: EXIT.infrastructure };

// `kvmatrix list | head`: a reader that left early is not an error
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  killAllGroups();
  process.exit(EXIT.ok);
});

// VMs and builds run in process groups of their own, out of reach of the
// terminal's Ctrl-C: take them down with the harness. A run then writes
// the reports of what finished (at most STOP_GRACE_MS); a second signal,
// or a command that cannot stop cleanly, exits at once.
const STOP_GRACE_MS = 20_000;
let stopping = false;
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.on(signal, () => {
    killAllGroups();
    const exit = () => {
      runInterruptCleanups((message) => process.stderr.write(`kvmatrix: ${message}\n`));
      process.exit(code);
    };
    if (stopping) return exit();
    stopping = true;
    process.stderr.write(`kvmatrix: ${signal}: stopped every VM and build it had started\n`);
    const pending = requestStop(signal);
    if (!pending) return exit();
    process.stderr.write('kvmatrix: writing the reports of what finished (again to quit at once)\n');
    setTimeout(exit, STOP_GRACE_MS).unref();
    void pending.then(exit);
  });
}

// a function, not top-level await: the bin is bundled as CommonJS (see bundle.mjs)
async function main(): Promise<void> {
  try {
    await program.parseAsync(process.argv);
    // the bin keeps V8's code for later runs only from a command that got here (bin.cjs)
    (globalThis as { kvmatrixCommandRan?: boolean }).kvmatrixCommandRan = true;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with exit code 0
      process.exitCode = error.exitCode === 0 ? EXIT.ok : exits.usage;
    } else if (error instanceof StoreError) {
      process.stderr.write(`kvmatrix: ${error.message}\n`);
      process.exitCode = exits.internal;
    } else if (error instanceof InputError) {
      process.stderr.write(`kvmatrix: ${error.message}\n`);
      process.exitCode = exits.usage;
    } else {
      process.stderr.write(`kvmatrix: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = exits.internal;
    }
  }
  // a build's scratch folder is removed while the run goes on; gone before the process is
  for (const failure of await backgroundRemovalsDone()) process.stderr.write(`kvmatrix: ${failure}\n`);
  // The command is done and all it wrote is written (files synchronously; stdout
  // and stderr are synchronous on Linux for files, pipes and terminals): leave
  // now. The handle of a VMM that had exited sometimes kept the event loop alive
  // another 15-20 ms. After a signal, its handler above ends the process.
  if (!stopping) process.exit();
}

void main();
