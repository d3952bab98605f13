/**
 * The current invocation's deadline, for work that retries (posts to connections): taken from the
 * Lambda context at the handler's entry and carried through async calls (AsyncLocalStorage), so the
 * local runtime's concurrent invocations in one process each keep their own.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface RemainingTime {
  getRemainingTimeInMillis(): number;
}

/** Kept back from the invocation's end so a handler can still answer after its last retry. */
export const DEADLINE_MARGIN_MS = 500;
/** Without a Lambda context (a direct call): a budget like the default function timeout. */
const DEFAULT_BUDGET_MS = 10_000;

const current = new AsyncLocalStorage<number>();

export function withDeadline<T>(context: RemainingTime | undefined, work: () => Promise<T>): Promise<T> {
  const budget = context ? context.getRemainingTimeInMillis() : DEFAULT_BUDGET_MS;
  return current.run(Date.now() + budget - DEADLINE_MARGIN_MS, work);
}

/** Narrows the deadline for part of an invocation (e.g. an HTTP request API Gateway ends sooner). */
export function withDeadlineAt<T>(until: number, work: () => Promise<T>): Promise<T> {
  return current.run(Math.min(until, deadline()), work);
}

/** Epoch ms by which retries must have ended. */
export const deadline = (): number => current.getStore() ?? Date.now() + DEFAULT_BUDGET_MS;
