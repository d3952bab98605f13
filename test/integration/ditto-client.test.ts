/**
 * Compatibility with Ditto's own JavaScript client (the real-world client): WebSocket (live channel)
 * and HTTP, basic and bearer auth, against the local runtime.
 */
import {
  type AuthProvider,
  DittoNodeClient,
  type DittoWebSocketLiveClient,
  NodeHttpBasicAuth,
  NodeHttpBearerAuth,
  NodeWebSocketBasicAuth,
  Subject,
  SubjectId,
} from '@eclipse-ditto/ditto-javascript-client-node';
import type { LocalGateway } from '../../local/gateway';
import { basic, bearer, putJson, startTestGateway, TestClient, uniqueName, uniqueNamespace } from '../support/harness';

let gateway: LocalGateway;
let domain: string;
beforeAll(async () => {
  gateway = await startTestGateway();
  domain = `127.0.0.1:${gateway.port}`;
});
afterAll(async () => {
  clients.splice(0).forEach(closeQuietly);
  await gateway.stop();
});

/**
 * The client's close() makes its socket's 'close' listener call reconnect(), which then returns a
 * rejected promise ('Reconnect disabled') that nobody handles — a client bug that would fail the test
 * run. Neutralise that one reconnect before closing.
 */
function closeQuietly(client: WsClient): void {
  type Internals = { responseHandler?: { resilienceHandler?: { webSocket?: { reconnect?: unknown }; lastWebSocket?: { reconnect?: unknown } } } };
  const handler = (client as unknown as Internals).responseHandler?.resilienceHandler;
  for (const socket of [handler?.webSocket, handler?.lastWebSocket]) if (socket) socket.reconnect = () => new Promise(() => undefined);
  try {
    client.close();
  } catch {
    // throws when the socket never opened
  }
}

type WsClient = DittoWebSocketLiveClient;
const clients: WsClient[] = [];
const devices: TestClient[] = [];
afterEach(async () => {
  await Promise.all(devices.splice(0).map((d) => d.close()));
});

function wsClient(auth: AuthProvider): WsClient {
  const client = DittoNodeClient.newWebSocketClient().withoutTls().withDomain(domain).withAuthProvider(auth).withBuffer(100).liveChannel().build();
  clients.push(client);
  return client;
}

/** A thing owned by nginx:ditto (the Basic dev user) whose policy also grants a bearer user everything on messages. */
async function thing(bearerUser: string): Promise<string> {
  const ns = uniqueNamespace();
  const thingId = `${ns}:car`;
  const entries = {
    DITTO: {
      subjects: { 'nginx:ditto': { type: 'basic' } },
      resources: {
        'policy:/': { grant: ['READ', 'WRITE'], revoke: [] },
        'thing:/': { grant: ['READ', 'WRITE'], revoke: [] },
        'message:/': { grant: ['READ', 'WRITE'], revoke: [] },
      },
    },
    APP: {
      subjects: { [`local:${bearerUser}`]: { type: 'jwt' } },
      resources: { 'thing:/': { grant: ['READ'], revoke: [] }, 'message:/': { grant: ['READ', 'WRITE'], revoke: [] } },
    },
  };
  expect((await putJson(gateway, `/api/2/policies/${thingId}`, basic('ditto', 'ditto'), { entries })).status).toBe(201);
  expect((await putJson(gateway, `/api/2/things/${thingId}`, basic('ditto', 'ditto'), { policyId: thingId })).status).toBe(201);
  return thingId;
}

/** A device on a raw socket that answers what it gets (the Ditto JS client has no API to send a message response). */
async function respondingDevice(auth: string, status = 200): Promise<TestClient> {
  const device = await TestClient.connect(gateway.wsUrl, { auth });
  devices.push(device);
  await device.subscribe();
  device.ws.on('message', (data) => {
    const m = JSON.parse(data.toString());
    if (m.status !== undefined) return;
    device.send({
      topic: m.topic,
      path: m.path,
      headers: { 'correlation-id': m.headers['correlation-id'], 'content-type': 'application/json' },
      value: { got: m.value, path: m.path },
      status,
    });
  });
  return device;
}

describe('Ditto JavaScript client over WebSocket', () => {
  it('receives messages after requestMessages() with subscribeToThing and subscribeToFeature (basic auth)', async () => {
    const app = uniqueName('app');
    const thingId = await thing(app);
    const device = wsClient(NodeWebSocketBasicAuth.newInstance('ditto', 'ditto'));
    const messages = device.getMessagesHandle();
    await messages.requestMessages();
    const thingMessages: unknown[] = [];
    const featureMessages: unknown[] = [];
    messages.subscribeToThing(thingId, (m) => thingMessages.push(m), 'turnOff', 'inbox');
    messages.subscribeToFeature(thingId, 'lamp', (m) => featureMessages.push(m), 'blink', 'inbox');

    const sender = await TestClient.connect(gateway.wsUrl, { auth: await bearer(app) });
    const [ns, name] = thingId.split(':');
    sender.send({
      topic: `${ns}/${name}/things/live/messages/turnOff`,
      path: '/inbox/messages/turnOff',
      headers: { 'content-type': 'text/plain', 'response-required': false },
      value: 'now',
    });
    sender.send({
      topic: `${ns}/${name}/things/live/messages/blink`,
      path: '/features/lamp/inbox/messages/blink',
      headers: { 'content-type': 'text/plain', 'response-required': false },
      value: 'twice',
    });
    for (let i = 0; i < 50 && (thingMessages.length === 0 || featureMessages.length === 0); i++) await new Promise((r) => setTimeout(r, 50));
    expect(thingMessages).toEqual([expect.objectContaining({ topic: `${ns}/${name}/things/live/messages/turnOff`, value: 'now' })]);
    expect(featureMessages).toEqual([expect.objectContaining({ path: '/features/lamp/inbox/messages/blink', value: 'twice' })]);
    await sender.close();
  });

  it('sends messageToThing, messageToFeature, messageFromThing and claim and gets the responses (bearer auth)', async () => {
    const app = uniqueName('app');
    const thingId = await thing(app);
    const device = await respondingDevice(basic('ditto', 'ditto'));
    const token = (await bearer(app)).slice('Bearer '.length);
    // The Node client has no WebSocket-specific bearer provider; its HTTP one sets the same Authorization header.
    const client = wsClient(NodeHttpBearerAuth.newInstance({ getToken: () => token }));
    const messages = client.getMessagesHandle();

    const toThing = await messages.messageToThing(thingId, 'turnOff', { a: 1 } as unknown as string, 'application/json');
    expect(toThing.status).toBe(200);
    expect(toThing.body).toEqual({ got: { a: 1 }, path: '/inbox/messages/turnOff' });

    const toFeature = await messages.messageToFeature(thingId, 'lamp', 'blink', 'fast', 'text/plain');
    expect(toFeature.body).toMatchObject({ path: '/features/lamp/inbox/messages/blink', got: 'fast' });

    const fromThing = await messages.messageFromThing(thingId, 'smoke', 'alarm', 'text/plain');
    expect(fromThing.body).toMatchObject({ path: '/outbox/messages/smoke' });

    const claim = await messages.claim(thingId, 'let me in');
    expect(claim.status).toBe(200);
    expect(claim.body).toMatchObject({ path: '/inbox/messages/claim', got: 'let me in' });
    await device.close();
  });
});

describe('Ditto JavaScript client over HTTP', () => {
  it('sends messageToThing and claim with basic auth and gets the device response', async () => {
    const app = uniqueName('app');
    const thingId = await thing(app);
    const device = await respondingDevice(await bearer(app), 201);
    const client = DittoNodeClient.newHttpClient().withoutTls().withDomain(domain).withAuthProvider(NodeHttpBasicAuth.newInstance('ditto', 'ditto')).build();
    const messages = client.getMessagesHandle();
    // The HTTP client JSON-encodes the message itself (its type says string, it takes any JSON value).
    const response = await messages.messageToThing(thingId, 'turnOff', { b: 2 } as unknown as string, 'application/json');
    expect(response.status).toBe(201);
    expect(response.body).toEqual({ got: { b: 2 }, path: '/inbox/messages/turnOff' });
    const claim = await messages.claim(thingId, 'secret');
    expect(claim.status).toBe(201);
    expect(claim.body).toMatchObject({ path: '/inbox/messages/claim' });
    await device.close();
  });

  it('sends messageToFeature with bearer auth', async () => {
    const app = uniqueName('app');
    const thingId = await thing(app);
    const device = await respondingDevice(basic('ditto', 'ditto'));
    const token = (await bearer(app)).slice('Bearer '.length);
    const client = DittoNodeClient.newHttpClient()
      .withoutTls()
      .withDomain(domain)
      .withAuthProvider(NodeHttpBearerAuth.newInstance({ getToken: () => token }))
      .build();
    const response = await client.getMessagesHandle().messageToFeature(thingId, 'lamp', 'dim', 50 as unknown as string, 'application/json');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ got: 50, path: '/features/lamp/inbox/messages/dim' });
    await device.close();
  });
});

describe("Ditto JavaScript client's twin handles over HTTP", () => {
  it('onboards a device into a policy entry (putSubject / getSubjects) and sets and reads an attribute (putAttribute / getAttribute)', async () => {
    const app = uniqueName('app');
    const thingId = await thing(app);
    const policyId = thingId; // the helper's policy shares the thing's id
    const client = DittoNodeClient.newHttpClient().withoutTls().withDomain(domain).withAuthProvider(NodeHttpBasicAuth.newInstance('ditto', 'ditto')).build();
    const policiesHandle = client.getPoliciesHandle();
    const created = await policiesHandle.putSubject(policyId, 'DITTO', new Subject(SubjectId.fromString('local:device-7'), 'device'));
    expect(created.status).toBe(201);
    const subjects = await policiesHandle.getSubjects(policyId, 'DITTO');
    expect(Object.keys(subjects).sort()).toEqual(['local:device-7', 'nginx:ditto']);
    expect(subjects['local:device-7']!.type).toBe('device');

    const thingsHandle = client.getThingsHandle();
    expect((await thingsHandle.putAttribute(thingId, 'location/floor', 3)).status).toBe(201);
    expect((await thingsHandle.putAttribute(thingId, 'location/floor', 4)).status).toBe(204);
    expect(await thingsHandle.getAttribute(thingId, 'location/floor')).toBe(4);
  });
});
