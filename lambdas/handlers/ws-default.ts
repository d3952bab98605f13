/**
 * $default: Ditto Protocol over the WebSocket. Control frames are answered in the route response;
 * messages are routed; responses are correlated. Errors become error envelopes on the same
 * connection, which stays open.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { authenticate } from '../auth/authenticate';
import { getConfig } from '../config';
import { AuthenticationFailedError, MessageFormatInvalidError, NamespacesInvalidError, PayloadTooLargeError } from '../core/errors';
import { isNamespace } from '../core/ids';
import { expectationOf, messageFromEnvelope, parseRql, tokenExpired } from '../core/messages';
import {
  ack,
  type ControlFrame,
  correlationIdOf,
  type Envelope,
  Header,
  type HeaderValue,
  parseControlFrame,
  parseEnvelope,
  START_SEND_MESSAGES,
  STOP_SEND_MESSAGES,
} from '../core/protocol';
import { closeConnection, postToConnection } from '../gateway/connections';
import type { RemainingTime } from '../runtime/deadline';
import { appendRequestKeys } from '../observability/logger';
import { instrumented } from '../observability/invocation';
import { scheduleTimeout } from '../gateway/timeouts';
import { routeResponse } from '../routing/respond';
import { type Sender, sendLiveMessage } from '../routing/send';
import { sessions } from '../store/repositories';
import { principalOf, type WsEvent } from './ws-context';
import { envelopeError } from './to-ditto-error';

// An undefined body is left out when Lambda serialises the result: nothing is sent back.
const reply = (body?: string): APIGatewayProxyResultV2 => ({ statusCode: 200, body });

export const handler = instrumented('ws-default', 'websocket', (event: WsEvent, _context?: RemainingTime): Promise<APIGatewayProxyResultV2> => handle(event));

async function handle(event: WsEvent): Promise<APIGatewayProxyResultV2> {
  const { connectionId } = event.requestContext;
  appendRequestKeys({ connectionId, route: '$default' });
  let thingId: string | undefined;
  let correlationId: string | undefined;
  try {
    const principal = principalOf(event.requestContext);
    const sender: Sender = { subjects: principal.subjects, connectionId };
    // The authorizer's expiry decides while it holds; once past, the connection record says whether JWT-TOKEN refreshed it.
    if (tokenExpired({ tokenExpiresAt: principal.expiresAt }, Date.now())) await enforceTokenExpiry(connectionId);

    const text = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
    const { maxMessageBytes } = getConfig();
    if (Buffer.byteLength(text) > maxMessageBytes) throw new PayloadTooLargeError(Buffer.byteLength(text), maxMessageBytes);

    if (!text.trimStart().startsWith('{')) {
      const frame = parseControlFrame(text);
      if (!frame)
        throw new MessageFormatInvalidError(
          `Unknown control frame '${text.trim().slice(0, 60)}': send a JSON Ditto Protocol message or START-SEND-MESSAGES / STOP-SEND-MESSAGES.`,
        );
      return reply(await control(frame, sender));
    }

    const envelope = parseEnvelope(text);
    correlationId = safeCorrelationId(envelope);
    appendRequestKeys({ correlationId });
    if (envelope.status !== undefined) {
      await routeResponse(envelope, sender); // dropped silently when not a valid first response
      return reply();
    }
    const parsed = messageFromEnvelope(envelope);
    thingId = parsed.thingId;
    appendRequestKeys({ thingId });
    const expectation = expectationOf(parsed);
    const headers: Record<string, HeaderValue> = { ...parsed.headers };
    if (expectation.responseRequired && correlationId === undefined) headers[Header.CORRELATION_ID] = correlationId = randomUUID();
    const message = { ...parsed, headers, correlationId };
    const timeoutMs = Math.min(expectation.timeoutMs, getConfig().maxWsTimeoutMs);

    const result = await sendLiveMessage(message, sender, expectation.responseRequired ? { wait: { issuer: { kind: 'ws', connectionId }, timeoutMs } } : {});
    if (result.correlation) await scheduleTimeout({ key: result.correlation.key, owner: result.correlation.owner, timeoutMs });
    return reply();
  } catch (e) {
    return reply(envelopeError(e, { where: '$default', thingId, correlationId }));
  }
}

function safeCorrelationId(envelope: Envelope): string | undefined {
  try {
    return correlationIdOf(envelope.headers);
  } catch {
    return undefined;
  }
}

async function control(frame: ControlFrame, sender: Sender): Promise<string | undefined> {
  const connectionId = sender.connectionId!;
  switch (frame.kind) {
    case 'start-messages': {
      for (const ns of frame.namespaces ?? []) {
        if (!isNamespace(ns)) throw new NamespacesInvalidError(`'${ns.slice(0, 100)}' is not a valid namespace.`);
      }
      if (frame.filter !== undefined) parseRql(frame.filter);
      await sessions().subscribe({
        connectionId,
        subjects: sender.subjects,
        ...(frame.namespaces ? { namespaces: frame.namespaces } : {}),
        ...(frame.filter !== undefined ? { filter: frame.filter } : {}),
      });
      return ack(START_SEND_MESSAGES);
    }
    case 'stop-messages':
      await sessions().unsubscribe(connectionId, sender.subjects);
      return ack(STOP_SEND_MESSAGES);
    case 'jwt-token': {
      const { issuers } = getConfig();
      const refreshed = await authenticate({ accessToken: frame.token }, issuers, []);
      if (JSON.stringify(refreshed.subjects) !== JSON.stringify(sender.subjects)) {
        throw new AuthenticationFailedError('A refreshed token must name the same subject as the connection.');
      }
      if (refreshed.expiresAt !== undefined) await sessions().setTokenExpiry(connectionId, refreshed.expiresAt);
      return undefined;
    }
  }
}

/** The token the connection was opened with has expired: unless refreshed (JWT-TOKEN), close it. */
async function enforceTokenExpiry(connectionId: string): Promise<void> {
  const connection = await sessions().getConnection(connectionId);
  // No record, or one without an expiry: nothing says that the token was refreshed.
  if (connection?.tokenExpiresAt !== undefined && !tokenExpired(connection, Date.now())) return;
  const error = new AuthenticationFailedError('The token of this connection has expired; reconnect with a fresh token.');
  await postToConnection(connectionId, envelopeError(error, { where: '$default' })).catch(() => undefined);
  await closeConnection(connectionId);
  throw error;
}
