/** What the WebSocket authorizer hands to every route of a connection. */
import type { Principal } from '../auth/authenticate';
import { AuthenticationFailedError } from '../core/errors';

/** Authorizer context values must be flat strings/numbers, so subjects travel as JSON. */
export interface AuthorizerContext {
  readonly subjects: string;
  readonly expiresAt?: number;
}

export function toAuthorizerContext(principal: Principal): AuthorizerContext {
  return { subjects: JSON.stringify(principal.subjects), ...(principal.expiresAt !== undefined ? { expiresAt: principal.expiresAt } : {}) };
}

export interface WsRequestContext {
  readonly connectionId?: string;
  readonly authorizer?: Record<string, unknown> | null;
}

/** A WebSocket route event ($connect, $default, $disconnect) as the handlers read it. */
export interface WsEvent {
  readonly requestContext: WsRequestContext & { readonly connectionId: string; readonly routeKey?: string };
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
}

export function principalOf(requestContext: WsRequestContext): Principal {
  const raw = requestContext.authorizer?.subjects;
  if (typeof raw !== 'string') throw new AuthenticationFailedError('The connection carries no authenticated subjects.');
  const subjects = JSON.parse(raw) as unknown;
  if (!Array.isArray(subjects) || subjects.length === 0 || !subjects.every((s) => typeof s === 'string')) {
    throw new AuthenticationFailedError('The connection carries no authenticated subjects.');
  }
  const exp = Number(requestContext.authorizer?.expiresAt);
  return { subjects, ...(Number.isFinite(exp) && exp > 0 ? { expiresAt: exp } : {}) };
}
