// Bundles the worker's entry points, the process (`main`, which starts the urgent lane's
// thread and then requires `worker-role`) and the urgent lane's thread, each into one file
// under dist/bundle. `npm run build` runs this after `tsc -b`, from the
// compiled output.
//
// Why: a worker's start-up was mostly Node resolving, reading and wrapping module files:
// about 670 on the main thread, then 500 again on the lane's. One file per entry cut a
// worker's CPU from spawn to ready from about 0.9 s to 0.55 s, and the time from about
// 600 ms to 400 (bench/README.md, finding 30): a restarted or scaled-out worker delivers
// sooner.
// The code is the same: esbuild keeps CommonJS semantics, so a module still runs when it is
// first required, and what is required lazily stays lazy.
//
// `node apps/worker/scripts/bundle.mjs --clean` removes the bundles.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const WORKER = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(WORKER, 'dist/bundle');

rmSync(OUT, { recursive: true, force: true });
if (!process.argv.includes('--clean')) {
  await build({
    // `main` only spawns the lane's thread and requires `worker-role`, the process's code.
    entryPoints: {
      main: join(WORKER, 'dist/main.js'),
      'worker-role': join(WORKER, 'dist/worker-role.js'),
      'urgent-lane-thread': join(WORKER, 'dist/urgent-lane-thread.js'),
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
  for (const entry of ['main', 'worker-role', 'urgent-lane-thread']) asciiOnly(join(OUT, `${entry}.js`));
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
