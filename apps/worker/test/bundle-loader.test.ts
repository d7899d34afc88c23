import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { codeCacheFile } from '../src/bundle-loader';

/** The loader as the worker's entries run it (tsc's output, built before the tests). */
const LOADER = resolve(__dirname, '../dist/bundle-loader.js');

/**
 * Each step runs in a `node` of its own, as the build and a worker's start do: within one
 * process, V8 would reuse its own compilation of a source it has seen and never read the cache.
 */
function writeCodeCache(file: string): void {
  execFileSync(process.execPath, ['-e', `require(${JSON.stringify(LOADER)}).writeCodeCache(${JSON.stringify(file)})`]);
}

/** What a fresh `node` loading the bundle reports: how it used the cache, and what the module gave. */
function loadBundle(file: string, sourceMaps: boolean): { codeCache: string; answer: number; sibling: string; filename: string } {
  const script = `
    const { exports: bundle, codeCache } = require(${JSON.stringify(LOADER)}).loadBundle(${JSON.stringify(file)});
    console.log(JSON.stringify({ codeCache, answer: bundle.answer(), sibling: bundle.sibling, filename: bundle.filename }));`;
  const flags = sourceMaps ? ['--enable-source-maps'] : [];
  return JSON.parse(execFileSync(process.execPath, [...flags, '-e', script], { encoding: 'utf8' })) as ReturnType<typeof loadBundle>;
}

/**
 * A small bundle in a directory of its own: it requires a file beside it and tells where it
 * ran, as the worker's bundles require `@herald/core/database` from theirs.
 */
function fixtureBundle(answer: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'herald-bundle-'));
  writeFileSync(join(dir, 'sibling.js'), "module.exports = 'beside the bundle';\n");
  const file = join(dir, 'bundle.js');
  // The answer is computed while the module loads, so the cache holds the code that computes it.
  writeFileSync(file, `const answer = (() => ${answer})();\nexports.answer = () => answer;\nexports.sibling = require('./sibling');\nexports.filename = __filename;\n`);
  return file;
}

describe('loading a bundle with its code cache (loadBundle)', () => {
  const made: string[] = [];
  const bundle = (answer: number) => {
    const file = fixtureBundle(answer);
    made.push(file);
    return file;
  };
  afterAll(() => {
    for (const file of made) rmSync(join(file, '..'), { recursive: true, force: true });
  });

  it('When a bundle has the code cache the build made, then V8 takes it, and the module runs as Node would run it', () => {
    const file = bundle(42);
    writeCodeCache(file);

    expect(loadBundle(file, false)).toEqual({ codeCache: 'used', answer: 42, sibling: 'beside the bundle', filename: file });
  });

  it('When the bundle changed after its cache was made, even to a source of the same length, then the cache is left out and the new code runs', () => {
    // V8 checks a cache against the source's length only: it would take this one, and answer 42.
    const file = bundle(42);
    writeCodeCache(file);
    writeFileSync(file, readFileSync(file, 'utf8').replace('=> 42)', '=> 43)'));

    expect(loadBundle(file, false)).toMatchObject({ codeCache: 'stale', answer: 43 });
  });

  it('When V8 refuses the cache (another Node, other flags, damaged), then the bundle is compiled without it and runs', () => {
    const file = bundle(42);
    writeCodeCache(file);
    const cache = readFileSync(codeCacheFile(file));
    // The digest stays; V8's part is damaged.
    cache.fill(0x5a, 32 + 8);
    writeFileSync(codeCacheFile(file), cache);

    expect(loadBundle(file, false)).toMatchObject({ codeCache: 'rejected', answer: 42 });
  });

  it('When a bundle holds characters outside ASCII, then they load intact', () => {
    const file = bundle(42);
    // The escapes are TypeScript's: the file gets the characters themselves, in UTF-8.
    writeFileSync(file, `${readFileSync(file, 'utf8')}exports.sibling = 'd\u00e9j\u00e0 vu \u2026';\n`);
    writeCodeCache(file);

    expect(loadBundle(file, false)).toMatchObject({ codeCache: 'used', answer: 42, sibling: 'd\u00e9j\u00e0 vu \u2026' });
  });

  it('When a bundle has no cache, then it loads without one', () => {
    expect(loadBundle(bundle(42), false)).toMatchObject({ codeCache: 'missing', answer: 42 });
  });

  it("When source maps are on, then Node's own loader loads the bundle, since only it maps stack traces to the TypeScript", () => {
    const file = bundle(42);
    writeCodeCache(file);

    expect(loadBundle(file, true)).toEqual({ codeCache: 'off', answer: 42, sibling: 'beside the bundle', filename: file });
  });
});
