import { resolve } from 'node:path';
import { WORKER_NODE_FLAGS } from '@herald/worker/node-flags';

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

/** The `node` flags each role's script passes before its entry (the worker's: apps/worker/src/node-flags.ts). */
export const ROLE_NODE_FLAGS: Readonly<Record<Role, readonly string[]>> = {
  api: [],
  worker: WORKER_NODE_FLAGS,
};

const ROOT = resolve(__dirname, '../../..');

/** The absolute path of a role's entry file in this checkout. */
export function roleEntry(role: Role): string {
  return resolve(ROOT, ROLE_ENTRIES[role]);
}

/**
 * The arguments for `node` that run a role as its `npm run` script does: its flags, then its
 * entry (`entry` replaces this checkout's, e.g. another build's in the bench).
 */
export function roleArgs(role: Role, entry: string = roleEntry(role)): string[] {
  return [...ROLE_NODE_FLAGS[role], entry];
}
