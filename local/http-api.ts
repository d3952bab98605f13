/** The HTTP API as API Gateway presents it to the function: payload format 2.0 in, structured result out. */
import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { handler as httpHandler } from '../lambdas/handlers/http-api';
import { cookiesOf, flatHeaders, queryParams, readBody, requestTime, send } from './http-util';
import type { LambdaRuntime } from './lambda-runtime';

/** HTTP API payload limit. */
const MAX_BODY = 10 * 1024 * 1024;
/** Bodies API Gateway passes as text; anything else arrives base64-encoded. */
const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded)|[^;]*\+(json|xml))/i;

export function httpApiEvent(req: IncomingMessage, body: Buffer, host: string): APIGatewayProxyEventV2 {
  const url = new URL(req.url ?? '/', `http://${host}`);
  const rawPath = (req.url ?? '/').split('?')[0]!;
  const headers = flatHeaders(req);
  const isText = body.length === 0 || (TEXT_TYPES.test(headers['content-type'] ?? 'text/plain') && isUtf8(body));
  const now = Date.now();
  const cookies = cookiesOf(req);
  const query = queryParams(url.searchParams);
  const isApiRoute = rawPath.startsWith('/api/2/');
  const routeKey = isApiRoute ? 'ANY /api/2/{proxy+}' : '$default';
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: url.search.slice(1),
    ...(cookies ? { cookies } : {}),
    headers,
    ...(isApiRoute ? { pathParameters: { proxy: rawPath.slice('/api/2/'.length) } } : {}),
    ...(query ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: host,
      domainPrefix: '127',
      http: {
        method: req.method ?? 'GET',
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: requestTime(now),
      timeEpoch: now,
    },
    ...(body.length > 0 ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: !isText,
  };
}

export async function serveHttpApi(req: IncomingMessage, res: ServerResponse, runtime: LambdaRuntime, host: string): Promise<number> {
  const body = await readBody(req, MAX_BODY);
  if (body === 'too-large') {
    send(res, 413, { message: 'Request Entity Too Large' });
    return 413;
  }
  const r: APIGatewayProxyStructuredResultV2 = await runtime.invoke('http-api', httpHandler, httpApiEvent(req, body, host));
  const out = r.body === undefined ? Buffer.alloc(0) : r.isBase64Encoded ? Buffer.from(r.body, 'base64') : Buffer.from(r.body, 'utf8');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers ?? {})) headers[k] = String(v);
  res.writeHead(r.statusCode ?? 200, headers);
  res.end(out);
  return r.statusCode ?? 200;
}
