/** SQS consumer (locally: a timer) that gives WebSocket issuers their 408 when nobody answered in time. */
import type { TimeoutJob } from '../gateway/timeouts';
import { expireCorrelation } from '../routing/respond';
import { sqsBatchHandler } from './sqs-batch';

export const handler = sqsBatchHandler<TimeoutJob>('ws-timeout', 'timeout check', (job) => expireCorrelation(job.key, job.owner));
