/** SQS consumer (locally: called directly, not awaited) pushing one message to its connection targets. */
import type { TargetPushJob } from '../gateway/target-queue';
import { pushToTargets } from '../targets/deliver';
import { sqsBatchHandler } from './sqs-batch';

export const handler = sqsBatchHandler<TargetPushJob>('target-push', 'target push', (job) => pushToTargets(job));
