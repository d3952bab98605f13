/**
 * Delivering one message to its connection targets: the envelope is POSTed (or as the address says)
 * to each, with bounded parallelism per connection and a bounded wait; nothing is retried (a router,
 * not a broker). The endpoint's answer may answer the message: a Ditto Protocol response as is, or
 * with `live-response` any HTTP response, mapped. Either goes through the first-response-wins rule,
 * in the name of the target's subjects.
 */
import { getConfig } from '../config';
import { inPool, Limiter } from '../core/collections';
import { messageFromEnvelope, type LiveMessage, resourceOf } from '../core/messages';
import { bodyToValue, type Envelope, formatEnvelope, Header, type HeaderValue, isHttpFieldValue, parseEnvelope } from '../core/protocol';
import type { CompiledConnection, CompiledTarget } from '../core/targets/connection';
import { encodePathValue, hasDotSegment, type PlaceholderSource, resolvePlaceholders } from '../core/targets/placeholders';
import { selectTargets, type TargetRecipient } from '../core/targets/select';
import { readableView } from '../core/policy';
import { push, type PushResponse } from '../gateway/push';
import type { TargetPushJob } from '../gateway/target-queue';
import { deadline } from '../runtime/deadline';
import { logger } from '../observability/logger';
import { record } from '../observability/metrics';
import { accessCache } from '../routing/access';
import { routeResponse } from '../routing/respond';
import { connectionTargets } from './catalog';

export const DITTO_PROTOCOL_TYPE = 'application/vnd.eclipse.ditto+json';
/** Kept back from the invocation's end for routing the endpoint's answer. */
const ANSWER_RESERVE_MS = 3000;
const MIN_PUSH_MS = 500;
/** Requests in flight per container, over all messages and connections (each is a socket). */
const MAX_SOCKETS = 64;
const sockets = new Limiter(MAX_SOCKETS);

export interface PushOutcome {
  readonly delivered: number;
  readonly failed: number;
}

function placeholderSource(message: LiveMessage): PlaceholderSource {
  return {
    thingId: message.thingId,
    namespace: message.namespace,
    name: message.thingId.slice(message.namespace.length + 1),
    featureId: message.featureId, // undefined (a message to the thing) is no feature, as if left out
    topic: message.topic,
    subject: message.subject,
    headers: message.headers,
  };
}

/**
 * The HTTP headers sent, as Ditto's default mapping does: content-type and correlation-id, then the
 * mapped headers whose placeholders resolve (they may override both), Basic credentials from the uri.
 */
function requestHeaders(
  connection: CompiledConnection,
  target: CompiledTarget,
  message: LiveMessage,
  source: PlaceholderSource,
  withBody: boolean,
): Record<string, string> {
  const headers: Record<string, string> = {};
  if (withBody) headers['content-type'] = DITTO_PROTOCOL_TYPE;
  if (message.correlationId !== undefined && isHttpFieldValue(message.correlationId)) headers[Header.CORRELATION_ID] = message.correlationId;
  for (const [name, template] of Object.entries(target.headerMapping)) {
    const value = resolvePlaceholders(template, source);
    // A value that cannot be an HTTP header value is left out like an unresolved one.
    if (value !== undefined && isHttpFieldValue(value)) headers[name] = value;
  }
  if (connection.basicAuth !== undefined) headers.authorization = `Basic ${Buffer.from(connection.basicAuth).toString('base64')}`;
  return headers;
}

/** Transport headers of the endpoint's response, not part of the answer. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'content-encoding', 'date', 'server']);
const MAX_RESPONSE_HEADERS = 50;

// Node's client keeps one content-type (a string) of an answer, or none.
const contentTypeOf = (res: PushResponse): string | undefined => res.headers['content-type'];

const isDittoProtocol = (contentType: string | undefined): boolean => (contentType ?? '').split(';')[0]!.trim().toLowerCase() === DITTO_PROTOCOL_TYPE;

/** The endpoint's HTTP response as the message's response (Ditto's live-response mapping). */
function mappedResponse(message: LiveMessage, res: PushResponse): Envelope {
  const contentType = contentTypeOf(res);
  let value: unknown;
  try {
    value = bodyToValue(res.body, contentType);
  } catch {
    value = res.body.toString('utf8'); // declared JSON that is not: passed on as text
  }
  // The endpoint's headers travel with the answer (credentials among them are withheld on the way).
  const headers: Record<string, HeaderValue> = {};
  for (const [name, value] of Object.entries(res.headers).slice(0, MAX_RESPONSE_HEADERS)) {
    if (typeof value === 'string' && !HOP_BY_HOP.has(name)) headers[name] = value;
  }
  headers[Header.CORRELATION_ID] = message.correlationId!;
  if (contentType !== undefined) headers[Header.CONTENT_TYPE] = contentType;
  // An undefined value is left out: by the marshaller and by JSON on the way (routeResponse).
  return { topic: message.topic, path: message.path, headers, status: res.status, value };
}

/** Which response, if any, the endpoint's answer is. */
function responseOf(message: LiveMessage, target: CompiledTarget, res: PushResponse): Envelope | undefined {
  if (isDittoProtocol(contentTypeOf(res)) && res.body.length > 0) {
    try {
      // One without a status is no response: routeResponse drops it.
      return parseEnvelope(res.body.toString('utf8'));
    } catch (e) {
      logger.warn('target answered with an invalid Ditto Protocol message', { error: e as Error });
      return undefined;
    }
  }
  // Only a message whose sender waits is answered (HTTP fire-and-forget messages carry response-required false).
  const waits = message.headers[Header.RESPONSE_REQUIRED] !== false && message.headers[Header.RESPONSE_REQUIRED] !== 'false';
  if (!target.liveResponse || message.correlationId === undefined || !waits || res.status < 200) return undefined;
  return mappedResponse(message, res);
}

async function deliverOne(
  message: LiveMessage,
  data: string,
  connection: CompiledConnection,
  target: CompiledTarget,
): Promise<'delivered' | 'failed' | 'dropped'> {
  const source = placeholderSource(message);
  const path = resolvePlaceholders(target.pathTemplate, source, encodePathValue);
  // Unresolved (e.g. {{ feature:id }} for a message to the thing itself), or a value that would move the path.
  if (path === undefined || hasDotSegment(path)) return 'dropped';
  const { targetTimeoutMs, targetAddresses, maxMessageBytes } = getConfig();
  const withBody = !connection.omitRequestBody.includes(target.method);
  let started = 0;
  try {
    const res = await sockets.run(() => {
      // Time is kept back to route the endpoint's answer before the invocation ends (else SQS would hand the batch out again).
      const timeoutMs = Math.min(targetTimeoutMs, deadline() - ANSWER_RESERVE_MS - Date.now());
      if (timeoutMs < MIN_PUSH_MS) throw new Error('No time left in this invocation to push to the connection target.');
      started = Date.now();
      return push(
        {
          url: new URL(connection.baseUrl + path),
          method: target.method,
          headers: requestHeaders(connection, target, message, source, withBody),
          body: withBody ? data : '',
          timeoutMs,
          validateCertificates: connection.validateCertificates,
          maxResponseBytes: maxMessageBytes,
        },
        targetAddresses,
      );
    });
    record('TargetLatency', Date.now() - started);
    if (res.status >= 400) logger.warn('target answered with an error status', { connection: connection.id, status: res.status });
    const response = responseOf(message, target, res);
    if (!response) return 'delivered';
    try {
      // Routed or dropped (nobody waits any more), it was delivered; routeResponse counts which.
      await routeResponse(response, { subjects: target.authorizationContext });
      return 'delivered';
    } catch (e) {
      // Delivered; only its answer was unusable (e.g. an informational status).
      logger.warn('the answer of a connection target was refused', { connection: connection.id, error: e as Error });
      return 'delivered';
    }
  } catch (e) {
    logger.error('push to connection target failed', { connection: connection.id, error: e as Error });
    return 'failed';
  }
}

/**
 * Delivers a job. Targets are selected again here with this container's view of connections and
 * policy: a connection closed or narrowed since the sender looked gets nothing.
 */
export async function pushToTargets(job: TargetPushJob): Promise<PushOutcome> {
  const envelope = parseEnvelope(JSON.stringify(job.envelope));
  const message = messageFromEnvelope(envelope);
  const data = formatEnvelope(envelope);
  const [connections, access] = await Promise.all([connectionTargets(), accessCache().load(message.thingId)]);
  if (!access?.enforcer) return { delivered: 0, failed: 0 };
  const { enforcer, thing } = access;
  const named = new Set(job.connections);
  const recipients: TargetRecipient[] = selectTargets(connections, enforcer.readers(resourceOf(message), 'READ'), {
    thingId: message.thingId,
    namespace: message.namespace,
    subject: message.subject,
    direction: message.direction,
    featureId: message.featureId, // undefined (a message to the thing) is no feature, as if left out
    attributesFor: (subjects: readonly string[]) => readableView(enforcer, subjects, 'thing:/attributes', thing.attributes),
  }).filter((r) => named.has(r.connectionId));

  const byConnection = new Map<string, TargetRecipient[]>();
  for (const r of recipients) byConnection.set(r.connectionId, [...(byConnection.get(r.connectionId) ?? []), r]);
  const counts = { delivered: 0, failed: 0 };
  await Promise.all(
    [...byConnection.entries()].map(([id, rs]) => {
      const connection = connections.find((c) => c.id === id)!;
      return inPool(rs, connection.parallelism, async (r) => {
        const outcome = await deliverOne(message, data, connection, connection.targets[r.target]!);
        if (outcome === 'failed') counts.failed++;
        else if (outcome === 'delivered') counts.delivered++;
      });
    }),
  );
  if (counts.delivered > 0) record('TargetDeliveries', counts.delivered);
  if (counts.failed > 0) record('TargetFailures', counts.failed);
  return counts;
}
