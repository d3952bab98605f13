/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.[cm]?[tj]s$': '<rootDir>/test/support/esbuild-transform.js' },
  transformIgnorePatterns: ['/node_modules/(?!(jose)/)'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  // The local runtime's environment (InvokeStore, Powertools dev mode) before any test module loads.
  setupFiles: ['<rootDir>/local/env.ts'],
  // Tables per test file (see the module), created before the file's tests.
  setupFilesAfterEnv: ['<rootDir>/test/support/file-tables.ts'],
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 30000,
  maxWorkers: 2,
};
