/**
 * $disconnect: remove the connection and its subscription index items. The subjects come from the
 * stored connection record when the event carries no authorizer context (AWS does not document that
 * it does on $disconnect, and delivers $disconnect only on a best-effort basis; TTL covers the rest).
 */
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { sessions } from '../store/repositories';
import { appendRequestKeys, logger } from '../observability/logger';
import { instrumented } from '../observability/invocation';
import { principalOf, type WsEvent } from './ws-context';

async function subjectsOf(event: WsEvent): Promise<readonly string[] | undefined> {
  try {
    return principalOf(event.requestContext).subjects;
  } catch {
    return (await sessions().getConnection(event.requestContext.connectionId))?.subjects;
  }
}

export const handler = instrumented('ws-disconnect', 'websocket', async (event: WsEvent): Promise<APIGatewayProxyResultV2> => {
  const { connectionId } = event.requestContext;
  appendRequestKeys({ connectionId, route: '$disconnect' });
  try {
    await sessions().removeConnection(connectionId, (await subjectsOf(event)) ?? []);
  } catch (e) {
    // Nothing to answer on a closed socket; the TTL removes what could not be deleted now.
    logger.warn('disconnect cleanup failed; the TTL removes the rest', { error: e as Error });
  }
  return { statusCode: 200 };
});
