/**
 * The one logger (Powertools Logger): JSON lines with the Lambda request id, level from the
 * environment (POWERTOOLS_LOG_LEVEL, default INFO), per-request keys appended by `instrumented()`.
 * Never a token; payloads only at DEBUG and size-capped (`payloadForDebug`).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { SERVICE_NAME } from './names';

export { SERVICE_NAME } from './names';

export const logger = new Logger({ serviceName: SERVICE_NAME });

/** The keys a request may carry; cleared at the end of each invocation. */
export interface RequestKeys {
  readonly correlationId?: string;
  readonly thingId?: string;
  readonly connectionId?: string;
  readonly route?: string;
}

export function appendRequestKeys(keys: RequestKeys): void {
  // Powertools skips undefined values: a key left out keeps what an earlier call appended (tested).
  logger.appendKeys({ ...keys });
}

const MAX_DEBUG_PAYLOAD_CHARS = 2048;

/** A payload for a DEBUG line: only computed when DEBUG is on, and cut to 2 KB. */
export function payloadForDebug(value: unknown): string | undefined {
  if (logger.getLevelName() !== 'DEBUG' && logger.getLevelName() !== 'TRACE') return undefined;
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
  return text.length > MAX_DEBUG_PAYLOAD_CHARS ? `${text.slice(0, MAX_DEBUG_PAYLOAD_CHARS)}… (${text.length} chars)` : text;
}

/**
 * An error as a log attribute. Powertools formats `cause` recursively without a bound, so an error whose cause chain
 * loops back would overflow the stack: such a chain is logged without its causes.
 */
export function loggableError(e: unknown): unknown {
  const seen = new Set<unknown>();
  for (let c: unknown = e; c instanceof Error; c = c.cause) {
    if (seen.has(c)) return { name: (e as Error).name, message: (e as Error).message, stack: (e as Error).stack };
    seen.add(c);
  }
  return e;
}
