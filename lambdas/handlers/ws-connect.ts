/** $connect: store the authenticated connection (with a TTL past API Gateway's 2 h limit). */
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { sessions } from '../store/repositories';
import { appendRequestKeys } from '../observability/logger';
import { instrumented } from '../observability/invocation';
import { httpError } from './to-ditto-error';
import { principalOf, type WsEvent } from './ws-context';

export const handler = instrumented('ws-connect', 'websocket', async (event: WsEvent): Promise<APIGatewayProxyResultV2> => {
  const { connectionId } = event.requestContext;
  appendRequestKeys({ connectionId, route: '$connect' });
  try {
    const principal = principalOf(event.requestContext);
    await sessions().putConnection({
      connectionId,
      subjects: principal.subjects,
      connectedAt: Date.now(),
      ...(principal.expiresAt !== undefined ? { tokenExpiresAt: principal.expiresAt } : {}),
    });
    return { statusCode: 200 };
  } catch (e) {
    return httpError(e, { where: '$connect' });
  }
});
