/**
 * Lambda's InvokeStore for concurrent invocations in one process: what the Node.js runtime installs
 * as `globalThis.awslambda.InvokeStore` before it loads a handler under multi-concurrency, so that
 * Powertools (and the AWS SDK) scope per-request state to each invocation. Same contract as the
 * multi-concurrency store of `@aws/lambda-invoke-store` (AsyncLocalStorage), but installed
 * synchronously, as the runtime does, before any module asks for it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

type Store = Record<string | symbol, unknown>;

const REQUEST_ID = Symbol.for('_AWS_LAMBDA_REQUEST_ID');
const PROTECTED = new Set<string | symbol>([
  REQUEST_ID,
  Symbol.for('_AWS_LAMBDA_X_RAY_TRACE_ID'),
  Symbol.for('_AWS_LAMBDA_TENANT_ID'),
  Symbol.for('_AWS_LAMBDA_TRACEPARENT'),
  Symbol.for('_AWS_LAMBDA_TRACESTATE'),
  Symbol.for('_AWS_LAMBDA_BAGGAGE'),
]);

class LocalInvokeStore {
  private readonly als = new AsyncLocalStorage<Store>();
  getContext = (): Store | undefined => this.als.getStore();
  hasContext = (): boolean => this.als.getStore() !== undefined;
  get = (key: string | symbol): unknown => this.als.getStore()?.[key];
  set = (key: string | symbol, value: unknown): void => {
    if (PROTECTED.has(key)) throw new Error(`Cannot modify protected Lambda context field: ${String(key)}`);
    const store = this.als.getStore();
    if (!store) throw new Error('No context available');
    store[key] = value;
  };
  run = <T>(context: Store, fn: () => T): T => this.als.run(context, fn);
  isProtectedKey = (key: string | symbol): boolean => PROTECTED.has(key);
  getRequestId = (): string => (this.get(REQUEST_ID) as string | undefined) ?? '-';
  getXRayTraceId = (): unknown => this.get(Symbol.for('_AWS_LAMBDA_X_RAY_TRACE_ID'));
  getTenantId = (): unknown => this.get(Symbol.for('_AWS_LAMBDA_TENANT_ID'));
  getTraceparent = (): unknown => this.get(Symbol.for('_AWS_LAMBDA_TRACEPARENT'));
  getTracestate = (): unknown => this.get(Symbol.for('_AWS_LAMBDA_TRACESTATE'));
  getBaggage = (): unknown => this.get(Symbol.for('_AWS_LAMBDA_BAGGAGE'));
}

function store(): LocalInvokeStore {
  const global = globalThis as { awslambda?: { InvokeStore?: unknown } };
  global.awslambda ??= {};
  global.awslambda.InvokeStore ??= new LocalInvokeStore();
  return global.awslambda.InvokeStore as LocalInvokeStore;
}

/** Installs the store (once per realm); call before any handler module loads. */
export function installInvokeStore(): void {
  store();
}

/** Runs one invocation in its own context. */
export const inInvocation = <T>(requestId: string, fn: () => Promise<T>): Promise<T> => store().run({ [REQUEST_ID]: requestId }, fn);
