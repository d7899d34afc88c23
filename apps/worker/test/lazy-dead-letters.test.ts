import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../..');

/** The npm packages a fresh Node process has loaded after requiring `module` (compiled output). */
function packagesLoadedBy(module: string): Set<string> {
  const script = `require(${JSON.stringify(module)}); console.log(JSON.stringify(Object.keys(require.cache)))`;
  const files = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' })) as string[];
  return new Set(files.flatMap((file) => /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules)/.exec(file)?.[1] ?? []));
}

describe('what a worker loads', () => {
  it('When the worker starts, then kysely and pg are not loaded: they wait for the first dead letter', () => {
    const loaded = packagesLoadedBy('./apps/worker/dist/index.js');
    expect(loaded).toContain('bullmq');
    expect(loaded).not.toContain('kysely');
    expect(loaded).not.toContain('pg');
  });

  it('When the dead-letter database is opened, then kysely and pg are loaded', () => {
    const loaded = packagesLoadedBy('./packages/core/dist/database/index.js');
    expect(loaded).toContain('kysely');
    expect(loaded).toContain('pg');
  });
});
