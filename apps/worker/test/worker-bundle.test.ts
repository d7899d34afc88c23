import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { resolve } from 'node:path';

const BUNDLE_DIR = resolve(__dirname, '../dist/bundle');

/** The npm packages whose code a bundle holds, read from its source map's list of inputs. */
function packagesIn(bundle: string): Set<string> {
  const { sources } = JSON.parse(readFileSync(resolve(BUNDLE_DIR, `${bundle}.js.map`), 'utf8')) as { sources: string[] };
  return new Set(sources.flatMap((source) => /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules)/.exec(source)?.[1] ?? []));
}

function resolvable(name: string): boolean {
  try {
    require.resolve(name, { paths: [BUNDLE_DIR] });
    return true;
  } catch {
    return false;
  }
}

describe("the worker's bundles (scripts/bundle.mjs)", () => {
  it('When the worker is built, then each entry is one file holding its packages, so a start reads no module files', () => {
    for (const bundle of ['worker-role', 'urgent-lane-role']) {
      const packages = packagesIn(bundle);
      for (const name of ['bullmq', 'ioredis', 'undici', 'prom-client', 'winston']) expect({ bundle, name, inlined: packages.has(name) }).toEqual({ bundle, name, inlined: true });
      // What is left to Node: the dead-letter database, loaded on a worker's first final
      // failure, and optional packages that are not installed (pg-native, valkey-glide).
      const text = readFileSync(resolve(BUNDLE_DIR, `${bundle}.js`), 'utf8');
      const required = new Set([...text.matchAll(/\brequire\("([^"]+)"\)/g)].map((match) => match[1]!).filter((name) => !name.startsWith('node:') && !builtinModules.includes(name)));
      expect(required).toContain('@herald/core/database');
      const installed = [...required].filter((name) => name !== '@herald/core/database' && resolvable(name));
      expect({ bundle, installed }).toEqual({ bundle, installed: [] });
    }
  });

  it("When the worker is built, then its two entries hold no package: the lane's thread starts before the process's code is compiled, and each thread's code is a bundle of its own", () => {
    expect({ main: [...packagesIn('main')], lane: [...packagesIn('urgent-lane-thread')] }).toEqual({ main: [], lane: [] });
  });

  it('When the worker is built, then each bundle is plain ASCII, which V8 keeps at one byte per character instead of two', () => {
    for (const bundle of ['main', 'worker-role', 'urgent-lane-thread', 'urgent-lane-role']) {
      const outside = /[^\x00-\x7f]/.exec(readFileSync(resolve(BUNDLE_DIR, `${bundle}.js`), 'utf8'));
      expect({ bundle, outside: outside?.[0] }).toEqual({ bundle, outside: undefined });
    }
  });

  it("When the worker is built, then its bundles hold undici's Agent and request but not the rest of undici's index (fetch, WebSocket, cookies, caches, mocks)", () => {
    for (const bundle of ['worker-role', 'urgent-lane-role']) {
      const { sources } = JSON.parse(readFileSync(resolve(BUNDLE_DIR, `${bundle}.js.map`), 'utf8')) as { sources: string[] };
      const undici = sources.flatMap((source) => /node_modules\/undici\/(.*)$/.exec(source)?.[1] ?? []);
      expect({ bundle, agent: undici.includes('lib/dispatcher/agent.js'), request: undici.includes('lib/api/api-request.js') }).toEqual({ bundle, agent: true, request: true });
      expect({ bundle, unused: undici.filter((file) => /^(index\.js|lib\/(mock|cache|interceptor)\/|lib\/web\/(fetch\/index|websocket|cookies|eventsource))/.test(file)) }).toEqual({ bundle, unused: [] });
    }
  });

  it("When the worker is built, then no bundle holds kysely, and the lane's holds no configuration parser", () => {
    expect(packagesIn('worker-role')).not.toContain('kysely');
    const lane = packagesIn('urgent-lane-role');
    for (const name of ['joi', 'yaml', 'kysely']) expect(lane).not.toContain(name);
  });
});
