/** Unit tests only (no DynamoDB Local): what mutation testing of lambdas/core runs against. */
const base = require('./jest.config.js');

module.exports = { ...base, testMatch: ['**/test/unit/**/*.test.ts'], globalSetup: undefined, globalTeardown: undefined };
