/**
 * Large fan-outs are split: the sending invocation posts the first batch itself and hands the
 * others to the fan-out function through SQS, so that deliveries run in parallel invocations.
 * Locally (no queue configured) the same handler is called in-process.
 */
import { randomUUID } from 'node:crypto';
import type { SQSEvent } from 'aws-lambda';
import { getConfig } from '../config';
import { chunks } from '../core/collections';
import type { FanOutJob } from './fanout';
import { logger } from '../observability/logger';
import { record } from '../observability/metrics';
import { consumeLocally } from '../runtime/local-consumers';
import { sqs, sqsSafe } from './sqs';

/** SQS takes at most 10 entries and 256 KiB per SendMessageBatch. */
const MAX_BATCH_ENTRIES = 10;
const MAX_SQS_BYTES = 256 * 1024;

export async function enqueueFanOut(jobs: readonly FanOutJob[]): Promise<void> {
  if (jobs.length === 0) return;
  const { fanoutQueueUrl } = getConfig();
  const bodies = jobs.map((job) => sqsSafe(JSON.stringify(job)));
  if (!fanoutQueueUrl) {
    const event = { Records: bodies.map((body) => ({ messageId: `local-${randomUUID()}`, body })) } as unknown as SQSEvent;
    void consumeLocally('fanout', event).catch((e: unknown) => logger.error('local fan-out batch failed', { error: e as Error }));
    record('FanOutBatchesQueued', jobs.length);
    return;
  }
  let batch: string[] = [];
  let bytes = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const entries = batch.map((body, i) => ({ Id: String(i), MessageBody: body }));
    batch = [];
    bytes = 0;
    const { sdk, client } = sqs();
    const out = await client.send(new sdk.SendMessageBatchCommand({ QueueUrl: fanoutQueueUrl, Entries: entries }));
    if (out.Failed && out.Failed.length > 0) throw new Error(`${out.Failed.length} fan-out batches were not queued: ${out.Failed[0]!.Message}`);
  };
  for (const body of bodies) {
    const size = Buffer.byteLength(body);
    if (batch.length === MAX_BATCH_ENTRIES || bytes + size > MAX_SQS_BYTES) await flush();
    batch.push(body);
    bytes += size;
  }
  await flush();
  record('FanOutBatchesQueued', jobs.length);
}

/** Splits recipients into jobs whose SQS bodies stay under the limit (smaller slices for big messages). */
export function planFanOut<T extends { connectionId: string }>(recipients: readonly T[], data: string, batchSize: number): T[][] {
  const room = MAX_SQS_BYTES - Buffer.byteLength(JSON.stringify(data)) - 1024;
  const perRecipient = 160; // a connection id and its subjects, generously
  const size = Math.max(1, Math.min(batchSize, Math.floor(room / perRecipient)));
  return chunks(recipients, size);
}
