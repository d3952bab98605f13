/**
 * One fan-out to real WebSocket clients of the local gateway: who gets the message, who gets the expired-token notice
 * and is closed, and the metrics it records (EMF, as in Lambda), each only when there is something to count.
 */
import type { Subscription } from '../../lambdas/core/messages';
import type { LocalGateway } from '../../local/gateway';

// Before any handler module loads: Lambda-style output with EMF metrics (as observability.test.ts).
process.env.POWERTOOLS_DEV = 'false';
process.env.POWERTOOLS_METRICS_DISABLED = 'false';

const harness = require('../support/harness') as typeof import('../support/harness');
const { fanOut } = require('../../lambdas/gateway/fanout') as typeof import('../../lambdas/gateway/fanout');
const { metrics } = require('../../lambdas/observability/metrics') as typeof import('../../lambdas/observability/metrics');
const { loggedAsync } = require('../support/logs') as typeof import('../support/logs');
const { subscriber: subscribeOn } = require('../support/subscriber') as typeof import('../support/subscriber');

let gateway: LocalGateway;
beforeAll(async () => {
  gateway = await harness.startTestGateway();
});
afterAll(async () => gateway.stop());

const subscriber = () => subscribeOn(gateway);

/** The fan-out's result and the metrics it recorded (one EMF blob, published as an invocation's end would). */
async function fanOutMeasured(recipients: Subscription[], data: string, startedAt?: number) {
  let result: Awaited<ReturnType<typeof fanOut>> | undefined;
  const lines = await loggedAsync(async () => {
    result = await fanOut(recipients, data, startedAt);
    metrics.publishStoredMetrics();
  });
  const emf = lines.filter((l) => l._aws);
  const values = Object.fromEntries(
    emf.flatMap((l) =>
      (l._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] }).CloudWatchMetrics.flatMap((d) => d.Metrics.map((m) => [m.Name, l[m.Name]])),
    ),
  );
  return { result: result!, metrics: values };
}

it('tells a recipient whose token has expired why, closes it and gives it nothing; the others get the message', async () => {
  const live = await subscriber();
  const expired = await subscriber();
  const data = JSON.stringify({ topic: 'ns/t/things/live/messages/x', path: '/outbox/messages/x', headers: {}, value: 'hello' });

  const { result } = await fanOutMeasured([live.subscription, { ...expired.subscription, tokenExpiresAt: Math.floor(Date.now() / 1000) - 60 }], data);

  expect(result).toEqual({ delivered: 1, gone: 0, failed: 0 });
  expect((await live.client.nextJson()).value).toBe('hello');
  expect(await expired.client.nextJson()).toMatchObject({
    value: { error: 'gateway:authentication.failed', description: 'The token of this connection has expired; reconnect with a fresh token.' },
  });
  await harness.eventually(() => expired.client.closed !== undefined);
  expect(await expired.client.silentFor(50)).toBe(true);
  await live.client.close();
});

it('records deliveries and the time to the first one, and no gone connections when none were gone', async () => {
  const live = await subscriber();
  const startedAt = Date.now() - 10_000;
  const before = Date.now();
  const { result, metrics: recorded } = await fanOutMeasured([live.subscription], '{"n":1}', startedAt);
  expect(result).toEqual({ delivered: 1, gone: 0, failed: 0 });
  expect(recorded).toEqual({ Deliveries: 1, TimeToFirstDelivery: expect.any(Number) });
  expect(recorded.TimeToFirstDelivery).toBeGreaterThanOrEqual(before - startedAt);
  expect(recorded.TimeToFirstDelivery).toBeLessThanOrEqual(Date.now() - startedAt);
  await live.client.close();
});

it('records gone connections, and no deliveries when nothing was delivered', async () => {
  const ghost = `ghost-${harness.uniqueName()}`;
  const { result, metrics: recorded } = await fanOutMeasured([{ connectionId: ghost, subjects: [`local:${ghost}`] }], '{"n":2}');
  expect(result).toEqual({ delivered: 0, gone: 1, failed: 0 });
  expect(recorded).toEqual({ GoneConnections: 1 });
});
