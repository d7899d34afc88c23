/**
 * One Jest run over every workspace. Tests import workspace packages from source; the
 * harness starts a throwaway Redis and PostgreSQL once (test/support/global-setup.ts).
 */
const workspaces = {
  '@herald/core': 'packages/core/src',
  '@herald/devstack': 'packages/devstack/src',
  '@herald/migrations': 'migrations/src',
  '@herald/api': 'apps/api/src',
  '@herald/worker': 'apps/worker/src',
};

/** Subpath imports that tests use to reach one module without its package's whole index. */
const subpaths = {
  '^@herald/devstack/(local-redis|free-port|role-entries)$': '<rootDir>/packages/devstack/src/$1',
  '^@herald/worker/(dead-letter-sweeper|node-flags)$': '<rootDir>/apps/worker/src/$1',
  '^@herald/core/database$': '<rootDir>/packages/core/src/database',
  '^@herald/core/delivery$': '<rootDir>/packages/core/src/delivery-exports',
};

module.exports = {
  // Jest's node environment, exiting its worker processes without a heap teardown (see the file).
  testEnvironment: '<rootDir>/test/support/node-environment.ts',
  testMatch: ['<rootDir>/**/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }] },
  moduleNameMapper: {
    ...subpaths,
    ...Object.fromEntries(Object.entries(workspaces).map(([name, dir]) => [`^${name}$`, `<rootDir>/${dir}`])),
  },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60_000,
  maxWorkers: 2,
};
