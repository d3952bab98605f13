import { DeleteTableCommand, DynamoDBClient, paginateListTables } from '@aws-sdk/client-dynamodb';
import type { LocalDynamo } from '../../local/dynamodb';

/** Stops the run's DynamoDB Local, or on a shared one (mutation testing: a run per mutant) deletes the run's tables. */
export default async function globalTeardown(): Promise<void> {
  const own = (globalThis as Record<string, unknown>).__DYNAMO__ as LocalDynamo | undefined;
  if (own) return own.stop();
  const endpoint = process.env.SHARED_DYNAMODB_ENDPOINT;
  const run = process.env.TEST_TABLE_RUN;
  if (!endpoint || !run) return;
  const client = new DynamoDBClient({ endpoint });
  const mine: string[] = [];
  for await (const page of paginateListTables({ client }, {})) mine.push(...(page.TableNames ?? []).filter((t) => t.startsWith(`${run}-`)));
  await Promise.all(mine.map((TableName) => client.send(new DeleteTableCommand({ TableName }))));
  client.destroy();
}
