/**
 * Lambda REQUEST authorizer of the WebSocket API ($connect): Bearer/Basic header or the
 * `access_token` query parameter. Throwing 'Unauthorized' makes API Gateway answer 401.
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
    const principal = await authenticate(
      { ...(authorization !== undefined ? { authorization } : {}), ...(accessToken ? { accessToken } : {}) },
      issuers,
      basicUsers,
    );
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
