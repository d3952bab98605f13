/** SQS consumer (locally: a timer) that gives WebSocket issuers their 408 when nobody answered in time. */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { TimeoutJob } from '../gateway/timeouts';
import { expireCorrelation } from '../routing/respond';

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const failures: { itemIdentifier: string }[] = [];
  await Promise.all(
    event.Records.map(async (record) => {
      try {
        const job = JSON.parse(record.body) as TimeoutJob;
        await expireCorrelation(job.key);
      } catch (e) {
        console.error(JSON.stringify({ level: 'error', msg: 'timeout check failed', messageId: record.messageId, error: String(e) }));
        failures.push({ itemIdentifier: record.messageId });
      }
    }),
  );
  return { batchItemFailures: failures };
};
