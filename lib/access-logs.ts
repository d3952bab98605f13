/**
 * Access-log formats, one per API type, each built only from the `$context` variables that API
 * type documents for access logging (a stage with any other variable is rejected at deploy).
 */

/**
 * HTTP API: "Customize HTTP API access logs",
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html
 */
export const HTTP_API_LOG_VARIABLES = [
  'accountId', 'apiId', 'authorizer.claims.{property}', 'authorizer.error', 'authorizer.principalId', 'authorizer.{property}',
  'awsEndpointRequestId', 'awsEndpointRequestId2', 'customDomain.basePathMatched', 'dataProcessed', 'domainName', 'domainPrefix',
  'error.message', 'error.messageString', 'error.responseType', 'extendedRequestId', 'httpMethod', 'identity.accountId',
  'identity.caller', 'identity.cognitoAuthenticationProvider', 'identity.cognitoAuthenticationType', 'identity.cognitoIdentityId',
  'identity.cognitoIdentityPoolId', 'identity.principalOrgId', 'identity.clientCert.clientCertPem', 'identity.clientCert.subjectDN',
  'identity.clientCert.issuerDN', 'identity.clientCert.serialNumber', 'identity.clientCert.validity.notBefore',
  'identity.clientCert.validity.notAfter', 'identity.sourceIp', 'identity.user', 'identity.userAgent', 'identity.userArn',
  'integration.error', 'integration.integrationStatus', 'integration.latency', 'integration.requestId', 'integration.status',
  'integrationErrorMessage', 'integrationLatency', 'integrationStatus', 'path', 'protocol', 'requestId', 'requestTime',
  'requestTimeEpoch', 'responseLatency', 'responseLength', 'routeKey', 'stage', 'status',
] as const;

/**
 * WebSocket API: "Configure logging for WebSocket APIs" (its variables table),
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-logging.html
 */
export const WEBSOCKET_API_LOG_VARIABLES = [
  'apiId', 'authorize.error', 'authorize.latency', 'authorize.status', 'authorizer.error', 'authorizer.integrationLatency',
  'authorizer.integrationStatus', 'authorizer.latency', 'authorizer.requestId', 'authorizer.status', 'authorizer.principalId',
  'authorizer.{property}', 'authenticate.error', 'authenticate.latency', 'authenticate.status', 'connectedAt', 'connectionId',
  'domainName', 'error.message', 'error.messageString', 'error.responseType', 'error.validationErrorString', 'eventType',
  'extendedRequestId', 'identity.accountId', 'identity.apiKey', 'identity.apiKeyId', 'identity.caller',
  'identity.cognitoAuthenticationProvider', 'identity.cognitoAuthenticationType', 'identity.cognitoIdentityId',
  'identity.cognitoIdentityPoolId', 'identity.principalOrgId', 'identity.sourceIp', 'identity.user', 'identity.userAgent',
  'identity.userArn', 'integration.error', 'integration.integrationStatus', 'integration.latency', 'integration.requestId',
  'integration.status', 'integrationLatency', 'messageId', 'requestId', 'requestTime', 'requestTimeEpoch', 'routeKey', 'stage',
  'status', 'waf.error', 'waf.latency', 'waf.status',
] as const;

export const HTTP_ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  method: '$context.httpMethod',
  path: '$context.path',
  routeKey: '$context.routeKey',
  status: '$context.status',
  responseLength: '$context.responseLength',
  latency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
});

export const WEBSOCKET_ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  routeKey: '$context.routeKey',
  eventType: '$context.eventType',
  connectionId: '$context.connectionId',
  status: '$context.status',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integration.error',
  authorizerError: '$context.authorizer.error',
});
