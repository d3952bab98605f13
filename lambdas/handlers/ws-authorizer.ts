/**
 * Lambda REQUEST authorizer of the WebSocket API ($connect): the `access_token` query parameter,
 * else a Bearer/Basic header. Throwing 'Unauthorized' makes API Gateway answer 401.
 */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { authenticate } from '../auth/authenticate';
import { getConfig } from '../config';
import { headerOf } from '../core/protocol';
import { logger } from '../observability/logger';
import { instrumented } from '../observability/invocation';
import { record } from '../observability/metrics';
import { toAuthorizerContext } from './ws-context';

export const handler = instrumented('ws-authorizer', 'websocket', async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
  const { issuers, basicUsers } = getConfig();
  const authorization = headerOf(event.headers, 'authorization');
  const accessToken = event.queryStringParameters?.access_token;
  try {
    // An access_token in the URL is the client's explicit choice: it wins over an Authorization header, which a
    // browser may add by itself (HTTP credentials it remembers for the host).
    const principal = await authenticate(accessToken ? { accessToken } : { authorization }, issuers, basicUsers);
    return {
      principalId: principal.subjects[0]!,
      policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }] },
      context: { ...toAuthorizerContext(principal) },
    };
  } catch (e) {
    record('AuthenticationFailures');
    logger.info('websocket authentication failed', { reason: (e as { description?: string }).description ?? (e as Error).message });
    throw new Error('Unauthorized');
  }
});
