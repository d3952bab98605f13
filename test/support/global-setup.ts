/** Starts DynamoDB Local once per test run; tests isolate themselves by unique ids. */
import { TABLES, type TableKey } from '../../lambdas/store/schema';
import { ensureDevKey } from '../../local/dev-auth';
import { createTables, startDynamoDbLocal } from '../../local/dynamodb';

export default async function globalSetup(): Promise<void> {
  // Before the first AWS SDK request creates the InvokeStore (see local/env.ts).
  process.env.AWS_LAMBDA_MAX_CONCURRENCY ??= '256';
  await ensureDevKey(); // before the workers start, so that they all sign with one key
  const names = Object.fromEntries((Object.keys(TABLES) as TableKey[]).map((k) => [k, `test-${k}`])) as Record<TableKey, string>;
  // Mutation testing runs jest once per mutant: scripts/mutate.ts starts one DynamoDB Local for all of them.
  const shared = process.env.SHARED_DYNAMODB_ENDPOINT;
  if (shared) {
    await createTables(shared, names);
    process.env.TEST_DYNAMODB_ENDPOINT = shared;
  } else {
    const dynamo = await startDynamoDbLocal();
    await createTables(dynamo.endpoint, names);
    (globalThis as Record<string, unknown>).__DYNAMO__ = dynamo;
    // Workers are forked after globalSetup and inherit this environment.
    process.env.TEST_DYNAMODB_ENDPOINT = dynamo.endpoint;
  }
  // Handlers log through Powertools; tests that check logs raise the level themselves.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  process.env.POWERTOOLS_DEV ??= 'true'; // logs through console (capturable), no EMF output unless a test asks
  for (const k of Object.keys(TABLES) as TableKey[]) process.env[TABLES[k].envName] = names[k];
}
