/** Scheduled every minute (EventBridge; a timer locally): closes WebSocket connections whose token expired. */
import { type RemainingTime, withDeadline } from '../gateway/deadline';
import { sweepExpiredConnections } from '../routing/sweep';

export const handler = async (_event?: unknown, context?: RemainingTime): Promise<{ checked: number; closed: number }> => {
  const result = await withDeadline(context, () => sweepExpiredConnections());
  if (result.closed > 0) console.info(JSON.stringify({ level: 'info', msg: 'expired connections closed', ...result }));
  return result;
};
