/**
 * Responses (SPEC 6.5): from a connection allowed to READ the message, for a pending correlation;
 * the first wins through a conditional update, everything else is dropped silently.
 */
import { RequestTimeoutError } from '../core/errors';
import { isReader } from '../core/policy';
import { correlationIdOf, errorEnvelope, type Envelope, forwardedHeaders, formatEnvelope, messageResource, parseMessageTopic } from '../core/protocol';
import { postToConnection } from '../gateway/connections';
import { type Correlation, correlationKey } from '../store/correlations';
import { accessCache } from './access';
import { correlations, type Sender } from './send';

export type ResponseOutcome = 'routed' | 'dropped';

export async function routeResponse(envelope: Envelope, responder: Sender): Promise<ResponseOutcome> {
  const correlationId = correlationIdOf(envelope.headers);
  if (correlationId === undefined || envelope.status === undefined) return 'dropped';
  const { thingId } = parseMessageTopic(envelope.topic);
  const key = correlationKey(thingId, correlationId);

  // No hijacking by guessing ids: the responder must be a reader of the message it answers.
  const access = await accessCache().load(thingId);
  if (!access?.enforcer || !isReader(access.enforcer.readers(messageResource(envelope.path), 'READ'), responder.subjects)) return 'dropped';

  const headers = forwardedHeaders(envelope.headers, responder.subjects[0]);
  const answered = await correlations.answer(
    key,
    { status: envelope.status, headers, ...(envelope.value !== undefined ? { value: envelope.value } : {}) },
    { topic: envelope.topic, path: envelope.path, ...(responder.connectionId !== undefined ? { responderConnectionId: responder.connectionId } : {}) },
  );
  if (!answered) return 'dropped';
  if (answered.issuer.kind === 'ws') {
    const response: Envelope = {
      topic: envelope.topic,
      headers,
      path: envelope.path,
      ...(envelope.value !== undefined ? { value: envelope.value } : {}),
      status: envelope.status,
    };
    await postToConnection(answered.issuer.connectionId, formatEnvelope(response));
  }
  return 'routed';
}

/**
 * The delayed check for WebSocket issuers: still pending at the deadline -> 408 error envelope.
 * Most correlations were answered long before: an eventually consistent read (half a read unit)
 * settles those; only a pending-looking one pays for the conditional write that decides.
 */
export async function expireCorrelation(key: string): Promise<'expired' | 'already-finished'> {
  const hint = await correlations.get(key, false);
  if (!hint || hint.state !== 'pending') return 'already-finished';
  const expired = await correlations.expire(key);
  if (!expired) return 'already-finished';
  if (expired.issuer.kind === 'ws') {
    const error = new RequestTimeoutError(expired.timeoutMs, expired.correlationId);
    await postToConnection(expired.issuer.connectionId, formatEnvelope(errorEnvelope(error, expired.thingId, expired.correlationId)));
  }
  return 'expired';
}

const POLL_DELAYS_MS = [5, 10, 15, 25, 40, 60, 100, 150];
const MAX_POLL_DELAY_MS = 250;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The waiting HTTP request learns of its response by polling one item with strongly consistent
 * reads, quickly at first (most devices answer within milliseconds) then backing off to 250 ms.
 * At the deadline it claims the correlation as timed out; if a response won that race, it is used.
 */
export async function awaitResponse(correlation: Correlation): Promise<Correlation | undefined> {
  for (let i = 0; ; i++) {
    const remaining = correlation.expiresAt - Date.now();
    if (remaining <= 0) break;
    await sleep(Math.min(POLL_DELAYS_MS[i] ?? MAX_POLL_DELAY_MS, remaining));
    const current = await correlations.get(correlation.key);
    if (!current) return undefined;
    if (current.state === 'answered') return current;
    if (current.state === 'timedOut') return undefined;
  }
  const expired = await correlations.expire(correlation.key);
  if (expired) return undefined;
  const current = await correlations.get(correlation.key);
  return current?.state === 'answered' ? current : undefined;
}
