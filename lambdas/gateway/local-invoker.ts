/**
 * Without queues (the local runtime), fan-out batches and timeout checks run in-process. They are
 * separate Lambda invocations on AWS, so they must not share the sending invocation's request
 * state (log keys, metrics, deadline): the local runtime registers an invoker that starts each one
 * as an invocation of its own. Without one (a direct call in a test), the handler is just called.
 */
export type Invoker = <E, R>(route: string, handler: (event: E) => Promise<R>, event: E) => Promise<R>;

let invoker: Invoker = (_route, handler, event) => handler(event);

export function setLocalInvoker(next: Invoker): void {
  invoker = next;
}

export const invokeLocally: Invoker = (route, handler, event) => invoker(route, handler, event);
