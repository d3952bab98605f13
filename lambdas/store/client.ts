/** The DynamoDB document client, built once per container (endpoint overridable for DynamoDB Local). */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { getConfig } from '../config';

let client: DynamoDBDocumentClient | undefined;

export function documentClient(): DynamoDBDocumentClient {
  if (client) return client;
  const { dynamodbEndpoint } = getConfig();
  const base = new DynamoDBClient({
    ...(dynamodbEndpoint ? { endpoint: dynamodbEndpoint } : {}),
    // Fail fast: a request waits for us, and a down database must give a clean 503 quickly.
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 2000, requestTimeout: 3000, throwOnRequestTimeout: true, httpAgent: { keepAlive: true, maxSockets: 256 } },
  });
  client = DynamoDBDocumentClient.from(base, { marshallOptions: { removeUndefinedValues: true } });
  return client;
}

/** Closes the client's sockets (the local runtime on stop; a Lambda container never needs it). */
export function closeDocumentClient(): void {
  client?.destroy();
  client = undefined;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export function isConditionFailed(error: unknown): boolean {
  return (error as { name?: string })?.name === 'ConditionalCheckFailedException';
}
