// Bundles the worker's two entry points, the process (`main`) and the urgent lane's thread,
// each into one file under dist/bundle. `npm run build` runs this after `tsc -b`, from the
// compiled output.
//
// Why: a worker's start-up was mostly Node resolving, reading and wrapping some 600 module
// files, twice (the lane's thread loads its own). One file per entry cut a worker's CPU
// before its first delivery from about 0.9 s to 0.55 s, and spawn → ready from about 600 ms
// to 375 ms (bench/README.md, finding 30): a restarted or scaled-out worker delivers sooner.
// The code is the same: esbuild keeps CommonJS semantics, so a module still runs when it is
// first required, and what is required lazily stays lazy.
//
// `node apps/worker/scripts/bundle.mjs --clean` removes the bundles.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const WORKER = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(WORKER, 'dist/bundle');

rmSync(OUT, { recursive: true, force: true });
if (!process.argv.includes('--clean')) {
  await build({
    entryPoints: { main: join(WORKER, 'dist/main.js'), 'urgent-lane-thread': join(WORKER, 'dist/urgent-lane-thread.js') },
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
}
