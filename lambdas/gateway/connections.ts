/** Posting to WebSocket connections through the API Gateway Management API. */
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { getConfig } from '../config';

let client: ApiGatewayManagementApiClient | undefined;

/** The shared client (the benchmark adds a counting middleware to it). */
export const managementApiClient = (): ApiGatewayManagementApiClient => managementClient();

function managementClient(): ApiGatewayManagementApiClient {
  if (client) return client;
  const { managementEndpoint } = getConfig();
  if (!managementEndpoint) throw new Error('MANAGEMENT_ENDPOINT is not configured.');
  client = new ApiGatewayManagementApiClient({ endpoint: managementEndpoint, maxAttempts: 2 });
  return client;
}

/** Closes the client's sockets (the local runtime on stop). */
export function closeManagementClient(): void {
  client?.destroy();
  client = undefined;
}

export type PostResult = 'sent' | 'gone';

/** 410: the connection no longer exists (by class, name or status: the class differs across realms). */
function isGone(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e instanceof GoneException || err?.name === 'GoneException' || err?.$metadata?.httpStatusCode === 410;
}

export async function postToConnection(connectionId: string, data: string): Promise<PostResult> {
  try {
    await managementClient().send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(data, 'utf8') }));
    return 'sent';
  } catch (e) {
    if (isGone(e)) return 'gone';
    throw e;
  }
}

export async function closeConnection(connectionId: string): Promise<void> {
  try {
    await managementClient().send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
  } catch (e) {
    if (!isGone(e)) throw e;
  }
}

/** Runs `work` over `items` with at most `limit` in flight. */
export async function inPool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
