/** One SQS-consumer shape for every queue: parse each record, run it, report the failed ones for redelivery. */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type RemainingTime, withDeadline } from '../gateway/deadline';

export function sqsBatchHandler<T>(what: string, run: (job: T) => Promise<unknown>): (event: SQSEvent, context?: RemainingTime) => Promise<SQSBatchResponse> {
  return (event, context) => withDeadline(context, async () => {
    const failures: { itemIdentifier: string }[] = [];
    await Promise.all(
      event.Records.map(async (record) => {
        try {
          await run(JSON.parse(record.body) as T);
        } catch (e) {
          console.error(JSON.stringify({ level: 'error', msg: `${what} failed`, messageId: record.messageId, error: String(e) }));
          failures.push({ itemIdentifier: record.messageId });
        }
      }),
    );
    return { batchItemFailures: failures };
  });
}
