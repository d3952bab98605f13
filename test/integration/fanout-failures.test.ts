/**
 * A fan-out whose posts keep failing (the local gateway throttles every @connections call with 429, as API Gateway's
 * account rate would): each failing recipient is logged and counted, the others are not stopped, and the invocation
 * still ends before its deadline.
 */
import type { LocalGateway } from '../../local/gateway';

// Before any handler module loads: Lambda-style output with EMF metrics (as observability.test.ts).
process.env.POWERTOOLS_DEV = 'false';
process.env.POWERTOOLS_METRICS_DISABLED = 'false';

const harness = require('../support/harness') as typeof import('../support/harness');
const { fanOut } = require('../../lambdas/gateway/fanout') as typeof import('../../lambdas/gateway/fanout');
const { sessions } = require('../../lambdas/store/repositories') as typeof import('../../lambdas/store/repositories');
const { metrics } = require('../../lambdas/observability/metrics') as typeof import('../../lambdas/observability/metrics');
const { withDeadline, DEADLINE_MARGIN_MS } = require('../../lambdas/runtime/deadline') as typeof import('../../lambdas/runtime/deadline');
const { loggedAsync } = require('../support/logs') as typeof import('../support/logs');
const { subscriber: subscribeOn } = require('../support/subscriber') as typeof import('../support/subscriber');

let gateway: LocalGateway;
beforeAll(async () => {
  // No token ever: every post to a connection is answered 429 LimitExceededException.
  gateway = await harness.startTestGateway({ connectionsThrottle: { rate: 0, burst: 0 } });
});
afterAll(async () => gateway.stop());

const subscriber = () => subscribeOn(gateway);

it('logs and counts each delivery that failed after retries, keeps the subscriptions, and records FailedDeliveries only', async () => {
  const a = await subscriber();
  const b = await subscriber();
  let result: Awaited<ReturnType<typeof fanOut>> | undefined;
  const lines = await loggedAsync(async () => {
    result = await withDeadline({ getRemainingTimeInMillis: () => DEADLINE_MARGIN_MS + 400 }, () => fanOut([a.subscription, b.subscription], '{"n":1}'));
    metrics.publishStoredMetrics();
  });
  expect(result).toEqual({ delivered: 0, gone: 0, failed: 2 });
  const failures = lines.filter((l) => l.message === 'delivery failed');
  expect(failures.map((l) => l.recipient).sort()).toEqual([a.subscription.connectionId, b.subscription.connectionId].sort());
  for (const l of failures) expect(l).toMatchObject({ level: 'ERROR', error: { name: 'LimitExceededException' } });
  expect(lines.find((l) => l.message === 'deliveries failed after retries')).toMatchObject({ level: 'ERROR', failed: 2, delivered: 0, gone: 0 });
  const emf = lines.filter((l) => l._aws);
  const names = emf.flatMap((l) =>
    (l._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] }).CloudWatchMetrics.flatMap((d) => d.Metrics.map((m) => m.Name)),
  );
  expect(names).toEqual(['FailedDeliveries']);
  expect(emf[0]!.FailedDeliveries).toBe(2);
  // A throttled post says nothing about the connection: its index items stay.
  expect((await sessions().subscriptionsFor(a.subscription.subjects)).map((s) => s.connectionId)).toContain(a.subscription.connectionId);
  await Promise.all([a.client.close(), b.client.close()]);
});

it('logs an expired connection it could not tell and close, and goes on with the others', async () => {
  const expired = await subscriber();
  const other = await subscriber();
  let result: Awaited<ReturnType<typeof fanOut>> | undefined;
  const lines = await loggedAsync(async () => {
    result = await withDeadline({ getRemainingTimeInMillis: () => DEADLINE_MARGIN_MS + 400 }, () =>
      fanOut([{ ...expired.subscription, tokenExpiresAt: Math.floor(Date.now() / 1000) - 60 }, other.subscription], '{"n":2}'),
    );
  });
  expect(result).toEqual({ delivered: 0, gone: 0, failed: 1 });
  expect(lines.find((l) => l.message === 'closing an expired connection failed')).toMatchObject({
    level: 'ERROR',
    recipient: expired.subscription.connectionId,
    error: { name: 'LimitExceededException' },
  });
  expect(expired.client.closed).toBeUndefined();
  await Promise.all([expired.client.close(), other.client.close()]);
});
