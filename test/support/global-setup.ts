/** Starts DynamoDB Local once per test run; tests isolate themselves by unique ids. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TABLES, type TableKey } from '../../lambdas/store/schema';
import { createTables, startDynamoDbLocal } from '../../local/dynamodb';

export const STATE_FILE = join(__dirname, '..', '..', '.local', 'test-dynamodb.json');

export default async function globalSetup(): Promise<void> {
  const dynamo = await startDynamoDbLocal();
  const names = Object.fromEntries((Object.keys(TABLES) as TableKey[]).map((k) => [k, `test-${k}`])) as Record<TableKey, string>;
  await createTables(dynamo.endpoint, names);
  (globalThis as Record<string, unknown>).__DYNAMO__ = dynamo;
  process.env.TEST_DYNAMODB_ENDPOINT = dynamo.endpoint;
  for (const k of Object.keys(TABLES) as TableKey[]) process.env[TABLES[k].envName] = names[k];
  writeFileSync(STATE_FILE, JSON.stringify({ endpoint: dynamo.endpoint }));
}
