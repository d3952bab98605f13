/**
 * One target-push invocation (the SQS consumer that pushes a message to its connection targets), invoked with a job
 * as SQS hands it over: what the endpoints receive, what the operator sees (EMF metrics and log lines, printed as in
 * Lambda) and how the invocation's time bounds a push. Things, policies and connections are set up through the local
 * gateway; the message itself is not sent through it, so no other push runs meanwhile.
 */
import type { SQSEvent } from 'aws-lambda';
import type { LocalGateway } from '../../local/gateway';
import { Endpoint } from '../support/endpoint';

// Before any handler module loads: Lambda-style output (compact JSON, EMF on) with warnings.
process.env.POWERTOOLS_DEV = 'false';
process.env.POWERTOOLS_METRICS_DISABLED = 'false';
process.env.POWERTOOLS_LOG_LEVEL = 'WARN';

// Required, not imported: an import would load the handlers before the environment above is set.
const harness = require('../support/harness') as typeof import('../support/harness');
const { worldOn } = require('../support/world') as typeof import('../support/world');
const { loggedAsync } = require('../support/logs') as typeof import('../support/logs');
const { handler: targetPush } = require('../../lambdas/handlers/target-push') as typeof import('../../lambdas/handlers/target-push');
const { targets } = require('../../lambdas/store/repositories') as typeof import('../../lambdas/store/repositories');

const DEVOPS = harness.basic('devops', 'foobar');

type Line = Record<string, any>;
interface Invocation {
  readonly logs: Line[];
  /** The invocation's EMF blob (one per invocation), {} when it recorded nothing. */
  readonly metrics: Line;
  readonly elapsedMs: number;
}

let gateway: LocalGateway;
let endpoint: Endpoint;
const world = worldOn(() => gateway);

beforeAll(async () => {
  [gateway, endpoint] = await Promise.all([harness.startTestGateway(), Endpoint.start()]);
});
afterAll(() => Promise.all([gateway.stop(), endpoint.stop()]));
afterEach(() => {
  endpoint.answer = () => ({ status: 204 });
  endpoint.release();
});

async function createConnection(uri: string, subject: string, targetList: Record<string, unknown>[]): Promise<string> {
  const body = {
    connectionType: 'http-push',
    connectionStatus: 'open',
    uri,
    sources: [],
    targets: targetList.map((t) => ({ topics: ['_/_/things/live/messages'], authorizationContext: [subject], ...t })),
  };
  const res = await harness.http(gateway, 'POST', '/api/2/connections', { auth: DEVOPS, body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  return (res.json() as { id: string }).id;
}
const endpointUri = () => `http://127.0.0.1:${endpoint.port}`;

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const closed = await Endpoint.start();
  const port = closed.port;
  await closed.stop();
  return port;
}

/** A thing whose READER may read its messages and attributes. */
async function setUp(attributes: Record<string, unknown> = {}) {
  const w = await world({ READER: { 'message:/': { grant: ['READ'] }, 'thing:/attributes': { grant: ['READ'] } } }, attributes);
  return { w, reader: (await w.user('READER')).subject };
}

const envelopeOf = (thingId: string, subject: string, headers: Record<string, unknown> = {}, path = `/inbox/messages/${subject}`) => {
  const [ns, name] = thingId.split(':');
  return {
    topic: `${ns}/${name}/things/live/messages/${subject}`,
    path,
    headers: { 'content-type': 'application/json', 'correlation-id': harness.uniqueName('corr'), ...headers },
    value: { on: true },
  };
};

/** Invokes the consumer with one SQS record of the job and `remainingMs` left of the invocation. */
async function push(envelope: unknown, connections: string[], remainingMs = 30_000): Promise<Invocation> {
  const event = { Records: [{ messageId: harness.uniqueName('m'), body: JSON.stringify({ connections, envelope }) }] } as unknown as SQSEvent;
  const started = Date.now();
  let elapsedMs = 0;
  const lines = await loggedAsync(async () => {
    await targetPush(event, { getRemainingTimeInMillis: () => remainingMs });
    elapsedMs = Date.now() - started;
  });
  const emf = lines.filter((l) => l._aws && l.handler === 'target-push');
  expect(emf.length).toBeLessThanOrEqual(1);
  return { logs: lines.filter((l) => !l._aws), metrics: emf[0] ?? {}, elapsedMs };
}

const metricValues = (blob: Line, name: string): number[] => (blob[name] === undefined ? [] : [blob[name]].flat());

describe('the outcome of a push, as metrics', () => {
  it('counts delivered targets in TargetDeliveries and failed ones in TargetFailures, not a target whose address does not resolve', async () => {
    const { w, reader } = await setUp();
    const ok = await createConnection(endpointUri(), reader, [
      { address: `POST:/count/${w.ns}/one` },
      { address: `POST:/count/${w.ns}/two` },
      { address: `POST:/count/${w.ns}/{{ feature:id }}` }, // a message to the thing itself: dropped
    ]);
    const refused = await createConnection(`http://127.0.0.1:${await closedPort()}`, reader, [{ address: 'POST:/refused' }]);
    const { metrics, logs, elapsedMs } = await push(envelopeOf(w.thingId, 'count'), [ok, refused]);

    expect(
      endpoint.received
        .filter((r) => r.path.startsWith(`/count/${w.ns}/`))
        .map((r) => r.path)
        .sort(),
    ).toEqual([`/count/${w.ns}/one`, `/count/${w.ns}/two`]);
    expect({ deliveries: metrics.TargetDeliveries, failures: metrics.TargetFailures }).toEqual({ deliveries: 2, failures: 1 });
    // The time each answered push took (none for the refused one): within the invocation's time.
    const latencies = metricValues(metrics, 'TargetLatency');
    expect(latencies).toHaveLength(2);
    for (const ms of latencies) expect(ms).toBeGreaterThanOrEqual(0);
    for (const ms of latencies) expect(ms).toBeLessThanOrEqual(elapsedMs);
    const failed = logs.filter((l) => l.message === 'push to connection target failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ level: 'ERROR', connection: refused, error: expect.objectContaining({ code: 'ECONNREFUSED' }) });
  });

  it('records no TargetFailures when all were delivered, and no TargetDeliveries when all failed', async () => {
    const { w, reader } = await setUp();
    const ok = await createConnection(endpointUri(), reader, [{ address: `POST:/all-ok/${w.ns}` }]);
    const refused = await createConnection(`http://127.0.0.1:${await closedPort()}`, reader, [{ address: 'POST:/refused' }]);

    const delivered = await push(envelopeOf(w.thingId, 'ok'), [ok]);
    expect(delivered.metrics.TargetDeliveries).toBe(1);
    expect(delivered.metrics).not.toHaveProperty('TargetFailures');

    const failed = await push(envelopeOf(w.thingId, 'fail'), [refused]);
    expect(failed.metrics.TargetFailures).toBe(1);
    expect(failed.metrics).not.toHaveProperty('TargetDeliveries');
  });
});

describe('what a target receives', () => {
  it('pushes only to the connections the sender named, not to another one its subjects may read', async () => {
    const { w, reader } = await setUp();
    const named = await createConnection(endpointUri(), reader, [{ address: `POST:/named/${w.ns}` }]);
    await createConnection(endpointUri(), reader, [{ address: `POST:/unnamed/${w.ns}` }]);
    const { metrics } = await push(envelopeOf(w.thingId, 'x'), [named]);
    expect(endpoint.requestsTo(`/named/${w.ns}`)).toHaveLength(1);
    expect(endpoint.requestsTo(`/unnamed/${w.ns}`)).toEqual([]);
    expect(metrics.TargetDeliveries).toBe(1);
  });

  it('sends a GET target neither a body nor a content-type (omitRequestBody), a POST target both', async () => {
    const { w, reader } = await setUp();
    const id = await createConnection(endpointUri(), reader, [{ address: `GET:/get/${w.ns}` }, { address: `POST:/post/${w.ns}` }]);
    await push(envelopeOf(w.thingId, 'x'), [id]);
    const [get] = endpoint.requestsTo(`/get/${w.ns}`);
    expect({ method: get?.method, body: get?.body, contentType: get?.headers['content-type'], length: get?.headers['content-length'] }).toEqual({
      method: 'GET',
      body: '',
      contentType: undefined,
      length: '0',
    });
    const [post] = endpoint.requestsTo(`/post/${w.ns}`);
    expect(post?.headers['content-type']).toBe('application/vnd.eclipse.ditto+json');
    expect(JSON.parse(post!.body)).toMatchObject({ path: '/inbox/messages/x', value: { on: true } });
  });

  it("filters on the feature and on the attributes the target's subjects may read", async () => {
    const { w, reader } = await setUp({ kind: 'detector' });
    const id = await createConnection(endpointUri(), reader, [
      { address: `POST:/lamp/${w.ns}`, topics: [`_/_/things/live/messages?filter=${encodeURIComponent('eq(featureId,"lamp")')}`] },
      { address: `POST:/detector/${w.ns}`, topics: [`_/_/things/live/messages?filter=${encodeURIComponent('eq(attributes/kind,"detector")')}`] },
    ]);
    await push(envelopeOf(w.thingId, 'toThing'), [id]);
    await push(envelopeOf(w.thingId, 'toLamp', {}, '/features/lamp/inbox/messages/toLamp'), [id]);
    expect(endpoint.requestsTo(`/lamp/${w.ns}`).map((r) => JSON.parse(r.body).path)).toEqual(['/features/lamp/inbox/messages/toLamp']);
    expect(endpoint.requestsTo(`/detector/${w.ns}`).map((r) => JSON.parse(r.body).path)).toEqual([
      '/inbox/messages/toThing',
      '/features/lamp/inbox/messages/toLamp',
    ]);
  });
});

describe("the endpoint's answer, as the operator sees it", () => {
  it('logs an error status from 400 on (with the connection and status), not 399', async () => {
    const { w, reader } = await setUp();
    endpoint.answer = (r) => ({ status: r.path.endsWith('/400') ? 400 : r.path.endsWith('/399') ? 399 : 204 });
    const id = await createConnection(endpointUri(), reader, [{ address: `POST:/status/${w.ns}/400` }, { address: `POST:/status/${w.ns}/399` }]);
    const { logs, metrics } = await push(envelopeOf(w.thingId, 'x'), [id]);
    expect(logs.filter((l) => l.message === 'target answered with an error status')).toEqual([
      expect.objectContaining({ level: 'WARN', connection: id, status: 400 }),
    ]);
    // Answered is delivered, whatever the status.
    expect(metrics.TargetDeliveries).toBe(2);
  });

  it('logs a Ditto Protocol answer that is not one, and one whose informational status cannot answer', async () => {
    const { w, reader } = await setUp();
    const ditto = { 'content-type': 'application/vnd.eclipse.ditto+json' };
    endpoint.answer = (r) => {
      if (r.path.endsWith('/garbage')) return { status: 200, headers: ditto, body: 'not json' };
      const m = JSON.parse(r.body);
      return {
        status: 200,
        headers: ditto,
        body: JSON.stringify({ topic: m.topic, path: m.path, headers: { 'correlation-id': m.headers['correlation-id'] }, status: 100 }),
      };
    };
    const id = await createConnection(endpointUri(), reader, [{ address: `POST:/answer/${w.ns}/garbage` }, { address: `POST:/answer/${w.ns}/informational` }]);
    const { logs, metrics } = await push(envelopeOf(w.thingId, 'x'), [id]);
    expect(logs.find((l) => l.message === 'target answered with an invalid Ditto Protocol message')).toMatchObject({
      level: 'WARN',
      error: expect.objectContaining({ message: expect.any(String) }),
    });
    expect(logs.find((l) => l.message === 'the answer of a connection target was refused')).toMatchObject({
      level: 'WARN',
      connection: id,
      error: expect.objectContaining({ description: expect.stringContaining('informational statuses cannot answer a message') }),
    });
    expect(metrics.TargetDeliveries).toBe(2);
  });

  it.each([
    ['boolean', false],
    ['string', 'false'],
  ])('does not route a live-response answer to a message sent with response-required false (%s)', async (_what, responseRequired) => {
    const { w, reader } = await setUp();
    endpoint.answer = () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"answer":42}' });
    const id = await createConnection(endpointUri(), reader, [{ address: `POST:/fire-and-forget/${w.ns}`, issuedAcknowledgementLabel: 'live-response' }]);
    // A sender waiting: the answer is routed (here nobody waits, so it is counted as dropped).
    const waited = await push(envelopeOf(w.thingId, 'x'), [id]);
    expect(waited.metrics.ResponsesDropped).toBe(1);
    const notWaited = await push(envelopeOf(w.thingId, 'x', { 'response-required': responseRequired }), [id]);
    expect(endpoint.requestsTo(`/fire-and-forget/${w.ns}`)).toHaveLength(2);
    expect(notWaited.metrics).not.toHaveProperty('ResponsesDropped');
    expect(notWaited.metrics).not.toHaveProperty('ResponsesRouted');
    expect(notWaited.metrics.TargetDeliveries).toBe(1);
  });
});

describe("the invocation's time", () => {
  it('pushes nothing when less than half a second would be left before the 3 s kept to route the answer, and counts a failure', async () => {
    const { w, reader } = await setUp();
    const id = await createConnection(endpointUri(), reader, [{ address: `POST:/late/${w.ns}` }]);
    // 3.5 s left, 0.5 s of them kept back by the handler: no time to push.
    const { logs, metrics } = await push(envelopeOf(w.thingId, 'x'), [id], 3500);
    expect(endpoint.requestsTo(`/late/${w.ns}`)).toEqual([]);
    expect(metrics.TargetFailures).toBe(1);
    expect(logs.find((l) => l.message === 'push to connection target failed')).toMatchObject({
      connection: id,
      error: expect.objectContaining({ message: 'No time left in this invocation to push to the connection target.' }),
    });
  });

  it('ends a push the endpoint holds 3 s before the invocation ends, not at the 20 s target timeout', async () => {
    const { w, reader } = await setUp();
    endpoint.answer = () => 'hold';
    const id = await createConnection(endpointUri(), reader, [{ address: `POST:/held/${w.ns}` }]);
    // 6 s left: 0.5 s kept by the handler and 3 s for the answer leave 2.5 s for the push.
    const { metrics, elapsedMs } = await push(envelopeOf(w.thingId, 'x'), [id], 6000);
    expect(endpoint.requestsTo(`/held/${w.ns}`)).toHaveLength(1);
    expect(metrics.TargetFailures).toBe(1);
    expect(elapsedMs).toBeGreaterThanOrEqual(2000);
    expect(elapsedMs).toBeLessThan(6000);
  });
});

describe('the connections a container routes with', () => {
  it("serves its list for the cache window, then sees another container's change", async () => {
    const { w, reader } = await setUp();
    const id = await createConnection(endpointUri(), reader, [{ address: `POST:/cached/${w.ns}` }]);
    await push(envelopeOf(w.thingId, 'first'), [id]); // loads the list (the create made this container forget it)
    // Deleted by another container: this one still pushes until its list expires (2 s by default).
    expect(await targets().delete(id)).toBe(true);
    await push(envelopeOf(w.thingId, 'cached'), [id]);
    expect(endpoint.requestsTo(`/cached/${w.ns}`)).toHaveLength(2);
    await harness.eventually(async () => (await push(envelopeOf(w.thingId, 'later'), [id])).metrics.TargetDeliveries === undefined, 10_000);
  });
});
