/** The CDK assertions only (no DynamoDB Local): what mutation testing of lib/ runs against. */
const base = require('./jest.config.js');

module.exports = {
  ...base,
  testMatch: ['**/test/infra/**/*.test.ts'],
  globalSetup: undefined,
  globalTeardown: undefined,
  testEnvironment: require('node:path').join(__dirname, 'test', 'support', 'bail-environment.js'),
};
