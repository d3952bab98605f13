/** SQS consumer (locally: called directly) delivering a batch of a large fan-out. */
import { type FanOutJob, fanOut } from '../gateway/fanout';
import { sqsBatchHandler } from './sqs-batch';

export const handler = sqsBatchHandler<FanOutJob>('fanout', 'fan-out batch', (job) => fanOut(job.recipients, job.data));
