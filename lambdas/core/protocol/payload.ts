/** Payload encoding by content-type, between HTTP bodies (bytes) and Ditto Protocol `value`s. */
import { JsonInvalidError, PayloadInvalidError } from '../errors';
import { parseJson } from './envelope';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function utf8(body: Buffer, contentType: string | undefined): string {
  try {
    return strictUtf8.decode(body);
  } catch {
    throw new PayloadInvalidError(
      `The payload is declared as '${contentType ?? 'text/plain'}' but is not valid UTF-8: send it with a binary content-type (e.g. application/octet-stream).`,
    );
  }
}

export type PayloadKind = 'json' | 'text' | 'binary';

export function payloadKind(contentType: string | undefined): PayloadKind {
  if (contentType === undefined) return 'text';
  const mime = contentType.split(';')[0]!.trim().toLowerCase();
  if (mime === 'application/json' || mime.endsWith('+json')) return 'json';
  if (mime.startsWith('text/')) return 'text';
  return 'binary';
}

/** HTTP body bytes -> envelope value (undefined when there is no payload). */
export function bodyToValue(body: Buffer, contentType: string | undefined): unknown {
  if (body.length === 0) return undefined;
  switch (payloadKind(contentType)) {
    case 'json':
      try {
        return parseJson(utf8(body, contentType));
      } catch (e) {
        throw new JsonInvalidError(
          `The payload is declared as '${contentType}' but is not valid JSON: ${(e as Error & { description?: string }).description ?? (e as Error).message}`,
        );
      }
    case 'text':
      return utf8(body, contentType);
    case 'binary':
      return body.toString('base64');
  }
}

/** Envelope value -> HTTP body bytes (for responses routed back to an HTTP issuer). */
export function valueToBody(value: unknown, contentType: string | undefined): Buffer {
  if (value === undefined) return Buffer.alloc(0);
  const kind = payloadKind(contentType);
  if (kind === 'binary' && typeof value === 'string') return Buffer.from(value, 'base64');
  if (kind === 'text' && typeof value === 'string') return Buffer.from(value, 'utf8');
  return Buffer.from(JSON.stringify(value), 'utf8');
}
