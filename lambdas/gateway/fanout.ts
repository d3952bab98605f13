/** Delivery of one message to many connections: bounded parallel posts, 410 cleanup, nothing retried. */
import { getConfig } from '../config';
import type { Subscription } from '../core/messages';
import { SessionsRepository } from '../store/sessions';
import { inPool, postToConnection } from './connections';

/** A slice of a fan-out handed to another invocation (SQS on AWS). */
export interface FanOutJob {
  readonly data: string;
  readonly recipients: readonly Subscription[];
}

const sessions = new SessionsRepository();

/** Posts to every recipient with a bounded pool; a gone connection is removed, the others still get it. */
export async function fanOut(recipients: readonly Subscription[], data: string): Promise<{ delivered: number; gone: number }> {
  let delivered = 0;
  let gone = 0;
  await inPool(recipients, getConfig().fanoutConcurrency, async (r) => {
    try {
      if ((await postToConnection(r.connectionId, data)) === 'sent') {
        delivered++;
        return;
      }
      gone++;
      await sessions.removeConnection(r.connectionId, r.subjects);
    } catch (e) {
      // One failing recipient must not stop the others; it is logged and counted as not delivered.
      console.error(JSON.stringify({ level: 'error', msg: 'delivery failed', connectionId: r.connectionId, error: String(e) }));
    }
  });
  return { delivered, gone };
}
