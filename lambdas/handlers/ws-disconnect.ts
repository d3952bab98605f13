/** $disconnect: remove the connection and its subscription index items. */
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { sessions } from '../routing/send';
import type { WsEvent } from './ws-connect';
import { principalOf } from './ws-context';

export const handler = async (event: WsEvent): Promise<APIGatewayProxyResultV2> => {
  const { connectionId } = event.requestContext;
  try {
    await sessions.removeConnection(connectionId, principalOf(event.requestContext).subjects);
  } catch (e) {
    // Nothing to answer on a closed socket; the TTL removes what could not be deleted now.
    console.warn(JSON.stringify({ level: 'warn', msg: 'disconnect cleanup failed', connectionId, error: String(e) }));
  }
  return { statusCode: 200 };
};
