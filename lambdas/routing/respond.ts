/**
 * Responses: from a connection allowed to READ the message, for a pending correlation;
 * the first wins through a conditional update, everything else is dropped silently.
 */
import { getConfig } from '../config';
import { HeaderInvalidError, MessageFormatInvalidError, RequestTimeoutError } from '../core/errors';
import { isReader } from '../core/policy';
import {
  correlationIdOf,
  errorEnvelope,
  type Envelope,
  forwardedHeaders,
  formatEnvelope,
  Header,
  isHttpFieldValue,
  messageResource,
  parseMessageTopic,
} from '../core/protocol';
import { postToConnection } from '../gateway/connections';
import { type Correlation, correlationKey } from '../store/correlations';
import { correlations } from '../store/repositories';
import { record } from '../observability/metrics';
import { accessCache } from './access';
import type { Sender } from './send';

export type ResponseOutcome = 'routed' | 'dropped';

function checkResponse(envelope: Envelope): void {
  const status = envelope.status!;
  if (status < 200) {
    throw new MessageFormatInvalidError(`A response needs a final HTTP status (200-599), got ${status}: informational statuses cannot answer a message.`);
  }
  const contentType = envelope.headers[Header.CONTENT_TYPE];
  if (contentType !== undefined && (typeof contentType !== 'string' || !isHttpFieldValue(contentType))) {
    throw new HeaderInvalidError(Header.CONTENT_TYPE, 'A response content-type must be a string of visible Latin-1 characters, without line breaks.');
  }
}

export async function routeResponse(envelope: Envelope, responder: Sender): Promise<ResponseOutcome> {
  const correlationId = correlationIdOf(envelope.headers);
  if (correlationId === undefined || envelope.status === undefined) return 'dropped';
  checkResponse(envelope); // a 400 to the responder; the issuer keeps waiting for a valid response
  const outcome = await answer(envelope, envelope.status, responder, correlationId);
  record(outcome === 'routed' ? 'ResponsesRouted' : 'ResponsesDropped');
  return outcome;
}

async function answer(envelope: Envelope, status: number, responder: Sender, correlationId: string): Promise<ResponseOutcome> {
  const { thingId } = parseMessageTopic(envelope.topic);
  const key = correlationKey(thingId, envelope.path, correlationId);
  // No hijacking by guessing ids: the responder must be a reader of the message it answers.
  const access = await accessCache().load(thingId);
  if (!access?.enforcer || !isReader(access.enforcer.readers(messageResource(envelope.path), 'READ'), responder.subjects)) return 'dropped';
  const headers = forwardedHeaders(envelope.headers, responder.subjects[0], getConfig().withheldHeaders);
  // Undefined fields are left out: by the marshaller here, by JSON below.
  const answered = await correlations().answer(
    key,
    { status, headers, value: envelope.value },
    { topic: envelope.topic, path: envelope.path, responderConnectionId: responder.connectionId },
  );
  if (!answered) return 'dropped';
  if (answered.issuer.kind === 'ws') {
    const response: Envelope = { topic: envelope.topic, headers, path: envelope.path, value: envelope.value, status };
    await postToConnection(answered.issuer.connectionId, formatEnvelope(response));
  }
  return 'routed';
}

/**
 * The delayed check for WebSocket issuers: still pending at the deadline -> 408 error envelope.
 * Most correlations were answered long before: an eventually consistent read (half a read unit)
 * settles those; only a pending-looking one pays for the conditional write that decides.
 */
export async function expireCorrelation(key: string, owner: string): Promise<'expired' | 'already-finished'> {
  // Stryker disable next-line BooleanLiteral: a consistent read only costs twice as much; the conditional write decides
  const hint = await correlations().get(key, false);
  if (hint?.state !== 'pending' || hint.owner !== owner) return 'already-finished';
  const expired = await correlations().expire(key, owner);
  if (!expired) return 'already-finished';
  if (expired.issuer.kind === 'ws') {
    const error = new RequestTimeoutError(expired.timeoutMs, expired.correlationId);
    await postToConnection(expired.issuer.connectionId, formatEnvelope(errorEnvelope(error, expired.thingId, expired.correlationId)));
    record('Timeouts');
  }
  return 'expired';
}

const POLL_DELAYS_MS = [5, 10, 15, 25, 40, 60, 100, 150];
const MAX_POLL_DELAY_MS = 250;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The waiting HTTP request learns of its response by polling one item with strongly consistent
 * reads, quickly at first (most devices answer within milliseconds) then backing off to 250 ms.
 * It only ever takes an answer from its own item (the owner token), and marks it taken so the
 * correlation-id can be reused. At the deadline it claims the correlation as timed out; if a
 * response won that race, it is used. `deadline` may come earlier than the correlation's own
 * (the invocation's remaining time).
 */
export async function awaitResponse(correlation: Correlation, deadline = correlation.expiresAt): Promise<Correlation | undefined> {
  // A guard: another owner's item cannot appear under this key while ours is pending or answered (create() refuses).
  const own = (c: Correlation | undefined) => (c?.owner === correlation.owner ? c : undefined);
  const take = async (c: Correlation) => {
    await correlations().consume(c.key, c.owner);
    return c;
  };
  for (let i = 0; ; i++) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    await sleep(Math.min(POLL_DELAYS_MS[i] ?? MAX_POLL_DELAY_MS, remaining));
    const current = own(await correlations().get(correlation.key));
    if (!current || current.state === 'timedOut') return undefined;
    if (current.state === 'answered') return take(current);
  }
  if (await correlations().expire(correlation.key, correlation.owner)) return undefined;
  const current = own(await correlations().get(correlation.key));
  return current?.state === 'answered' ? take(current) : undefined;
}
