/** Header rules: case-insensitive names, what is forwarded, what is never forwarded. */
import { HeaderInvalidError, TimeoutInvalidError, TooManyHeadersError } from '../errors';
import { Header } from './vocabulary';

export type HeaderValue = string | number | boolean | null | readonly unknown[] | { readonly [k: string]: unknown };
export type Headers = Readonly<Record<string, HeaderValue>>;

export const MAX_HEADERS = 100;
export const MAX_HEADER_VALUE_CHARS = 8192;

/**
 * Credentials and routing data a sender must not pass on (or spoof). Credentials: the standard
 * ones and the API-key and token headers in common use (API Gateway, Azure APIM and Functions,
 * Google, GitLab, CSRF tokens); an operator adds more with WITHHELD_HEADERS / `withheldHeaders`.
 */
export const WITHHELD_HEADERS: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-access-token',
  'access_token',
  'x-api-key',
  'api-key',
  'apikey',
  'x-auth-token',
  'x-id-token',
  'x-refresh-token',
  'x-session-token',
  'x-csrf-token',
  'x-xsrf-token',
  'x-client-secret',
  'x-goog-api-key',
  'ocp-apim-subscription-key',
  'x-functions-key',
  'private-token',
  'host',
  'connection',
  'content-length',
  'transfer-encoding',
  Header.ORIGINATOR,
  'ditto-auth-context',
  'ditto-authorization-context',
];
const NEVER_FORWARDED = new Set(WITHHELD_HEADERS);
const NEVER_FORWARDED_PREFIXES = ['x-amz', 'x-forwarded-', 'sec-', 'ditto-internal-'];

/** A value HTTP can carry in a header field (visible Latin-1 and tabs, no line breaks). */
export const isHttpFieldValue = (value: string): boolean => /^[\t\x20-\x7E\x80-\xFF]*$/.test(value);

export function isForwardable(name: string, alsoWithheld?: readonly string[]): boolean {
  return !NEVER_FORWARDED.has(name) && !alsoWithheld?.includes(name) && !NEVER_FORWARDED_PREFIXES.some((p) => name.startsWith(p));
}

/** Lower-cases names and checks count and size; later duplicates (by case) win. */
export function normalizeHeaders(raw: Readonly<Record<string, unknown>>): Record<string, HeaderValue> {
  const names = Object.keys(raw);
  if (names.length > MAX_HEADERS) throw new TooManyHeadersError(`At most ${MAX_HEADERS} headers are allowed, got ${names.length}.`);
  const headers: Record<string, HeaderValue> = {};
  for (const name of names) {
    const value = raw[name];
    if (value === undefined) continue;
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    if (text.length > MAX_HEADER_VALUE_CHARS)
      throw new TooManyHeadersError(`The header '${name.slice(0, 100)}' is longer than ${MAX_HEADER_VALUE_CHARS} characters.`);
    headers[name.toLowerCase()] = value as HeaderValue;
  }
  return headers;
}

/** Headers forwarded to recipients, with `ditto-originator` set by us. */
export function forwardedHeaders(headers: Headers, originator: string | undefined, alsoWithheld?: readonly string[]): Record<string, HeaderValue> {
  const out: Record<string, HeaderValue> = {};
  for (const [name, value] of Object.entries(headers)) if (isForwardable(name, alsoWithheld)) out[name] = value;
  if (originator !== undefined) out[Header.ORIGINATOR] = originator;
  return out;
}

/** Reads a header case-insensitively from an API Gateway headers map. */
export function headerOf(headers: Readonly<Record<string, string | undefined>> | null | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

export function headerString(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  if (value == null) return undefined;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function correlationIdOf(headers: Headers): string | undefined {
  const value = headerString(headers, Header.CORRELATION_ID);
  if (value === undefined) return undefined;
  if (value.length === 0 || value.length > 512) throw new HeaderInvalidError(Header.CORRELATION_ID, 'The correlation-id must be 1 to 512 characters.');
  return value;
}

/** `response-required`: true unless 'false' (any case) or boolean false. */
export function parseResponseRequired(value: HeaderValue | undefined): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value === 'boolean') return value;
  const text = String(value).trim().toLowerCase();
  if (text === 'false') return false;
  if (text === 'true' || text === '') return true;
  throw new HeaderInvalidError(Header.RESPONSE_REQUIRED, "Use 'true' or 'false'.");
}

/** Ditto durations: plain seconds, or a number with `ms`, `s` or `m`. */
export function parseTimeoutMs(value: HeaderValue | undefined, defaultMs: number): number {
  if (value === undefined || value === null) return defaultMs;
  const text = String(value).trim();
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text);
  if (!match) throw new TimeoutInvalidError(text);
  const amount = Number(match[1]);
  const unit = match[2] ?? 's';
  const ms = unit === 'ms' ? amount : unit === 's' ? amount * 1000 : amount * 60_000;
  if (!Number.isFinite(ms) || ms > 24 * 3600 * 1000) throw new TimeoutInvalidError(text);
  return Math.round(ms);
}
