/** The live message model: built from an envelope or an HTTP request, formatted for recipients. */
import { MessageFormatInvalidError } from '../errors';
import { parseThingId } from '../ids';
import {
  buildMessagePath,
  buildMessageTopic,
  CLAIM_SUBJECT,
  correlationIdOf,
  type Direction,
  type Envelope,
  forwardedHeaders,
  Header,
  type Headers,
  headerString,
  INBOX,
  messageResource,
  parseMessagePath,
  parseMessageTopic,
  parseResponseRequired,
  parseTimeoutMs,
} from '../protocol';

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_CLAIM_TIMEOUT_MS = 60_000;

export interface LiveMessage {
  readonly thingId: string;
  readonly namespace: string;
  readonly subject: string;
  readonly direction: Direction;
  readonly featureId?: string;
  /** The protocol path, e.g. `/features/lamp/inbox/messages/turnOff`. */
  readonly path: string;
  readonly topic: string;
  readonly headers: Headers;
  readonly value?: unknown;
  readonly correlationId?: string;
  readonly contentType?: string;
}

export const isClaim = (m: Pick<LiveMessage, 'subject' | 'direction' | 'featureId'>): boolean =>
  m.subject === CLAIM_SUBJECT && m.direction === INBOX && m.featureId === undefined;

export const resourceOf = (m: Pick<LiveMessage, 'path'>): string => messageResource(m.path);

export interface MessageInput {
  readonly thingId: string;
  readonly direction: Direction;
  readonly subject: string;
  readonly featureId?: string;
  readonly headers: Headers;
  readonly value?: unknown;
}

export function buildLiveMessage(input: MessageInput): LiveMessage {
  const { namespace } = parseThingId(input.thingId);
  const address = { direction: input.direction, subject: input.subject, ...(input.featureId !== undefined ? { featureId: input.featureId } : {}) };
  const correlationId = correlationIdOf(input.headers);
  const contentType = headerString(input.headers, Header.CONTENT_TYPE);
  return {
    thingId: input.thingId,
    namespace,
    ...address,
    path: buildMessagePath(address),
    topic: buildMessageTopic(input.thingId, input.subject),
    headers: input.headers,
    ...(input.value !== undefined ? { value: input.value } : {}),
    ...(correlationId !== undefined ? { correlationId } : {}),
    ...(contentType !== undefined ? { contentType } : {}),
  };
}

/** Topic and path must name the same thing and subject; a feature-id header must match the path. */
export function messageFromEnvelope(envelope: Envelope): LiveMessage {
  const topic = parseMessageTopic(envelope.topic);
  const address = parseMessagePath(envelope.path);
  if (address.subject !== topic.subject) {
    throw new MessageFormatInvalidError(
      `The subject of the topic ('${topic.subject.slice(0, 100)}') and of the path ('${address.subject.slice(0, 100)}') differ.`,
    );
  }
  const featureHeader = headerString(envelope.headers, Header.FEATURE_ID);
  if (featureHeader !== undefined && featureHeader !== address.featureId) {
    throw new MessageFormatInvalidError(`The '${Header.FEATURE_ID}' header ('${featureHeader.slice(0, 100)}') does not match the path.`);
  }
  return buildLiveMessage({ thingId: topic.thingId, ...address, headers: envelope.headers, value: envelope.value });
}

export interface Expectation {
  readonly responseRequired: boolean;
  readonly timeoutMs: number;
}

/** Whether and how long the issuer waits; `timeout=0` means fire and forget. */
export function expectationOf(message: LiveMessage, overrides: { timeout?: string; responseRequired?: string } = {}): Expectation {
  const defaultMs = isClaim(message) ? DEFAULT_CLAIM_TIMEOUT_MS : DEFAULT_TIMEOUT_MS;
  const timeoutMs = parseTimeoutMs(overrides.timeout ?? message.headers[Header.TIMEOUT], defaultMs);
  const required = parseResponseRequired(overrides.responseRequired ?? message.headers[Header.RESPONSE_REQUIRED]);
  return { responseRequired: required && timeoutMs > 0, timeoutMs };
}

/** The envelope recipients get: forwarded headers plus `ditto-originator`. */
export function recipientEnvelope(
  message: LiveMessage,
  originator: string | undefined,
  extraHeaders: Headers = {},
  alsoWithheld?: readonly string[],
): Envelope {
  return {
    topic: message.topic,
    headers: { ...forwardedHeaders(message.headers, originator, alsoWithheld), ...extraHeaders },
    path: message.path,
    ...(message.value !== undefined ? { value: message.value } : {}),
  };
}
