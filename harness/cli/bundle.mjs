// npm run build, after tsc: bundles the compiled CLI (dist/harness/cli/main.js)
// into one CommonJS file, dist/cli/bundle.cjs, and puts the bin beside it
// (dist/cli/main.cjs, from bin.cjs), which runs the bundle with V8's code for
// it kept between runs. Loading some 300 small ES modules (execa and zod
// alone are about 200) cost more at start-up than anything the CLI does
// before its first boot. A command's modules are still evaluated only when
// it runs (esbuild keeps each `await import(...)` lazy), so `kvmatrix --help`
// runs no command's code.
import { copyFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const outdir = join(root, 'dist', 'cli');
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'dist', 'harness', 'cli', 'main.js')],
  outfile: join(outdir, 'bundle.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // install-paths.ts finds the checkout from its own location; bundle-identity.ts
  // keys what is kept per build by this file
  define: { 'import.meta.url': 'kvmatrixBundleUrl', KVMATRIX_BUNDLE: 'true' },
  banner: { js: "const kvmatrixBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  // non-ASCII characters escaped, so that the bin can read the file as latin1
  charset: 'ascii',
  // less to parse at a first start; names are kept, so a stack trace still reads
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'eof',
  // loaded from node_modules when a history command runs: better-sqlite3 is
  // a compiled module, and pg would pull in its optional native binding
  external: ['better-sqlite3', 'pg', 'pg-native'],
  logLevel: 'warning',
});
copyFileSync(join(root, 'harness', 'cli', 'bin.cjs'), join(outdir, 'main.cjs'));
