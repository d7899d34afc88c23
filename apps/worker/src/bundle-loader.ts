import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { Script } from 'node:vm';

/**
 * Where the worker's bundles are (scripts/bundle.mjs). This module runs from `dist/bundle`
 * when operators start a worker, and from `src` (the tests) or `dist`; the bundle is built
 * before any of them runs (`npm run build`, which `npm test` runs first).
 */
const BUNDLE_DIR = basename(__dirname) === 'bundle' ? __dirname : resolve(__dirname, '../dist/bundle');

/** The bundled file of one of the worker's entries (`worker-role`, `urgent-lane-role`, …). */
export function bundleFile(name: string): string {
  return join(BUNDLE_DIR, `${name}.js`);
}

/** A code cache starts with the SHA-256 of the source it was made from. */
const DIGEST_BYTES = 32;

/**
 * How a bundle was loaded: with its code cache (`used`); without, because V8 refused the
 * cache (`rejected`: another Node version or other V8 flags than the build's), the bundle
 * changed since the cache was made (`stale`), there is none (`missing`), or source maps are
 * on (`off`).
 */
export type CodeCacheUse = 'used' | 'rejected' | 'stale' | 'missing' | 'off';

export interface LoadedBundle<T> {
  readonly exports: T;
  readonly codeCache: CodeCacheUse;
}

/** The code cache made for `file` by `writeCodeCache`. */
export function codeCacheFile(file: string): string {
  return `${file}.cache`;
}

/**
 * The text a bundle is compiled as: its source wrapped as Node wraps a CommonJS module, on
 * the source's first line, so that lines keep their numbers. A cache is made and used for
 * exactly this text.
 */
const WRAPPER_HEAD = Buffer.from('(function (exports, require, module, __filename, __dirname) { ');
const WRAPPER_TAIL = Buffer.from('\n});');

/**
 * Loads a bundle as CommonJS, with the V8 code cache the build made for it when there is a
 * valid one. V8 then skips parsing and compiling what the cache holds: on the bench
 * machine, loading `worker-role` took about 90 ms of CPU instead of 160 with Node's own
 * loader, and the lane's `urgent-lane-role`, which the lower queues wait for, about 60
 * instead of 110 (bench/README.md, finding 43). Node 20 has no compile cache of its own for
 * CommonJS (`module.enableCompileCache` came in 22).
 *
 * A cache is used only for the exact source it was made from (its SHA-256, since V8 itself
 * checks no more than the source's length) and only if V8 accepts it; else the bundle is
 * compiled without. With source maps on (`--enable-source-maps`), Node loads it itself:
 * only its own loader maps stack traces back to the TypeScript.
 *
 * The wrapped text is made as bytes and decoded once. Wrapping the decoded source instead
 * (`Module.wrap`) left a second copy of it on the heap, and V8 ran two or three more full
 * collections on the lane's thread in its first seconds. Decoding it as Latin-1, which Node
 * keeps outside the heap, made the heap smaller than V8's growth rule expects
 * (`HEAP_GROWING_PERCENT`): more full collections on the main thread while it delivered.
 * Unlike Node's loader, this one cannot run a dynamic `import()`, which the bundles use only
 * in BullMQ's sandboxed processors, and Herald has none.
 */
export function loadBundle<T>(file: string, options: { readonly sourceMaps?: boolean } = {}): LoadedBundle<T> {
  if (options.sourceMaps ?? process.sourceMapsEnabled) return { exports: require(file) as T, codeCache: 'off' };
  const source = readFileSync(file);
  const cache = readCache(file);
  let cachedData: Buffer | undefined;
  let codeCache: CodeCacheUse = 'missing';
  if (cache) {
    if (cache.subarray(0, DIGEST_BYTES).equals(digestOf(source))) cachedData = cache.subarray(DIGEST_BYTES);
    else codeCache = 'stale';
  }
  const script = compile(file, source, cachedData);
  if (cachedData) codeCache = script.cachedDataRejected ? 'rejected' : 'used';
  return { exports: run<T>(script, file), codeCache };
}

/**
 * Makes the code cache of a bundle: compiles and loads it, so that the cache also holds the
 * functions its loading runs (nearly twice the saving of a cache of what compiling alone makes),
 * and writes what V8 compiled. The bundle's top level must only define things: it runs
 * here, at build time. A cache is valid for the Node version and V8 flags of the process
 * that makes it: the build makes it with the `node` that runs the worker, under the
 * worker's flags (`WORKER_NODE_FLAGS`) and no others.
 */
export function writeCodeCache(file: string): void {
  const source = readFileSync(file);
  const script = compile(file, source, undefined);
  run(script, file);
  writeFileSync(codeCacheFile(file), Buffer.concat([digestOf(source), script.createCachedData()]));
}

function readCache(file: string): Buffer | undefined {
  try {
    return readFileSync(codeCacheFile(file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function digestOf(source: Buffer): Buffer {
  return createHash('sha256').update(source).digest();
}

function compile(file: string, source: Buffer, cachedData: Buffer | undefined): Script {
  const text = Buffer.concat([WRAPPER_HEAD, source, WRAPPER_TAIL]).toString('utf8');
  return new Script(text, { filename: file, cachedData });
}

/** Runs a compiled module as Node's loader would: its own `module`, and `require` from its directory. */
function run<T>(script: Script, file: string): T {
  const module = new Module(file, require.main);
  module.filename = file;
  const wrapper = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;
  wrapper.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  module.loaded = true;
  return module.exports as T;
}
