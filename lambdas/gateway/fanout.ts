/** Delivery of one message to many connections: bounded parallel posts, 410 cleanup, nothing retried. */
import { getConfig } from '../config';
import { type Subscription, tokenExpired } from '../core/messages';
import { sessions } from '../store/repositories';
import { AuthenticationFailedError } from '../core/errors';
import { errorEnvelope, formatEnvelope } from '../core/protocol';
import { logger } from '../observability/logger';
import { record } from '../observability/metrics';
import { inPool } from '../core/collections';
import { closeConnection, postToConnection } from './connections';

/** A slice of a fan-out handed to another invocation (SQS on AWS). */
export interface FanOutJob {
  readonly data: string;
  readonly recipients: readonly Subscription[];
}

/** Posts to every recipient with a bounded pool; a gone connection is removed, the others still get it. */
export interface FanOutResult {
  readonly delivered: number;
  readonly gone: number;
  /** Posts that still failed after retries (throttled until the deadline, or an error). */
  readonly failed: number;
}

/** `startedAt`: when the message arrived, for the time-to-first-delivery metric (inline fan-out only). */
export async function fanOut(all: readonly Subscription[], data: string, startedAt?: number): Promise<FanOutResult> {
  let delivered = 0;
  let gone = 0;
  let failed = 0;
  // Checked again at delivery: a queued batch may go out after a recipient's token expired.
  const now = Date.now();
  const recipients = all.filter((r) => !tokenExpired(r, now));
  const expired = all.filter((r) => tokenExpired(r, now));
  await Promise.all([
    closeExpired(expired),
    inPool(recipients, getConfig().fanoutConcurrency, async (r) => {
      try {
        if ((await postToConnection(r.connectionId, data)) === 'sent') {
          if (delivered++ === 0 && startedAt !== undefined) record('TimeToFirstDelivery', Date.now() - startedAt);
          return;
        }
        gone++;
        await sessions().removeConnection(r.connectionId, r.subjects);
      } catch (e) {
        // One failing recipient must not stop the others; it is logged and counted as not delivered.
        failed++;
        logger.error('delivery failed', { recipient: r.connectionId, error: e as Error });
      }
    }),
  ]);
  if (delivered > 0) record('Deliveries', delivered);
  if (gone > 0) record('GoneConnections', gone);
  if (failed > 0) {
    record('FailedDeliveries', failed);
    logger.error('deliveries failed after retries', { failed, delivered, gone });
  }
  return { delivered, gone, failed };
}

const expiredNotice = () =>
  formatEnvelope(errorEnvelope(new AuthenticationFailedError('The token of this connection has expired; reconnect with a fresh token.'), undefined, undefined));

/**
 * Connections whose token has expired get nothing more (a token's expiry ends what it entitles): tell them why, close them and drop
 * their index items (API Gateway does not guarantee the $disconnect that would do it).
 */
export async function closeExpired(connections: readonly Pick<Subscription, 'connectionId' | 'subjects'>[]): Promise<number> {
  let closed = 0;
  await inPool(connections, getConfig().fanoutConcurrency, async (c) => {
    try {
      if ((await postToConnection(c.connectionId, expiredNotice())) === 'sent') await closeConnection(c.connectionId);
      await sessions().removeConnection(c.connectionId, c.subjects);
      closed++;
      record('ExpiredConnectionsClosed');
    } catch (e) {
      logger.error('closing an expired connection failed', { recipient: c.connectionId, error: e as Error });
    }
  });
  return closed;
}
