/** Scheduled every minute (EventBridge; a timer locally): closes WebSocket connections whose token expired. */
import { logger } from '../observability/logger';
import { instrumented } from '../observability/invocation';
import { sweepExpiredConnections } from '../routing/sweep';

export const handler = instrumented('token-sweep', 'schedule', async (): Promise<{ checked: number; closed: number }> => {
  const result = await sweepExpiredConnections();
  if (result.closed > 0) logger.info('expired connections closed', result);
  return result;
});
