/**
 * Wraps every Lambda handler: Lambda context into the logger, the handler and transport as log keys
 * and metric dimensions, a cold-start metric once per container, the invocation's deadline for
 * retries, and at the end the metrics flushed and the request's log keys cleared.
 */
import { type RemainingTime, withDeadline } from '../runtime/deadline';
import { logger } from './logger';
import { metrics } from './metrics';

export type Transport = 'http' | 'websocket' | 'queue' | 'schedule';

interface LambdaContextLike extends RemainingTime {
  readonly awsRequestId?: string;
  readonly functionName?: string;
}

export function instrumented<E, R>(
  handler: string,
  transport: Transport,
  fn: (event: E, context?: LambdaContextLike) => Promise<R>,
): (event: E, context?: LambdaContextLike) => Promise<R> {
  return async (event, context) => {
    if (context?.awsRequestId) logger.addContext(context as Parameters<typeof logger.addContext>[0]);
    logger.appendKeys({ handler, transport });
    metrics.addDimensions({ handler, transport });
    metrics.captureColdStartMetric(handler); // once per container (Powertools keeps track)
    try {
      return await withDeadline(context, () => fn(event, context));
    } finally {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics(); // (an empty flush only warns)
      // addDimensions adds a dimension set; only a flush clears them: clear always, so silent invocations add none.
      metrics.clearDimensions();
      logger.resetKeys();
    }
  };
}
