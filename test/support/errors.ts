import { DittoError } from '../../lambdas/core/errors';

/** The DittoError a call throws (fails the test when it returns or throws something else). */
export function thrown(fn: () => unknown): DittoError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DittoError) return e;
    throw e;
  }
  throw new Error('expected a DittoError, but the call returned');
}
