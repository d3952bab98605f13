/**
 * What the one error mapping counts for operators (handlers/to-ditto-error.ts): refused credentials, refused sends and
 * timeouts, each as its own metric, and nothing for any other error.
 */
// Before the modules load: Lambda-style output with EMF metrics (as observability.test.ts).
process.env.POWERTOOLS_DEV = 'false';
process.env.POWERTOOLS_METRICS_DISABLED = 'false';

const errors = require('../../lambdas/core/errors') as typeof import('../../lambdas/core/errors');
const { toDittoError } = require('../../lambdas/handlers/to-ditto-error') as typeof import('../../lambdas/handlers/to-ditto-error');
const { metrics } = require('../../lambdas/observability/metrics') as typeof import('../../lambdas/observability/metrics');
const { logged } = require('../support/logs') as typeof import('../support/logs');

/** The metrics recorded while mapping `e` (one EMF blob, published as an invocation's end would). */
function countedFor(e: unknown): Record<string, unknown> {
  const lines = logged(() => {
    toDittoError(e, { where: 'test' });
    metrics.publishStoredMetrics();
  });
  return Object.fromEntries(
    lines
      .filter((l) => l._aws)
      .flatMap((l) =>
        (l._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] }).CloudWatchMetrics.flatMap((d) => d.Metrics.map((m) => [m.Name, l[m.Name]])),
      ),
  );
}

describe('the metrics an error is counted under', () => {
  it.each([
    ['a refused credential (401)', new errors.AuthenticationFailedError(), { AuthenticationFailures: 1 }],
    ['a send the policy does not allow (403)', new errors.SendNotAllowedError('ns:thing'), { SendsNotAllowed: 1 }],
    ['a response that did not come in time (408)', new errors.RequestTimeoutError(1000, 'c-1'), { Timeouts: 1 }],
    ['a thing that does not exist (404)', new errors.ThingNotFoundError('ns:thing'), {}],
    ['an unavailable backend (503)', Object.assign(new Error('x'), { name: 'ThrottlingException' }), {}],
    ['a bug (500)', new TypeError('x'), {}],
  ])('%s', (_name, error, expected) => {
    expect(countedFor(error)).toEqual(expected);
  });
});
