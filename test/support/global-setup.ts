/** Starts DynamoDB Local once per test run; every test file creates tables of its own (file-tables.ts). */
import { randomUUID } from 'node:crypto';
import { ensureDevKey } from '../../local/dev-auth';
import { startDynamoDbLocal } from '../../local/dynamodb';

export default async function globalSetup(): Promise<void> {
  // Before the first AWS SDK request creates the InvokeStore (see local/env.ts).
  process.env.AWS_LAMBDA_MAX_CONCURRENCY ??= '256';
  await ensureDevKey(); // before the workers start, so that they all sign with one key
  // The run's table prefix: a run on a shared database deletes its own tables at the end (global-teardown.ts).
  process.env.TEST_TABLE_RUN = `t${randomUUID().replace(/-/g, '').slice(0, 8)}`;
  // Mutation testing runs jest once per mutant: scripts/mutate.ts starts one DynamoDB Local for all of them.
  const shared = process.env.SHARED_DYNAMODB_ENDPOINT;
  if (shared) process.env.TEST_DYNAMODB_ENDPOINT = shared;
  else {
    const dynamo = await startDynamoDbLocal();
    (globalThis as Record<string, unknown>).__DYNAMO__ = dynamo;
    // Workers are forked after globalSetup and inherit this environment.
    process.env.TEST_DYNAMODB_ENDPOINT = dynamo.endpoint;
  }
  // Handlers log through Powertools; tests that check logs raise the level themselves.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  process.env.POWERTOOLS_DEV ??= 'true'; // logs through console (capturable), no EMF output unless a test asks
}
