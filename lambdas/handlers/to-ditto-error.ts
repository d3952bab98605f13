/** The one place where errors become Ditto errors: HTTP responses and error envelopes. */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { DittoError, InternalError, RequestTimeoutError, SendNotAllowedError, ServiceUnavailableError } from '../core/errors';
import { errorEnvelope, formatEnvelope } from '../core/protocol';
import { loggableError, logger } from '../observability/logger';
import { record } from '../observability/metrics';

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

/** `seen`: a cause chain may loop (an error that is, or leads back to, its own cause). */
function isUnavailable(e: unknown, seen = new Set<unknown>()): boolean {
  const err = e as { name?: string; code?: string; cause?: unknown; $metadata?: { httpStatusCode?: number }; errors?: unknown[] };
  if (!err || typeof err !== 'object' || seen.has(e)) return false;
  seen.add(e);
  if (err.name && UNAVAILABLE_NAMES.has(err.name)) return true;
  if (err.code && UNAVAILABLE_CODES.has(err.code)) return true;
  // The SDK wraps non-Error throwables (e.g. from another realm) into 'AWS SDK error wrapper for …', keeping only the text.
  if (typeof (e as Error).message === 'string' && NETWORK_MESSAGE.test((e as Error).message)) return true;
  if ((err.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  if (Array.isArray(err.errors) && err.errors.some((inner) => isUnavailable(inner, seen))) return true; // AggregateError from happy-eyeballs connects
  return isUnavailable(err.cause, seen);
}

export interface ErrorContext {
  readonly correlationId?: string;
  readonly thingId?: string;
  readonly where: string;
}

/** Counts what clients are told that an operator cares about. */
function count(error: DittoError): void {
  if (error.status === 401) record('AuthenticationFailures');
  else if (error instanceof SendNotAllowedError) record('SendsNotAllowed');
  else if (error instanceof RequestTimeoutError) record('Timeouts');
}

export function toDittoError(e: unknown, context: ErrorContext): DittoError {
  if (e instanceof DittoError) {
    count(e);
    if (e.status === 401) logger.info('authentication failed', { where: context.where, reason: e.description });
    return e;
  }
  if (isUnavailable(e)) {
    logger.warn('backend unavailable', { where: context.where, error: loggableError(e) });
    return new ServiceUnavailableError(undefined, { cause: e });
  }
  // Powertools logs an Error with its name, message, location, stack and nested cause.
  logger.error('unhandled error', { where: context.where, error: loggableError(e) });
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
