/** The Ditto Protocol envelope: one explicit type, a strict parser and the error envelope. */
import { isRecord } from '../collections';
import { type DittoError, JsonInvalidError, MessageFormatInvalidError } from '../errors';
import { type Headers, type HeaderValue, normalizeHeaders } from './headers';
import { buildErrorTopic } from './paths';
import { Header } from './vocabulary';

export interface Envelope {
  readonly topic: string;
  readonly headers: Headers;
  readonly path: string;
  readonly value?: unknown;
  readonly status?: number;
}

const KNOWN_FIELDS = new Set(['topic', 'headers', 'path', 'value', 'status', 'fields', 'extra', 'revision', 'timestamp', 'metadata']);
const MAX_DEPTH = 64;

/** Guards against pathological nesting before JSON.parse builds it (a recursion bomb for later code). */
function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash: skip the escaped char
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) max = Math.max(max, ++depth);
    else if (c === 125 || c === 93) depth--;
  }
  return max;
}

export function parseJson(text: string): unknown {
  if (nestingDepth(text) > MAX_DEPTH) throw new JsonInvalidError(`JSON nested deeper than ${MAX_DEPTH} levels is not accepted.`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new JsonInvalidError((e as Error).message);
  }
}

/** Parses a text frame into an envelope; never returns a half-valid value. */
export function parseEnvelope(text: string): Envelope {
  const json = parseJson(text);
  if (!isRecord(json)) throw new MessageFormatInvalidError('A Ditto Protocol message must be a JSON object.');
  for (const key of Object.keys(json)) {
    if (!KNOWN_FIELDS.has(key)) throw new MessageFormatInvalidError(`Unknown field '${key.slice(0, 100)}' in the Ditto Protocol message.`);
  }
  if (typeof json.topic !== 'string') throw new MessageFormatInvalidError("The field 'topic' is missing or not a string.");
  if (typeof json.path !== 'string') throw new MessageFormatInvalidError("The field 'path' is missing or not a string.");
  if (json.headers !== undefined && !isRecord(json.headers)) throw new MessageFormatInvalidError("The field 'headers' must be a JSON object.");
  if (json.status !== undefined && !(Number.isInteger(json.status) && (json.status as number) >= 100 && (json.status as number) <= 599)) {
    throw new MessageFormatInvalidError("The field 'status' must be an HTTP status code (100-599).");
  }
  const headers = normalizeHeaders((json.headers as Record<string, unknown> | undefined) ?? {});
  return {
    topic: json.topic,
    path: json.path,
    headers,
    ...(json.value !== undefined ? { value: json.value } : {}),
    ...(json.status !== undefined ? { status: json.status as number } : {}),
  };
}

export function formatEnvelope(envelope: Envelope): string {
  return JSON.stringify(envelope);
}

/** Error envelope: topic of the thing when known, the request's correlation-id, status and the Ditto error value. */
export function errorEnvelope(error: DittoError, thingId?: string, correlationId?: string): Envelope {
  const headers: Record<string, HeaderValue> = { [Header.CONTENT_TYPE]: 'application/json', status: error.status };
  if (correlationId !== undefined) headers[Header.CORRELATION_ID] = correlationId;
  return { topic: buildErrorTopic(thingId), headers, path: '/', value: error.toJson(), status: error.status };
}
