/** The HTTP API (payload format 2.0): twin management and sending live messages, as Ditto's /api/2. */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { authenticate } from '../auth/authenticate';
import { authenticateDevops } from '../auth/devops';
import { createConnection, deleteConnection, getConnection, listConnections, putConnection } from '../targets/manage';
import { getConfig } from '../config';
import { appendRequestKeys } from '../observability/logger';
import { instrumented } from '../observability/invocation';
import { withDeadlineAt } from '../runtime/deadline';
import { NotModifiedError, PayloadTooLargeError, RequestTimeoutError } from '../core/errors';
import { etagOf, type Preconditions } from '../core/preconditions';
import { parsePolicyId, parseThingId } from '../core/ids';
import { buildLiveMessage, expectationOf } from '../core/messages';
import { bodyToValue, Header, headerOf, type HeaderValue, normalizeHeaders, parseJson, valueToBody } from '../core/protocol';
import { awaitResponse } from '../routing/respond';
import { sendLiveMessage } from '../routing/send';
import { changePart, getPart } from '../twins/parts';
import { deletePolicy, deleteThing, getPolicy, getThing, putPolicy, putThing } from '../twins/twins';
import { type HttpRoute, matchRoute } from './http-routes';
import { httpError } from './to-ditto-error';

/** Standard HTTP request headers that are transport, not message, data. */
const TRANSPORT_HEADERS = new Set([
  'accept',
  'accept-encoding',
  'accept-language',
  'user-agent',
  'host',
  'content-length',
  'connection',
  'expect',
  'via',
  'origin',
  'referer',
  'cache-control',
  'pragma',
  'te',
  'upgrade',
  'forwarded',
  'x-request-id',
]);

const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

function bodyBytes(event: APIGatewayProxyEventV2): Buffer {
  if (event.body === undefined || event.body === null) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

function jsonBody(event: APIGatewayProxyEventV2): unknown {
  return parseJson(bodyBytes(event).toString('utf8'));
}

const BODILESS = new Set([204, 205, 304]);

/** Ditto's conditional headers on things and policies. */
function preconditionsOf(event: APIGatewayProxyEventV2): Preconditions {
  const ifMatch = headerOf(event.headers, 'if-match');
  const ifNoneMatch = headerOf(event.headers, 'if-none-match');
  // checkPreconditions ignores an undefined condition.
  return { ifMatch, ifNoneMatch };
}

/** Things and policies are served alike: GET, PUT (create 201 + Location, or change 204), DELETE 204. */
const ENTITIES = {
  thing: { collection: 'things', parseId: parseThingId, get: getThing, put: putThing, remove: deleteThing },
  policy: { collection: 'policies', parseId: parsePolicyId, get: getPolicy, put: putPolicy, remove: deletePolicy },
} as const;

/** Time kept back from the invocation's end to settle the correlation and answer with our 408. */
export const RESPONSE_MARGIN_MS = 1000;
/** API Gateway ends every HTTP API integration 30 s after the request arrived, whatever Lambda does. */
const HTTP_API_INTEGRATION_MS = 30_000;

/** When the wait must end: before Lambda's timeout and before API Gateway gives up on the request. */
function waitDeadline(event: APIGatewayProxyEventV2, context: Pick<Context, 'getRemainingTimeInMillis'> | undefined): number {
  const now = Date.now();
  const lambdaEnd = context ? now + context.getRemainingTimeInMillis() : Infinity;
  const gatewayEnd = (event.requestContext.timeEpoch ?? now) + HTTP_API_INTEGRATION_MS;
  return Math.min(lambdaEnd, gatewayEnd) - RESPONSE_MARGIN_MS;
}

export const handler = instrumented('http-api', 'http', (event: APIGatewayProxyEventV2, context?: Pick<Context, 'getRemainingTimeInMillis'>) =>
  handle(event, context),
);

async function handle(
  event: APIGatewayProxyEventV2,
  context: Pick<Context, 'getRemainingTimeInMillis'> | undefined,
): Promise<APIGatewayProxyStructuredResultV2> {
  const method = event.requestContext.http.method.toUpperCase();
  let correlationId = headerOf(event.headers, Header.CORRELATION_ID);
  try {
    const { issuers, basicUsers } = getConfig();
    const route = matchRoute(method, event.rawPath);
    appendRequestKeys({
      route: `${method} ${route.kind}`,
      ...('thingId' in route ? { thingId: route.thingId } : {}),
      correlationId, // Powertools skips an undefined key
    });
    const authorization = headerOf(event.headers, 'authorization');
    if (route.kind === 'connections') {
      await authenticateDevops(authorization, getConfig());
      return await manageConnections(method, route.id, event);
    }
    const principal = await authenticate({ authorization }, issuers, basicUsers);
    const subjects = principal.subjects;
    switch (route.kind) {
      case 'thing':
      case 'policy': {
        const id = route.kind === 'thing' ? route.thingId : route.policyId;
        const entity = ENTITIES[route.kind];
        entity.parseId(id);
        const conditions = preconditionsOf(event);
        if (method === 'GET') {
          const { value, revision } = await entity.get(id, subjects, conditions);
          return json(200, value, { etag: etagOf(revision) });
        }
        if (method === 'DELETE') {
          await entity.remove(id, subjects, conditions);
          return { statusCode: 204 };
        }
        const { created, value, revision } = await entity.put(id, jsonBody(event), subjects, conditions);
        const etag = { etag: etagOf(revision) };
        return created ? json(201, value, { location: `/api/2/${entity.collection}/${encodeURIComponent(id)}`, ...etag }) : { statusCode: 204, headers: etag };
      }
      case 'part': {
        (route.entity === 'thing' ? parseThingId : parsePolicyId)(route.id);
        const conditions = preconditionsOf(event);
        if (method === 'GET') {
          const { value, revision } = await getPart(route, subjects, conditions);
          return json(200, value, { etag: etagOf(revision) });
        }
        const value = method === 'DELETE' ? undefined : jsonBody(event);
        // A DELETE never creates (changePart refuses to delete what is not there): 204 with the ETag.
        const { created, revision } = await changePart(route, value, subjects, conditions);
        const etag = { etag: etagOf(revision) };
        return created ? json(201, value, { ...etag, location: event.rawPath }) : { statusCode: 204, headers: etag };
      }
      case 'message': {
        correlationId ??= randomUUID();
        const id = correlationId;
        appendRequestKeys({ correlationId: id });
        // Retries (posts to connections) must end before API Gateway gives up on this request, too.
        const deadline = waitDeadline(event, context);
        return await withDeadlineAt(deadline, () => sendOverHttp(event, route, subjects, id, deadline));
      }
    }
  } catch (e) {
    // A conditional GET whose If-None-Match matches: not an error, 304 with the ETag and no body.
    if (e instanceof NotModifiedError) return { statusCode: 304, headers: { etag: e.etag } };
    return httpError(e, { where: 'http-api', correlationId });
  }
}

/** Ditto's connections API: list, create (or dry-run), read, replace, delete. */
async function manageConnections(method: string, id: string | undefined, event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const query = event.queryStringParameters ?? {};
  if (id === undefined) {
    if (method === 'GET') return json(200, await listConnections(query['ids-only'] === 'true'));
    const dryRun = query['dry-run'] === 'true';
    const document = await createConnection(jsonBody(event), dryRun);
    // Ditto's dry run (a connection test) answers 200 without a body.
    return dryRun ? { statusCode: 200 } : json(201, document, { location: `/api/2/connections/${encodeURIComponent(String(document.id))}` });
  }
  if (method === 'GET') return json(200, await getConnection(id));
  if (method === 'DELETE') {
    await deleteConnection(id);
    return { statusCode: 204 };
  }
  const { created, document } = await putConnection(id, jsonBody(event));
  return created ? json(201, document, { location: `/api/2/connections/${encodeURIComponent(id)}` }) : { statusCode: 204 };
}

async function sendOverHttp(
  event: APIGatewayProxyEventV2,
  route: Extract<HttpRoute, { kind: 'message' }>,
  subjects: readonly string[],
  correlationId: string,
  deadline: number,
): Promise<APIGatewayProxyStructuredResultV2> {
  const { maxMessageBytes, maxHttpTimeoutMs } = getConfig();
  parseThingId(route.thingId);
  const body = bodyBytes(event);
  if (body.length > maxMessageBytes) throw new PayloadTooLargeError(body.length, maxMessageBytes);

  const raw: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) if (!TRANSPORT_HEADERS.has(name.toLowerCase())) raw[name] = value;
  const headers: Record<string, HeaderValue> = normalizeHeaders(raw);
  headers[Header.CORRELATION_ID] = correlationId;
  const contentType = headerOf(event.headers, 'content-type');

  const draft = buildLiveMessage({
    thingId: route.thingId,
    direction: route.direction,
    subject: route.subject,
    ...(route.featureId !== undefined ? { featureId: route.featureId } : {}),
    headers,
    value: bodyToValue(body, contentType),
  });
  // Ditto takes timeout and response-required from the query as well as from headers; the query wins.
  const query = event.queryStringParameters ?? {};
  const expectation = expectationOf(draft, { timeout: query.timeout, responseRequired: query['response-required'] });
  const requestedMs = expectation.timeoutMs;
  const responseRequired = expectation.responseRequired;
  const timeoutMs = Math.min(requestedMs, maxHttpTimeoutMs);
  const capped = requestedMs > maxHttpTimeoutMs;
  // Recipients learn the wait that really applies.
  const message = { ...draft, headers: { ...draft.headers, [Header.TIMEOUT]: `${timeoutMs}ms`, [Header.RESPONSE_REQUIRED]: responseRequired } };

  const replyHeaders: Record<string, string> = {
    [Header.CORRELATION_ID]: correlationId,
    ...(capped ? { [Header.TIMEOUT_CAPPED]: `requested ${requestedMs}ms, cut to ${timeoutMs}ms (HTTP limit)` } : {}),
  };
  const result = await sendLiveMessage(message, { subjects }, responseRequired ? { wait: { issuer: { kind: 'http' }, timeoutMs } } : {});
  if (!result.correlation) return { statusCode: 202, headers: replyHeaders };

  const answered = await awaitResponse(result.correlation, Math.min(result.correlation.expiresAt, deadline));
  const response = answered?.response;
  // handle() answers it, with the correlation-id.
  if (!response) throw new RequestTimeoutError(timeoutMs, correlationId);
  const responseType = typeof response.headers[Header.CONTENT_TYPE] === 'string' ? (response.headers[Header.CONTENT_TYPE] as string) : undefined;
  // 204, 205 and 304 never carry a body (RFC 9110).
  if (BODILESS.has(response.status) || response.value === undefined) return { statusCode: response.status, headers: replyHeaders };
  const out = valueToBody(response.value, responseType);
  return {
    statusCode: response.status,
    // A device chooses the content-type: browsers must not sniff it into something executable.
    headers: { ...replyHeaders, 'content-type': responseType ?? 'application/json', 'x-content-type-options': 'nosniff' },
    body: out.toString('base64'),
    isBase64Encoded: true,
  };
}
