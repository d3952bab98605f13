/** The one place where errors become Ditto errors: HTTP responses and error envelopes. */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { DittoError, InternalError, ServiceUnavailableError } from '../core/errors';
import { errorEnvelope, formatEnvelope } from '../core/protocol';

const UNAVAILABLE_NAMES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'InternalServerError',
  'NetworkingError',
]);
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const NETWORK_MESSAGE = /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|EAI_AGAIN|socket hang up)\b/;

function isUnavailable(e: unknown): boolean {
  const err = e as { name?: string; code?: string; cause?: unknown; $metadata?: { httpStatusCode?: number }; errors?: unknown[] };
  if (!err || typeof err !== 'object') return false;
  if (err.name && UNAVAILABLE_NAMES.has(err.name)) return true;
  if (err.code && UNAVAILABLE_CODES.has(err.code)) return true;
  // The SDK wraps non-Error throwables (e.g. from another realm) into 'AWS SDK error wrapper for …', keeping only the text.
  if (typeof (e as Error).message === 'string' && NETWORK_MESSAGE.test((e as Error).message)) return true;
  if ((err.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  if (Array.isArray(err.errors) && err.errors.some(isUnavailable)) return true; // AggregateError from happy-eyeballs connects
  return err.cause !== undefined && err.cause !== e && isUnavailable(err.cause);
}

export interface ErrorContext {
  readonly correlationId?: string;
  readonly thingId?: string;
  readonly where: string;
}

export function toDittoError(e: unknown, context: ErrorContext): DittoError {
  if (e instanceof DittoError) return e;
  if (isUnavailable(e)) {
    console.warn(JSON.stringify({ level: 'warn', msg: 'backend unavailable', ...context, error: String(e) }));
    return new ServiceUnavailableError(undefined, { cause: e });
  }
  console.error(JSON.stringify({ level: 'error', msg: 'unhandled error', ...context, error: String(e), stack: (e as Error)?.stack }));
  return new InternalError();
}

export function httpError(e: unknown, context: ErrorContext): APIGatewayProxyStructuredResultV2 {
  const error = toDittoError(e, context);
  return {
    statusCode: error.status,
    headers: {
      'content-type': 'application/json',
      ...(context.correlationId !== undefined ? { 'correlation-id': context.correlationId } : {}),
    },
    body: JSON.stringify(error.toJson()),
  };
}

export function envelopeError(e: unknown, context: ErrorContext): string {
  return formatEnvelope(errorEnvelope(toDittoError(e, context), context.thingId, context.correlationId));
}
