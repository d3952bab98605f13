/**
 * How the local runtime invokes a handler, as Lambda would: a bounded number at once (a concurrency
 * limit), each in its own InvokeStore context (installed by local/env.ts) with a Lambda context whose
 * remaining time follows the function's timeout in the stack.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Limiter } from '../lambdas/core/collections';
import { DEFAULTS, FUNCTION_TIMEOUT_SECONDS } from '../lambdas/defaults';
import { inInvocation } from './invoke-store';

/** The part of Lambda's context the handlers use. */
export interface LambdaContext {
  readonly awsRequestId: string;
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  readonly memoryLimitInMB: string;
  getRemainingTimeInMillis(): number;
}

/** Local routes that are WebSocket route keys map to their function's timeout. */
const TIMEOUT_SECONDS: Record<string, number> = {
  ...FUNCTION_TIMEOUT_SECONDS,
  $connect: FUNCTION_TIMEOUT_SECONDS['ws-connect'],
  $disconnect: FUNCTION_TIMEOUT_SECONDS['ws-disconnect'],
  $default: FUNCTION_TIMEOUT_SECONDS['ws-default'],
};

export class LambdaRuntime {
  private readonly concurrency: Limiter;

  constructor(
    maxConcurrentInvocations: number,
    private readonly onInvoke?: (route: string, ms: number) => void,
  ) {
    this.concurrency = new Limiter(maxConcurrentInvocations);
  }

  invoke<E, R>(route: string, handler: (event: E, context: LambdaContext) => Promise<R>, event: E): Promise<R> {
    return this.concurrency.run(async () => {
      const start = performance.now();
      const deadline = Date.now() + (TIMEOUT_SECONDS[route] ?? 10) * 1000;
      const requestId = randomUUID();
      const context: LambdaContext = {
        awsRequestId: requestId,
        functionName: `local-${route}`,
        functionVersion: '$LATEST',
        invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:local-${route}`,
        memoryLimitInMB: String(DEFAULTS.lambdaMemoryMb),
        getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      };
      try {
        return await inInvocation(requestId, () => handler(event, context));
      } finally {
        this.onInvoke?.(route, performance.now() - start);
      }
    });
  }
}
