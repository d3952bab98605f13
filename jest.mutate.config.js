/**
 * What `npm run mutate` runs per mutant of lambdas/ and lib/: unit, infrastructure and integration tests, against the
 * one DynamoDB Local that scripts/mutate.ts starts. Left out: the browser and `npm start` tests (a page and a child
 * process, whose code paths the integration tests already cover in-process) and the outage test (it stops and restarts
 * a JVM of its own, and under a mutation run's load its timing fails it without a mutant: a false kill).
 */
const base = require('./jest.config.js');

module.exports = {
  ...base,
  // Stops a mutant's run at its first failing test (killed is killed); plain jest without Stryker is unaffected.
  testEnvironment: require('node:path').join(__dirname, 'test', 'support', 'bail-environment.js'),
  // A mutant's run loads only the test files that cover it (recorded by that environment in Stryker's dry run).
  filter: require('node:path').join(__dirname, 'test', 'support', 'mutant-test-files.js'),
  testPathIgnorePatterns: [
    '/node_modules/',
    '/test/integration/console\\.test\\.ts$',
    '/test/integration/npm-start\\.test\\.ts$',
    '/test/integration/faults\\.test\\.ts$',
  ],
};
