// npm run build, after tsc: bundles the compiled CLI (dist/harness/cli/main.js)
// into dist/cli/main.js, the `kvmatrix` bin. Loading some 300 small ES
// modules (execa and zod alone are about 200) cost more at start-up than
// anything the CLI does before its first boot; one file per command chunk
// costs a few. Split at the CLI's dynamic imports, so `kvmatrix --help`
// still loads no command's code.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const outdir = join(root, 'dist', 'cli');
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'dist', 'harness', 'cli', 'main.js')],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  // CommonJS dependencies (commander, proper-lockfile) call require() for Node's own modules
  banner: { js: "import { createRequire as kvmatrixRequire } from 'node:module'; const require = kvmatrixRequire(import.meta.url);" },
  // less to parse at every start; names are kept, so a stack trace still reads
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'eof',
  logLevel: 'warning',
});
