/** SQS consumer (locally: called directly) delivering a batch of a large fan-out. */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type FanOutJob, fanOut } from '../gateway/fanout';

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const failures: { itemIdentifier: string }[] = [];
  await Promise.all(
    event.Records.map(async (record) => {
      try {
        const job = JSON.parse(record.body) as FanOutJob;
        await fanOut(job.recipients, job.data);
      } catch (e) {
        console.error(JSON.stringify({ level: 'error', msg: 'fan-out batch failed', messageId: record.messageId, error: String(e) }));
        failures.push({ itemIdentifier: record.messageId });
      }
    }),
  );
  return { batchItemFailures: failures };
};
