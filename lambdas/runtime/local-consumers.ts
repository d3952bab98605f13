/**
 * Without queues (the local runtime), fan-out batches and timeout checks are consumed in-process.
 * On AWS they are separate Lambda invocations, so they must not share the sending invocation's
 * request state (log keys, metrics, deadline), and gateway/ must not import handlers/: the local
 * runtime registers each queue's consumer and how to invoke it as an invocation of its own.
 */
import type { SQSEvent } from 'aws-lambda';

export type LocalQueue = 'fanout' | 'ws-timeout' | 'target-push';
type Consumer = (event: SQSEvent) => Promise<unknown>;

let deliver: ((queue: LocalQueue, event: SQSEvent) => Promise<unknown>) | undefined;

/** The local runtime: how a queue's message reaches its consumer. */
export function registerLocalConsumers(
  consumers: Record<LocalQueue, Consumer>,
  invoke: (route: string, consumer: Consumer, event: SQSEvent) => Promise<unknown>,
): void {
  deliver = (queue, event) => invoke(queue, consumers[queue], event);
}

export function consumeLocally(queue: LocalQueue, event: SQSEvent): Promise<unknown> {
  if (!deliver)
    return Promise.reject(new Error(`No queue is configured for '${queue}' and no local consumer is registered (the local runtime registers them).`));
  return deliver(queue, event);
}
