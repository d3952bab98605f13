/** The SQS client shared by the timeout and fan-out queues, built on first use (only on AWS). */
import { SQSClient } from '@aws-sdk/client-sqs';

let client: SQSClient | undefined;
export const sqsClient = (): SQSClient => (client ??= new SQSClient({}));
