import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../..');

/** The npm packages named in a list of loaded files. */
function packagesIn(files: readonly string[]): Set<string> {
  return new Set(files.flatMap((file) => /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules)/.exec(file)?.[1] ?? []));
}

/** The npm packages a fresh Node process has loaded after requiring `module` (compiled output). */
function packagesLoadedBy(module: string): Set<string> {
  const script = `require(${JSON.stringify(module)}); console.log(JSON.stringify(Object.keys(require.cache)))`;
  return packagesIn(JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' })) as string[]);
}

/** The npm packages a fresh worker thread has loaded after loading the urgent lane's code (`urgent-lane-role`, compiled output). */
function packagesLoadedByLaneThread(): Set<string> {
  const entry = resolve(ROOT, 'apps/worker/dist/urgent-lane-role.js');
  const thread = `require(${JSON.stringify(entry)}); require('node:worker_threads').parentPort.postMessage(Object.keys(require.cache));`;
  const script = `const t = new (require('node:worker_threads').Worker)(${JSON.stringify(thread)}, { eval: true });
    t.once('message', (files) => { console.log(JSON.stringify(files)); void t.terminate(); });`;
  return packagesIn(JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' })) as string[]);
}

describe('what a worker loads', () => {
  it('When the worker starts, then kysely and pg are not loaded: they wait for the first dead letter', () => {
    const loaded = packagesLoadedBy('./apps/worker/dist/index.js');
    expect(loaded).toContain('bullmq');
    expect(loaded).not.toContain('kysely');
    expect(loaded).not.toContain('pg');
  });

  it("When the urgent lane's thread starts, then it loads no configuration parser (joi, yaml) and no database client: its configuration arrives parsed", () => {
    const loaded = packagesLoadedByLaneThread();
    expect(loaded).toContain('bullmq');
    expect(loaded).toContain('ioredis');
    for (const name of ['joi', 'yaml', 'kysely', 'pg']) expect(loaded).not.toContain(name);
  });

  it('When the dead-letter database is opened, then kysely and pg are loaded', () => {
    const loaded = packagesLoadedBy('./packages/core/dist/database/index.js');
    expect(loaded).toContain('kysely');
    expect(loaded).toContain('pg');
  });
});
