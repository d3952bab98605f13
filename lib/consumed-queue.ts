/**
 * An SQS queue with its dead-letter queue and its Lambda consumer, built one way (as AWS Solutions
 * Constructs' buildQueue and aws-sqs-lambda do): encrypted, TLS only, a visibility timeout of six
 * times the consumer's timeout (AWS's guidance for SQS event sources, so a slow batch is not handed
 * out twice), partial batch failures reported.
 */
import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface ConsumedQueueProps {
  /** The consumer function's timeout (the visibility timeout is six times it). */
  readonly consumerTimeout: Duration;
  /** How long a message may wait. */
  readonly retention: Duration;
  /** Receives before a message is parked in the dead-letter queue. */
  readonly maxReceiveCount: number;
  /** How long parked messages are kept (SQS counts from the first enqueue: keep it above `retention`). */
  readonly deadLetterRetention: Duration;
}

export class ConsumedQueue extends Construct {
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: ConsumedQueueProps) {
    super(scope, id);
    const visibility = Duration.seconds(6 * props.consumerTimeout.toSeconds());
    if (props.retention.toSeconds() < visibility.toSeconds() * props.maxReceiveCount) {
      throw new Error(
        `${id}: a retention of ${props.retention.toSeconds()} s ends before ${props.maxReceiveCount} receives ${visibility.toSeconds()} s apart: failing messages would vanish instead of reaching the dead-letter queue.`,
      );
    }
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      retentionPeriod: props.deadLetterRetention,
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      visibilityTimeout: visibility,
      retentionPeriod: props.retention,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    });
  }

  /** The consumer: batches of `batchSize`, failed records reported for redelivery, optionally at most `maxConcurrency` invocations at once. */
  consumeWith(fn: lambda.IFunction, batchSize: number, maxConcurrency?: number): void {
    fn.addEventSource(
      new SqsEventSource(this.queue, { batchSize, reportBatchItemFailures: true, ...(maxConcurrency !== undefined ? { maxConcurrency } : {}) }),
    );
  }
}
