/** Scheduled every minute (EventBridge; a timer locally): closes WebSocket connections whose token expired. */
import { sweepExpiredConnections } from '../routing/sweep';

export const handler = async (): Promise<{ checked: number; closed: number }> => {
  const result = await sweepExpiredConnections();
  if (result.closed > 0) console.info(JSON.stringify({ level: 'info', msg: 'expired connections closed', ...result }));
  return result;
};
