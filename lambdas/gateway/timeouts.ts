/**
 * Delayed timeout checks for WebSocket issuers. On AWS: an SQS message with a delivery delay,
 * consumed by the ws-timeout handler. Locally (no queue configured): a timer that calls the
 * same handler with an SQS-shaped event.
 */
import type { SQSEvent } from 'aws-lambda';
import { getConfig } from '../config';
import { logger } from '../observability/logger';
import { consumeLocally } from '../runtime/local-consumers';
import { sqs } from './sqs';

export interface TimeoutJob {
  readonly key: string;
  /** The issuing request's owner token: a later correlation with the same key is not touched. */
  readonly owner: string;
  readonly timeoutMs: number;
}

/** SQS delays are whole seconds up to 15 minutes. */
export const MAX_SQS_DELAY_SECONDS = 900;

const localTimers = new Set<NodeJS.Timeout>();

/** Local runtime only: drop pending timers when the gateway stops. */
export function cancelLocalTimeouts(): void {
  for (const t of localTimers) clearTimeout(t);
  localTimers.clear();
}

export async function scheduleTimeout(job: TimeoutJob): Promise<void> {
  const { timeoutQueueUrl } = getConfig();
  if (timeoutQueueUrl) {
    const { sdk, client } = sqs();
    await client.send(
      new sdk.SendMessageCommand({
        QueueUrl: timeoutQueueUrl,
        MessageBody: JSON.stringify(job),
        DelaySeconds: Math.min(MAX_SQS_DELAY_SECONDS, Math.ceil(job.timeoutMs / 1000)),
      }),
    );
    return;
  }
  const timer = setTimeout(() => {
    localTimers.delete(timer);
    const event = { Records: [{ messageId: `local-${job.key}`, body: JSON.stringify(job) }] } as unknown as SQSEvent;
    consumeLocally('ws-timeout', event).catch((e: unknown) => logger.error('local timeout check failed', { error: e as Error }));
  }, job.timeoutMs);
  timer.unref();
  localTimers.add(timer);
}
