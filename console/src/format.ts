import { payloadKind } from '../../lambdas/core/protocol/payload';

/** The router's own payload rule (one source of truth): JSON types carry JSON, `text/*` a string, else base64 bytes. */
export { payloadKind };

/**
 * Pure helpers of the live console (no DOM): what an arriving envelope is, how its payload reads,
 * what a token says, and a bounded newest-first list. Unit-tested in test/unit/console-format.test.ts.
 */

export interface Envelope {
  readonly topic: string;
  readonly path: string;
  readonly headers?: Record<string, unknown>;
  readonly value?: unknown;
  readonly status?: number;
}

export interface MessageSummary {
  readonly thingId: string;
  readonly featureId?: string;
  readonly direction: 'inbox' | 'outbox' | '';
  readonly subject: string;
  readonly correlationId?: string;
  readonly contentType?: string;
  readonly status?: number;
  /** An error envelope (`things/errors`) rather than a message. */
  readonly error: boolean;
}

const header = (e: Envelope, name: string): string | undefined => {
  const value = e.headers?.[name];
  return value === undefined || value === null ? undefined : String(value);
};

/** Whether a parsed frame has the shape of a Ditto Protocol envelope at all. */
export const isEnvelope = (value: unknown): value is Envelope =>
  typeof value === 'object' && value !== null && typeof (value as Envelope).topic === 'string' && typeof (value as Envelope).path === 'string';

/** `{ns}/{name}/things/live/messages/{subject}` and `/features/{id}/inbox/messages/{subject}` read as one row. */
export function summarize(e: Envelope): MessageSummary {
  const parts = e.topic.split('/');
  const thingId = parts.length >= 2 && parts[0] !== '_' ? `${parts[0]}:${parts[1]}` : '';
  const path = e.path.split('/').filter((p) => p !== '');
  let featureId: string | undefined;
  let rest = path;
  if (rest[0] === 'features' && rest.length >= 2) {
    // Ditto Protocol paths are not percent-encoded: the id is shown as it is.
    featureId = rest[1]!;
    rest = rest.slice(2);
  }
  const direction = rest[0] === 'inbox' || rest[0] === 'outbox' ? rest[0] : '';
  const subject = rest[1] === 'messages' ? rest.slice(2).join('/') : rest[0] === 'inbox' && rest[1] === 'claim' ? 'claim' : parts.slice(6).join('/');
  const correlationId = header(e, 'correlation-id');
  const contentType = header(e, 'content-type');
  return {
    thingId,
    ...(featureId !== undefined ? { featureId } : {}),
    direction,
    subject,
    ...(correlationId !== undefined ? { correlationId } : {}),
    ...(contentType !== undefined ? { contentType } : {}),
    ...(e.status !== undefined ? { status: e.status } : {}),
    // The router's error topic: `{ns}/{name}/things/live/errors` (or `_/_/…`).
    error: parts.length === 5 && parts[2] === 'things' && parts[4] === 'errors',
  };
}

export type PayloadView =
  | { kind: 'none' }
  | { kind: 'json'; text: string }
  | { kind: 'text'; text: string }
  | { kind: 'bytes'; base64: string; hex: string; size: number };

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function base64ToBytes(base64: string): Uint8Array | undefined {
  const clean = base64.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 === 1) return undefined;
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const c of clean.replace(/=+$/, '')) {
    buffer = (buffer << 6) | B64.indexOf(c);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >> bits) & 0xff);
    }
  }
  return Uint8Array.from(bytes);
}

export function bytesToBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const [a, b, c] = [bytes[i]!, bytes[i + 1], bytes[i + 2]];
    const n = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]! + (b === undefined ? '=' : B64[(n >> 6) & 63]!) + (c === undefined ? '=' : B64[n & 63]!);
  }
  return out;
}

/** Hex of the first `max` bytes, grouped in pairs, `…` when cut. */
export function toHex(bytes: Uint8Array, max = 256): string {
  const shown = Array.from(bytes.slice(0, max), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return bytes.length > max ? `${shown} …` : shown;
}

export function payloadView(value: unknown, contentType: string | undefined): PayloadView {
  if (value === undefined) return { kind: 'none' };
  const kind = payloadKind(contentType);
  if (kind === 'binary' && typeof value === 'string') {
    const bytes = base64ToBytes(value);
    if (bytes) return { kind: 'bytes', base64: value, hex: toHex(bytes), size: bytes.length };
  }
  if (typeof value === 'string' && kind !== 'json') return { kind: 'text', text: value };
  return { kind: 'json', text: JSON.stringify(value, null, 2) };
}

/** The message value for what the user typed: JSON parsed, text as is, bytes as base64 (typed as base64 or text). */
export function valueFromInput(input: string, contentType: string): { value?: unknown; error?: string } {
  if (input === '') return {};
  switch (payloadKind(contentType)) {
    case 'json':
      try {
        return { value: JSON.parse(input) as unknown };
      } catch (e) {
        return { error: `The payload is not valid JSON: ${(e as Error).message}` };
      }
    case 'text':
      return { value: input };
    case 'binary':
      return base64ToBytes(input) ? { value: input.replace(/\s+/g, '') } : { error: 'Binary payloads are entered as base64.' };
  }
}

/** A display copy of long text: the first `max` characters and how much was left out. */
export function clip(text: string, max = 16 * 1024): string {
  return text.length <= max ? text : `${text.slice(0, max)}\n… (${text.length - max} more characters not shown)`;
}

/** UTF-8 text as base64 (`btoa` takes only Latin-1). */
export const utf8ToBase64 = (text: string): string => bytesToBase64(new TextEncoder().encode(text));

export interface TokenInfo {
  readonly subject?: string;
  readonly issuer?: string;
  /** Epoch seconds. */
  readonly expiresAt?: number;
}

/** What a JWT says about itself (not verified: the router verifies it). */
export function tokenInfo(token: string): TokenInfo | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
  const bytes = base64ToBytes(
    part
      .replace(/-/g, '+')
      .replace(/_/g, '/')
      .padEnd(Math.ceil(part.length / 4) * 4, '='),
  );
  if (!bytes) return undefined;
  try {
    const claims = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
    return {
      ...(typeof claims.sub === 'string' ? { subject: claims.sub } : {}),
      ...(typeof claims.iss === 'string' ? { issuer: claims.iss } : {}),
      ...(typeof claims.exp === 'number' ? { expiresAt: claims.exp } : {}),
    };
  } catch {
    return undefined;
  }
}

/** Newest first, never more than `max` entries: the oldest fall off. */
export class BoundedList<T> {
  private items: T[] = [];
  dropped = 0;

  constructor(readonly max: number) {}

  add(item: T): void {
    this.items.unshift(item);
    if (this.items.length > this.max) {
      this.dropped += this.items.length - this.max;
      this.items.length = this.max;
    }
  }

  clear(): void {
    this.items = [];
    this.dropped = 0;
  }

  get size(): number {
    return this.items.length;
  }

  all(): readonly T[] {
    return this.items;
  }
}

/** Reconnect delays: 0.5 s doubling to 30 s, with up to 20 % jitter so many pages do not return at once. */
export function backoffMs(attempt: number, random = Math.random()): number {
  const base = Math.min(30_000, 500 * 2 ** attempt);
  return Math.round(base * (0.8 + 0.2 * random));
}

/** The Ditto HTTP path of a message. */
export function messagePath(thingId: string, featureId: string, direction: 'inbox' | 'outbox', subject: string): string {
  const feature = featureId === '' ? '' : `/features/${encodeURIComponent(featureId)}`;
  return `/api/2/things/${encodeURIComponent(thingId)}${feature}/${direction}/messages/${subject.split('/').map(encodeURIComponent).join('/')}`;
}

/** The Ditto Protocol topic and path of a message (thing ids are `namespace:name`). */
export function messageEnvelopeAddress(thingId: string, featureId: string, direction: 'inbox' | 'outbox', subject: string): { topic: string; path: string } {
  const colon = thingId.indexOf(':');
  const topic = `${thingId.slice(0, colon)}/${thingId.slice(colon + 1)}/things/live/messages/${subject}`;
  const path = `${featureId === '' ? '' : `/features/${featureId}`}/${direction}/messages/${subject}`;
  return { topic, path };
}
