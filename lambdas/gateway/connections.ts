/** Posting to WebSocket connections through the API Gateway Management API. */
import { ApiGatewayManagementApiClient, DeleteConnectionCommand, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { getConfig } from '../config';
import { deadline } from '../runtime/deadline';

let client: ApiGatewayManagementApiClient | undefined;

/** The shared client (the benchmark adds a counting middleware to it). */
export const managementApiClient = (): ApiGatewayManagementApiClient => managementClient();

function managementClient(): ApiGatewayManagementApiClient {
  if (client) return client;
  const { managementEndpoint } = getConfig();
  if (!managementEndpoint) throw new Error('MANAGEMENT_ENDPOINT is not configured.');
  // Retries are ours (postToConnection): jittered, bounded by the invocation's remaining time.
  client = new ApiGatewayManagementApiClient({ endpoint: managementEndpoint, maxAttempts: 1 });
  return client;
}

/** Closes the client's sockets (the local runtime on stop). */
export function closeManagementClient(): void {
  client?.destroy();
  client = undefined;
}

export type PostResult = 'sent' | 'gone';

/** 410: the connection no longer exists (by class, name or status: the class differs across realms). */
export function isGone(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e instanceof GoneException || err?.name === 'GoneException' || err?.$metadata?.httpStatusCode === 410;
}

/**
 * Throttling (429 LimitExceededException: the account's request rate, or the client's buffer is
 * full) and 5xx are transient: worth another try. A 403 or 413 is not.
 */
export function isTransient(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  const status = err?.$metadata?.httpStatusCode;
  if (err?.name === 'LimitExceededException' || err?.name === 'TooManyRequestsException' || err?.name === 'TimeoutError') return true;
  if (status === 429 || (status !== undefined && status >= 500) || err?.$retryable !== undefined) return true;
  // A socket that broke before any response (no status): as transient as a 5xx.
  const code = (e as { code?: string })?.code;
  return status === undefined && code !== undefined && ['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'EAI_AGAIN'].includes(code);
}

const BASE_DELAY_MS = 20;
const MAX_DELAY_MS = 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One post, retried on throttling and 5xx with full-jitter exponential backoff until the
 * invocation's deadline; a gone connection (410) is reported at once, not retried.
 */
export async function postToConnection(connectionId: string, data: string): Promise<PostResult> {
  const until = deadline();
  for (let attempt = 0; ; attempt++) {
    try {
      await managementClient().send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(data, 'utf8') }));
      return 'sent';
    } catch (e) {
      if (isGone(e)) return 'gone';
      const delay = Math.random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt);
      if (!isTransient(e) || Date.now() + delay >= until) throw e;
      await sleep(delay);
    }
  }
}

export async function closeConnection(connectionId: string): Promise<void> {
  try {
    await managementClient().send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
  } catch (e) {
    if (!isGone(e)) throw e;
  }
}
