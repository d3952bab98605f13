/**
 * What an operator gets from one routed message: Powertools log lines (keys, no token) and EMF
 * metrics (names, units, dimensions), as the handlers print them in Lambda (not dev mode).
 */
import type { LocalGateway } from '../../local/gateway';

// Before any handler module loads: Lambda-style output (compact JSON, EMF on), everything logged.
process.env.POWERTOOLS_DEV = 'false';
process.env.POWERTOOLS_METRICS_DISABLED = 'false';
process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';

// Required, not imported: an import would load the handlers before the environment above is set.
const harness = require('../support/harness') as typeof import('../support/harness');

let gateway: LocalGateway;
let lines: string[] = [];
const originalWrite = process.stdout.write.bind(process.stdout);

beforeAll(async () => {
  gateway = await harness.startTestGateway();
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    lines.push(
      ...String(chunk)
        .split('\n')
        .filter((l) => l.trim().length > 0),
    );
    return (originalWrite as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
});
afterAll(async () => {
  process.stdout.write = originalWrite;
  await gateway.stop();
});

const parsed = () => lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, any>);

describe('one routed message (HTTP in, WebSocket device answering)', () => {
  let token: string;
  let thingId: string;
  /**
   * Each test routes its own message, not a beforeAll hook or a shared one: mutation testing attributes the code a
   * test runs to that test, and code run by hooks or by an earlier test to none of the later ones.
   */
  async function routeOneMessage(): Promise<void> {
    const name = harness.uniqueName();
    const auth = await harness.bearer(name);
    token = auth.slice('Bearer '.length);
    thingId = `${harness.uniqueNamespace()}:lamp`;
    expect((await harness.putJson(gateway, `/api/2/things/${thingId}`, auth, {})).status).toBe(201);
    const device = await harness.TestClient.connect(gateway.wsUrl, { query: `access_token=${token}` });
    await device.subscribe();
    lines = [];
    const request = harness.http(gateway, 'POST', `/api/2/things/${thingId}/inbox/messages/turnOff?timeout=5`, {
      auth,
      body: JSON.stringify({ secret: 'payload-marker' }),
      headers: { 'content-type': 'application/json', 'correlation-id': 'obs-1' },
    });
    const m = await device.nextJson();
    const response = {
      topic: m.topic,
      path: m.path,
      headers: { 'correlation-id': 'obs-1', 'content-type': 'application/json' },
      value: { ok: true },
      status: 200,
    };
    device.send(response);
    expect((await request).status).toBe(200);
    // Two late answers: dropped, and counted as such (two, so that a swap of the two metrics shows).
    device.send(response);
    device.send(response);
    const count = (name: string) => lines.filter((l) => l.includes(`"${name}"`)).length;
    await waitFor(() => count('ResponsesRouted') >= 1 && count('ResponsesDropped') >= 2);
    await device.close();
  }
  const waitFor = async (done: () => boolean) => {
    for (const until = Date.now() + 5000; !done(); await new Promise((r) => setTimeout(r, 20)))
      if (Date.now() > until) throw new Error('timed out waiting for the log line');
  };

  it('logs with the Lambda request id, the handler and the request keys, and never the token', async () => {
    await routeOneMessage();
    const routed = parsed().find((l) => l.message === 'message routed');
    expect(routed).toMatchObject({
      level: 'DEBUG',
      service: 'ditto-live-router',
      function_request_id: expect.any(String),
      function_name: 'local-http-api',
      handler: 'http-api',
      transport: 'http',
      correlationId: 'obs-1',
      thingId,
      subject: 'turnOff',
      recipients: 1,
      delivered: 1,
      queued: 0,
      targets: 0,
      gone: 0,
      failed: 0,
      payload: expect.stringContaining('payload-marker'), // DEBUG only, size-capped
    });
    expect(lines.some((l) => l.includes(token))).toBe(false);
    expect(lines.some((l) => l.includes(token.split('.')[2]!))).toBe(false); // not even the signature
  });

  it('emits EMF metrics with units and only service/handler/transport dimensions', async () => {
    await routeOneMessage();
    const emf = parsed().filter((l) => l._aws);
    const metric = (name: string) =>
      emf.flatMap((l) => (l._aws.CloudWatchMetrics as any[]).map((d) => ({ ...d, blob: l })).filter((d) => d.Metrics.some((x: any) => x.Name === name)))[0];
    const expectations: [string, string, string][] = [
      ['MessagesSent', 'Count', 'http'],
      ['RecipientsPerMessage', 'Count', 'http'],
      ['Deliveries', 'Count', 'http'],
      ['TimeToFirstDelivery', 'Milliseconds', 'http'],
      ['ResponsesRouted', 'Count', 'websocket'],
      ['ResponsesDropped', 'Count', 'websocket'],
    ];
    for (const [name, unit, transport] of expectations) {
      const found = metric(name);
      expect({
        name,
        namespace: found?.Namespace,
        unit: found?.Metrics.find((x: any) => x.Name === name).Unit,
        dimensions: found?.Dimensions,
        transport: found?.blob.transport,
      }).toEqual({
        name,
        namespace: 'DittoLiveRouter',
        unit,
        dimensions: [['service', 'handler', 'transport']],
        transport,
      });
    }
    for (const blob of emf) expect(Object.keys(blob)).not.toEqual(expect.arrayContaining(['thingId']));
    expect(metric('MessagesSent').blob.MessagesSent).toBe(1);
    expect(metric('ResponsesRouted').blob.ResponsesRouted).toBe(1);
    // One EMF line per invocation: the totals over all lines.
    const total = (name: string) => emf.reduce((sum, l) => sum + (typeof l[name] === 'number' ? (l[name] as number) : 0), 0);
    expect({ routed: total('ResponsesRouted'), dropped: total('ResponsesDropped') }).toEqual({ routed: 1, dropped: 2 });
  });
});

describe('request keys on HTTP requests', () => {
  it('logs a refused request (401) with where, route and the correlation-id the request carried', async () => {
    lines = [];
    const res = await harness.http(gateway, 'GET', `/api/2/things/${harness.uniqueNamespace()}:t`, {
      auth: 'Bearer not-a-token',
      headers: { 'correlation-id': 'obs-401' },
    });
    expect(res.status).toBe(401);
    expect(parsed().find((l) => l.message === 'authentication failed')).toMatchObject({
      where: 'http-api',
      route: 'GET thing',
      correlationId: 'obs-401',
    });
  });

  it('logs a message sent without a correlation-id under the one generated for it (the one the reply names)', async () => {
    const auth = await harness.bearer(harness.uniqueName());
    const thingId = `${harness.uniqueNamespace()}:lamp`;
    expect((await harness.putJson(gateway, `/api/2/things/${thingId}`, auth, {})).status).toBe(201);
    lines = [];
    const res = await harness.http(gateway, 'POST', `/api/2/things/${thingId}/inbox/messages/ping?timeout=0`, {
      auth,
      body: '1',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(202);
    const generated = res.headers.get('correlation-id');
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    expect(parsed().find((l) => l.message === 'message routed')).toMatchObject({ correlationId: generated, thingId });
  });
});

describe('invocations that record nothing', () => {
  it('add no dimension sets to the next invocation that does (one set per EMF line)', async () => {
    // Required after the environment above, like the harness.
    const { instrumented } = require('../../lambdas/observability/invocation') as typeof import('../../lambdas/observability/invocation');
    const { record } = require('../../lambdas/observability/metrics') as typeof import('../../lambdas/observability/metrics');
    const silent = instrumented('token-sweep', 'schedule', async () => undefined);
    const loud = instrumented('token-sweep', 'schedule', async () => record('ExpiredConnectionsClosed', 2));
    lines = [];
    for (let i = 0; i < 4; i++) await silent(undefined);
    await loud(undefined);
    const emf = parsed().filter((l) => l._aws);
    expect(emf).toHaveLength(1);
    expect(emf[0]!._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service', 'handler', 'transport']]);
    expect(emf[0]!.ExpiredConnectionsClosed).toBe(2);
  });
});
