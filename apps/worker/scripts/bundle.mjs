// Bundles the worker's code into one file per entry under dist/bundle, and makes a V8 code
// cache for each of the two large ones. `npm run build` runs this after `tsc -b`, from the
// compiled output. Two small entries, which load the large ones (`loadBundle`):
// - `main`, the process: starts the urgent lane's thread, then loads `worker-role`;
// - `urgent-lane-thread`, the lane's thread: loads `urgent-lane-role`.
//
// Why: a worker's start-up was mostly Node resolving, reading and wrapping module files:
// about 670 on the main thread, then 500 again on the lane's. One file per entry cut a
// worker's CPU from spawn to ready from about 0.9 s to 0.55 s, and the time from about
// 600 ms to 400 (bench/README.md, finding 30): a restarted or scaled-out worker delivers
// sooner.
// The code is the same: esbuild keeps CommonJS semantics, so a module still runs when it is
// first required, and what is required lazily stays lazy.
//
// The code caches (`<bundle>.js.cache`, see `src/bundle-loader.ts`) spare each thread most of
// compiling its bundle at every start (finding 43). Each is made by a `node` of its own,
// the one running this script, with the worker's flags (`src/node-flags.ts`) and without
// NODE_OPTIONS: a cache is valid only for the Node version and V8 flags that made it.
//
// `node apps/worker/scripts/bundle.mjs --clean` removes the bundles.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const WORKER = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(WORKER, 'dist/bundle');
const { WORKER_NODE_FLAGS } = createRequire(import.meta.url)(join(WORKER, 'dist/node-flags.js'));

rmSync(OUT, { recursive: true, force: true });
if (!process.argv.includes('--clean')) {
  await build({
    entryPoints: {
      main: join(WORKER, 'dist/main.js'),
      'worker-role': join(WORKER, 'dist/worker-role.js'),
      'urgent-lane-thread': join(WORKER, 'dist/urgent-lane-thread.js'),
      'urgent-lane-role': join(WORKER, 'dist/urgent-lane-role.js'),
    },
    outdir: OUT,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // Smaller code to parse; names stay, so stack traces still name their functions.
    minifySyntax: true,
    // Chained through tsc's maps to the TypeScript sources: `node --enable-source-maps` shows them.
    sourcemap: 'linked',
    sourcesContent: false,
    external: [
      // Loaded on a worker's first dead letter (LazyDeadLetters), from node_modules as before:
      // kysely and pg then cost nothing until a job fails for good.
      '@herald/core/database',
      // pg's optional native binding, which Herald does not install.
      'pg-native',
    ],
    logLevel: 'warning',
  });
  for (const entry of ['main', 'worker-role', 'urgent-lane-thread', 'urgent-lane-role']) asciiOnly(join(OUT, `${entry}.js`));
  for (const entry of ['worker-role', 'urgent-lane-role']) writeCodeCache(join(OUT, `${entry}.js`));
}

/** Makes a bundle's code cache with `writeCodeCache` (tsc's output), in a process of its own run as a worker is. */
function writeCodeCache(bundle) {
  const loader = join(WORKER, 'dist/bundle-loader.js');
  const script = `require(${JSON.stringify(loader)}).writeCodeCache(${JSON.stringify(bundle)})`;
  const { NODE_OPTIONS: _ignored, ...env } = process.env;
  const made = spawnSync(process.execPath, [...WORKER_NODE_FLAGS, '-e', script], { env, stdio: 'inherit' });
  if (made.status !== 0) throw new Error(`could not make the code cache of ${bundle} (exit ${made.status ?? made.signal})`);
}

/**
 * Escapes the characters esbuild leaves outside ASCII (in comments it keeps, and one '…' in
 * a regular expression literal) as \uXXXX, which means the same in both. V8 keeps each
 * script's source in memory, at one byte per character only if every character fits in
 * one; else at two, and a single '…' cost each thread 4 MB more. (On the few lines with an
 * escape, the source map is off by a few columns after it.)
 */
function asciiOnly(file) {
  const text = readFileSync(file, 'utf8');
  writeFileSync(file, text.replace(/[^\x00-\x7f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`));
}
