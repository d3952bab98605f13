import type { LocalDynamo } from '../../local/dynamodb';

export default async function globalTeardown(): Promise<void> {
  await ((globalThis as Record<string, unknown>).__DYNAMO__ as LocalDynamo | undefined)?.stop();
}
