/**
 * The expiry sweep: connections whose token expired are closed within a minute even when
 * they never send and nothing is delivered to them. Found through the sparse index of connections
 * by expiry minute, never by scanning; runs every minute (EventBridge on AWS, a timer locally).
 */
import { tokenExpired } from '../core/messages';
import { closeExpired } from '../gateway/fanout';
import { sessions } from '../store/repositories';
import { expiryMinute } from '../store/sessions';

/** Minutes looked back per run: a missed or failed run is covered by the next ones. */
export const SWEEP_LOOKBACK_MINUTES = 5;

export async function sweepExpiredConnections(nowMs = Date.now()): Promise<{ checked: number; closed: number }> {
  const current = expiryMinute(Math.floor(nowMs / 1000));
  const minutes = Array.from({ length: SWEEP_LOOKBACK_MINUTES + 1 }, (_, i) => current - i);
  const hints = (await sessions().connectionsExpiringIn(minutes)).filter((c) => tokenExpired(c, nowMs));
  // The index is eventually consistent: a JWT-TOKEN refresh may have just moved the expiry. Decide on the item.
  const confirmed = await Promise.all(hints.map((c) => sessions().getConnection(c.connectionId)));
  const expired = confirmed.filter((c): c is NonNullable<typeof c> => c !== undefined && tokenExpired(c, nowMs));
  return { checked: hints.length, closed: await closeExpired(expired) };
}
