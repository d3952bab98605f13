/**
 * Pushes to connection targets run in invocations of their own (an SQS queue on AWS), so a slow
 * endpoint never delays the WebSocket deliveries of the same message. Locally (no queue
 * configured) the consumer is invoked in-process, without being awaited.
 */
import { randomUUID } from 'node:crypto';
import type { SQSEvent } from 'aws-lambda';
import { getConfig } from '../config';
import type { TargetRecipient } from '../core/targets/select';
import { logger } from '../observability/logger';
import { record } from '../observability/metrics';
import { consumeLocally } from '../runtime/local-consumers';
import { sqs, sqsSafe } from './sqs';

export interface TargetPushJob {
  /** The envelope recipients get (as formatted for WebSocket recipients). */
  readonly envelope: unknown;
  /** Connections selected by the sender (the consumer selects their targets again with its own view). */
  readonly connections: readonly string[];
}

/**
 * `data` is the formatted envelope, embedded as JSON rather than as an escaped string, so SQS's
 * 256 KiB holds a 128 KiB message with the (at most 100) connection ids. A push that cannot be
 * queued is logged and counted, never failing the send: WebSocket recipients have the message.
 */
export async function enqueueTargetPush(data: string, recipients: readonly TargetRecipient[]): Promise<void> {
  if (recipients.length === 0) return;
  const connections = [...new Set(recipients.map((r) => r.connectionId))];
  const body = sqsSafe(`{"connections":${JSON.stringify(connections)},"envelope":${data}}`);
  try {
    const { targetQueueUrl } = getConfig();
    if (!targetQueueUrl) {
      const event = { Records: [{ messageId: `local-${randomUUID()}`, body }] } as unknown as SQSEvent;
      void consumeLocally('target-push', event).catch((e: unknown) => logger.error('local target push failed', { error: e as Error }));
    } else {
      const { sdk, client } = sqs();
      await client.send(new sdk.SendMessageCommand({ QueueUrl: targetQueueUrl, MessageBody: body }));
    }
    record('TargetPushesQueued', recipients.length);
  } catch (e) {
    record('TargetFailures', recipients.length);
    logger.error('pushes to connection targets could not be queued', { targets: recipients.length, error: e as Error });
  }
}
