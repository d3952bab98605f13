/** One SQS-consumer shape for every queue: parse each record, run it, report the failed ones for redelivery. */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { RemainingTime } from '../runtime/deadline';
import { loggableError, logger } from '../observability/logger';
import { instrumented } from '../observability/invocation';

export function sqsBatchHandler<T>(
  handler: string,
  what: string,
  run: (job: T) => Promise<unknown>,
): (event: SQSEvent, context?: RemainingTime) => Promise<SQSBatchResponse> {
  return instrumented(handler, 'queue', async (event: SQSEvent) => {
    const failures: { itemIdentifier: string }[] = [];
    await Promise.all(
      event.Records.map(async (record) => {
        try {
          await run(JSON.parse(record.body) as T);
        } catch (e) {
          logger.error(`${what} failed`, { messageId: record.messageId, error: loggableError(e) });
          failures.push({ itemIdentifier: record.messageId });
        }
      }),
    );
    return { batchItemFailures: failures };
  });
}
