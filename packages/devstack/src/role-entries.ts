import { resolve } from 'node:path';

export type Role = 'api' | 'worker';

/**
 * The file each role runs, from the repository root: what `npm run api` and `npm run worker`
 * start (test/compose.test.ts holds the root scripts to these), and what `npm start`, the
 * tests and the bench spawn. The worker's is its bundle (apps/worker/scripts/bundle.mjs).
 */
export const ROLE_ENTRIES: Readonly<Record<Role, string>> = {
  api: 'apps/api/dist/main.js',
  worker: 'apps/worker/dist/bundle/main.js',
};

const ROOT = resolve(__dirname, '../../..');

/** The absolute path of a role's entry file in this checkout. */
export function roleEntry(role: Role): string {
  return resolve(ROOT, ROLE_ENTRIES[role]);
}
