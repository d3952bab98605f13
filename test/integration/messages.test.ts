import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalGateway } from '../../local/gateway';
import { bearer, ddb, eventually, http, Invocations, putJson, sleep, startTestGateway, tableName, TestClient, uniqueName } from '../support/harness';
import { autoRespond, message, worldOn } from '../support/world';

let gateway: LocalGateway;
const invocations = new Invocations();
beforeAll(async () => {
  process.env.CACHE_TTL_MS = '500';
  gateway = await startTestGateway({ onInvoke: invocations.record });
});
afterAll(async () => gateway.stop());

const world = worldOn(() => gateway);

describe('WebSocket to WebSocket', () => {
  it('delivers a message to a subscribed reader with ditto-originator, and routes the response back to the issuer', async () => {
    const w = await world({ device: { 'message:/': { grant: ['READ', 'WRITE'] } } });
    const device = await (await w.user('device')).ws();
    await device.subscribe();
    const app = await TestClient.connect(gateway.wsUrl, { auth: w.ownerAuth });

    app.send(message(w, 'turnOff', { 'correlation-id': 'c-1', 'x-custom': 'kept', authorization: 'Bearer leaked?' }));
    const got = await device.nextJson();
    expect(got).toMatchObject({ topic: w.topic('turnOff'), path: '/inbox/messages/turnOff', value: { on: true } });
    expect(got.headers).toMatchObject({
      'correlation-id': 'c-1',
      'x-custom': 'kept',
      'ditto-originator': `local:${w.owner}`,
      'content-type': 'application/json',
    });
    expect(got.headers.authorization).toBeUndefined();

    device.send({ topic: got.topic, path: got.path, headers: { 'correlation-id': 'c-1', 'content-type': 'text/plain' }, value: 'done', status: 200 });
    const response = await app.nextJson();
    expect(response).toMatchObject({ topic: w.topic('turnOff'), status: 200, value: 'done', headers: { 'correlation-id': 'c-1' } });
    await Promise.all([device.close(), app.close()]);
  });

  it('answers a message sent without a correlation-id under the one generated for it', async () => {
    const w = await world({ device: { 'message:/': { grant: ['READ', 'WRITE'] } } });
    const device = await (await w.user('device')).ws();
    await device.subscribe();
    const app = await TestClient.connect(gateway.wsUrl, { auth: w.ownerAuth });

    app.send(message(w, 'ping'));
    const got = await device.nextJson();
    const generated = got.headers['correlation-id'];
    expect(generated).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    device.send({ topic: got.topic, path: got.path, headers: { 'correlation-id': generated }, value: 'pong', status: 200 });
    expect(await app.nextJson()).toMatchObject({ topic: w.topic('ping'), status: 200, value: 'pong', headers: { 'correlation-id': generated } });
    await Promise.all([device.close(), app.close()]);
  });

  it('does not echo to the sending connection', async () => {
    const w = await world();
    const app = await TestClient.connect(gateway.wsUrl, { auth: w.ownerAuth });
    await app.subscribe();
    app.send(message(w, 'hello', { 'response-required': false }));
    expect(await app.silentFor(400)).toBe(true);
    await app.close();
  });

  it('delivers to every connection of a reader subject but the sender', async () => {
    const w = await world();
    const [a, b] = await Promise.all([TestClient.connect(gateway.wsUrl, { auth: w.ownerAuth }), TestClient.connect(gateway.wsUrl, { auth: w.ownerAuth })]);
    await a.subscribe();
    await b.subscribe();
    a.send(message(w, 'hello', { 'response-required': false }));
    expect((await b.nextJson()).topic).toBe(w.topic('hello'));
    expect(await a.silentFor(300)).toBe(true);
    await Promise.all([a.close(), b.close()]);
  });

  it('gives a WebSocket issuer a 408 error envelope when nobody answers in time', async () => {
    const w = await world();
    const app = await TestClient.connect(gateway.wsUrl, { auth: w.ownerAuth });
    app.send(message(w, 'noone', { 'correlation-id': 'c-timeout', timeout: '300ms' }));
    const error = await app.nextJson(3000);
    expect(error).toMatchObject({
      topic: `${w.ns}/device/things/live/errors`,
      status: 408,
      headers: { 'correlation-id': 'c-timeout' },
      value: { status: 408, error: 'acknowledgement:request.timeout' },
    });
    expect(error.value.message).toContain('300ms');
    await app.close();
  });

  it('sends no 408 once the response has been routed', async () => {
    const w = await world();
    const device = await TestClient.connect(gateway.wsUrl, { auth: w.ownerAuth });
    await device.subscribe();
    autoRespond(device);
    const app = await TestClient.connect(gateway.wsUrl, { auth: w.ownerAuth });
    app.send(message(w, 'quick', { 'correlation-id': 'c-answered', timeout: '300ms' }));
    expect(await app.nextJson()).toMatchObject({ status: 200, headers: { 'correlation-id': 'c-answered' } });
    expect(await app.silentFor(700)).toBe(true); // the timeout check found it answered
    await Promise.all([device.close(), app.close()]);
  });

  it('sends nothing back with response-required=false', async () => {
    const w = await world();
    const app = await TestClient.connect(gateway.wsUrl, { auth: w.ownerAuth });
    app.send(message(w, 'noone', { 'correlation-id': 'c-ff', timeout: '200ms', 'response-required': false }));
    expect(await app.silentFor(600)).toBe(true);
    await app.close();
  });

  it('answers a message with errors on the same connection, which stays open', async () => {
    const w = await world({ reader: { 'message:/': { grant: ['READ'] } } });
    const reader = await (await w.user('reader')).ws();
    reader.send(message(w, 'turnOff', { 'correlation-id': 'c-403' }));
    expect(await reader.nextJson()).toMatchObject({
      status: 403,
      headers: { 'correlation-id': 'c-403' },
      value: { error: 'messages:send.notallowed', message: `You are not allowed to send messages for the Thing with id '${w.thingId}'!` },
    });
    reader.send({ ...message(w, 'x'), path: '/inbox/messages/y' });
    expect(await reader.nextJson()).toMatchObject({ status: 400, value: { error: 'messages:messageformat.invalid' } });
    reader.send(message({ ...w, topic: (s) => `${w.ns}/missing/things/live/messages/${s}` }, 'x'));
    expect(await reader.nextJson()).toMatchObject({ status: 404, value: { error: 'things:thing.notfound' } });
    await reader.subscribe();
    await reader.close();
  });
});

describe('policy narrowing', () => {
  it('delivers only the subjects a reader is granted (message:/inbox/messages/turnOff)', async () => {
    const w = await world({ device: { 'message:/inbox/messages/turnOff': { grant: ['READ'] } } });
    const device = await (await w.user('device')).ws();
    await device.subscribe();
    const app = await TestClient.connect(gateway.wsUrl, { auth: w.ownerAuth });
    app.send(message(w, 'turnOn', { 'response-required': false }));
    app.send(message(w, 'turnOff', { 'response-required': false }));
    expect((await device.nextJson()).topic).toBe(w.topic('turnOff'));
    expect(await device.silentFor(300)).toBe(true);
    await Promise.all([device.close(), app.close()]);
  });

  it('narrows WRITE per subject', async () => {
    const w = await world({ sender: { 'message:/inbox/messages/allowed': { grant: ['WRITE'] } } });
    const sender = await w.user('sender');
    const ok = await http(gateway, 'POST', `/api/2/things/${w.thingId}/inbox/messages/allowed?timeout=0`, {
      auth: sender.auth,
      body: 'x',
      headers: { 'content-type': 'text/plain' },
    });
    expect(ok.status).toBe(202);
    const denied = await http(gateway, 'POST', `/api/2/things/${w.thingId}/inbox/messages/other?timeout=0`, {
      auth: sender.auth,
      body: 'x',
      headers: { 'content-type': 'text/plain' },
    });
    expect(denied.status).toBe(403);
    expect(denied.json()).toMatchObject({ error: 'messages:send.notallowed' });
  });

  it('never delivers to a revoked subject', async () => {
    const w = await world({ revoked: { 'message:/': { grant: ['READ'] }, 'message:/inbox': { revoke: ['READ'] } } });
    const revoked = await (await w.user('revoked')).ws();
    await revoked.subscribe();
    const app = await TestClient.connect(gateway.wsUrl, { auth: w.ownerAuth });
    app.send(message(w, 'secret', { 'response-required': false }));
    app.send(message(w, 'public', { 'response-required': false }, 1, '/outbox/messages/public'));
    expect((await revoked.nextJson()).path).toBe('/outbox/messages/public');
    expect(await revoked.silentFor(300)).toBe(true);
    await Promise.all([revoked.close(), app.close()]);
  });

  it('applies a policy change within the cache window', async () => {
    const w = await world({ device: { 'message:/': { grant: ['READ'] } } });
    const device = await w.user('device');
    const client = await device.ws();
    await client.subscribe();
    const send = () =>
      http(gateway, 'POST', `/api/2/things/${w.thingId}/inbox/messages/ping?timeout=0`, {
        auth: w.ownerAuth,
        body: '1',
        headers: { 'content-type': 'application/json' },
      });
    await send();
    expect((await client.nextJson()).path).toBe('/inbox/messages/ping');

    const policy = (await http(gateway, 'GET', `/api/2/policies/${w.ns}:policy`, { auth: w.ownerAuth })).json() as { entries: Record<string, any> };
    policy.entries.device.resources['message:/'] = { grant: [], revoke: ['READ'] };
    expect((await putJson(gateway, `/api/2/policies/${w.ns}:policy`, w.ownerAuth, policy)).status).toBe(204);
    await sleep(600); // CACHE_TTL_MS is 500 in this suite
    await send();
    expect(await client.silentFor(400)).toBe(true);
    await client.close();
  });
});

describe('subscription filters', () => {
  it('honours the namespaces option', async () => {
    const w = await world();
    const [inNs, otherNs] = await Promise.all([
      TestClient.connect(gateway.wsUrl, { auth: w.ownerAuth }),
      TestClient.connect(gateway.wsUrl, { auth: w.ownerAuth }),
    ]);
    await inNs.subscribe(`?namespaces=${w.ns}`);
    await otherNs.subscribe('?namespaces=org.elsewhere');
    await http(gateway, 'POST', `/api/2/things/${w.thingId}/outbox/messages/alarm?timeout=0`, {
      auth: w.ownerAuth,
      body: '"fire"',
      headers: { 'content-type': 'application/json' },
    });
    expect((await inNs.nextJson()).path).toBe('/outbox/messages/alarm');
    expect(await otherNs.silentFor(300)).toBe(true);
    await Promise.all([inNs.close(), otherNs.close()]);
  });

  it('honours an RQL filter over subject, direction and thing attributes', async () => {
    const w = await world({}, { room: 'kitchen' });
    const [match, miss] = await Promise.all([
      TestClient.connect(gateway.wsUrl, { auth: w.ownerAuth }),
      TestClient.connect(gateway.wsUrl, { auth: w.ownerAuth }),
    ]);
    await match.subscribe(`?filter=${encodeURIComponent('and(eq(attributes/room,"kitchen"),like(subject,"smoke*"),eq(direction,"outbox"))')}`);
    await miss.subscribe(`?filter=${encodeURIComponent('eq(attributes/room,"garage")')}`);
    await http(gateway, 'POST', `/api/2/things/${w.thingId}/outbox/messages/smokeDetected?timeout=0`, {
      auth: w.ownerAuth,
      body: '1',
      headers: { 'content-type': 'application/json' },
    });
    await http(gateway, 'POST', `/api/2/things/${w.thingId}/outbox/messages/other?timeout=0`, {
      auth: w.ownerAuth,
      body: '1',
      headers: { 'content-type': 'application/json' },
    });
    expect((await match.nextJson()).path).toBe('/outbox/messages/smokeDetected');
    expect(await match.silentFor(300)).toBe(true);
    expect(await miss.silentFor(100)).toBe(true);
    await Promise.all([match.close(), miss.close()]);
  });
});

describe('HTTP to WebSocket', () => {
  it('returns the responder status, content-type and payload, and echoes the correlation-id', async () => {
    const w = await world({ device: { 'message:/': { grant: ['READ'] } } });
    const device = await (await w.user('device')).ws();
    await device.subscribe();
    autoRespond(device, 201);
    const res = await http(gateway, 'POST', `/api/2/things/${w.thingId}/features/lamp/inbox/messages/ask/question`, {
      auth: w.ownerAuth,
      body: '{"q":1}',
      headers: { 'content-type': 'application/json', 'correlation-id': 'http-1' },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('correlation-id')).toBe('http-1');
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.json()).toEqual({ echo: { q: 1 } });
    await device.close();
  });

  it('returns 204 without a body when the responder says 204', async () => {
    const w = await world();
    const device = await TestClient.connect(gateway.wsUrl, { auth: w.ownerAuth });
    await device.subscribe();
    autoRespond(device, 204);
    const res = await http(gateway, 'POST', `/api/2/things/${w.thingId}/inbox/messages/x`, {
      auth: w.ownerAuth,
      body: '1',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    await device.close();
  });

  it('round-trips a binary payload as base64', async () => {
    const w = await world();
    const device = await TestClient.connect(gateway.wsUrl, { auth: w.ownerAuth });
    await device.subscribe();
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    const response = fetch(`${gateway.httpUrl}/api/2/things/${w.thingId}/inbox/messages/blob`, {
      method: 'POST',
      headers: { authorization: w.ownerAuth, 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    const m = await device.nextJson();
    expect(m.value).toBe(bytes.toString('base64'));
    device.send({
      topic: m.topic,
      path: m.path,
      headers: { 'correlation-id': m.headers['correlation-id'], 'content-type': 'application/octet-stream' },
      value: Buffer.from([9, 8, 7]).toString('base64'),
      status: 200,
    });
    const res = await response;
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from([9, 8, 7]));
    await device.close();
  });

  it('answers 202 for fire-and-forget (timeout=0 or response-required=false)', async () => {
    const w = await world();
    for (const query of ['timeout=0', 'response-required=false']) {
      const res = await http(gateway, 'POST', `/api/2/things/${w.thingId}/inbox/messages/x?${query}`, {
        auth: w.ownerAuth,
        body: 'x',
        headers: { 'content-type': 'text/plain' },
      });
      expect(res.status).toBe(202);
      expect(res.text).toBe('');
      expect(res.headers.get('correlation-id')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    }
  });

  it('answers 408 when nobody responds in time, naming the timeout', async () => {
    const w = await world();
    const res = await http(gateway, 'POST', `/api/2/things/${w.thingId}/inbox/messages/x?timeout=300ms`, {
      auth: w.ownerAuth,
      body: 'x',
      headers: { 'content-type': 'text/plain' },
    });
    expect(res.status).toBe(408);
    expect(res.json()).toMatchObject({ status: 408, error: 'acknowledgement:request.timeout', message: expect.stringContaining('300ms') });
  });

  it('cuts timeouts above 29 s and says so in a header', async () => {
    const w = await world();
    const device = await TestClient.connect(gateway.wsUrl, { auth: w.ownerAuth });
    await device.subscribe();
    autoRespond(device);
    const res = await http(gateway, 'POST', `/api/2/things/${w.thingId}/inbox/messages/x?timeout=120`, {
      auth: w.ownerAuth,
      body: '1',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('ditto-timeout-capped')).toContain('29000ms');
    await device.close();
  });

  it.each([
    ['timeout=-1', 'timeout.invalid'],
    ['timeout=soon', 'timeout.invalid'],
  ])('rejects %s with 400', async (query, error) => {
    const w = await world();
    const res = await http(gateway, 'POST', `/api/2/things/${w.thingId}/inbox/messages/x?${query}`, { auth: w.ownerAuth, body: 'x' });
    expect(res.json()).toMatchObject({ status: 400, error });
  });

  it('rejects an empty subject and a subject that is only /', async () => {
    const w = await world();
    for (const subject of ['', '%2F']) {
      const res = await http(gateway, 'POST', `/api/2/things/${w.thingId}/inbox/messages/${subject}`, { auth: w.ownerAuth, body: 'x' });
      expect(res.json()).toMatchObject({ status: 400, error: 'messages:subject.invalid' });
    }
  });

  it('answers 413 above the message limit', async () => {
    const w = await world();
    const res = await http(gateway, 'POST', `/api/2/things/${w.thingId}/inbox/messages/x?timeout=0`, {
      auth: w.ownerAuth,
      body: 'x'.repeat(128 * 1024 + 10),
      headers: { 'content-type': 'text/plain' },
    });
    expect(res.status).toBe(413);
    expect(res.json()).toMatchObject({ error: 'messages:payload.toolarge' });
  });

  it('answers 404 for a missing thing and for a thing the sender may not see, 401 without credentials', async () => {
    const w = await world();
    const stranger = await bearer(uniqueName('stranger'));
    expect((await http(gateway, 'POST', `/api/2/things/${w.ns}:missing/inbox/messages/x`, { auth: w.ownerAuth, body: 'x' })).json()).toMatchObject({
      status: 404,
      error: 'things:thing.notfound',
    });
    expect((await http(gateway, 'POST', `/api/2/things/${w.thingId}/inbox/messages/x`, { auth: stranger, body: 'x' })).json()).toMatchObject({
      status: 404,
      error: 'things:thing.notfound',
    });
    expect((await http(gateway, 'POST', `/api/2/things/${w.thingId}/inbox/messages/x`, { body: 'x' })).status).toBe(401);
  });
});

describe('responses and correlation', () => {
  it('lets the first of several concurrent responders win and drops the rest', async () => {
    const w = await world();
    const responders = await Promise.all([1, 2, 3, 4].map(() => TestClient.connect(gateway.wsUrl, { auth: w.ownerAuth })));
    await Promise.all(responders.map((r) => r.subscribe()));
    for (const [i, r] of responders.entries()) autoRespond(r, 200, () => ({ responder: i }));
    const app = await TestClient.connect(gateway.wsUrl, { auth: w.ownerAuth });
    app.send(message(w, 'race', { 'correlation-id': 'c-race' }));
    const first = await app.nextJson();
    expect(first).toMatchObject({ status: 200, value: { responder: expect.any(Number) } });
    expect(await app.silentFor(500)).toBe(true);
    await Promise.all([...responders, app].map((c) => c.close()));
  });

  it('drops late and unknown responses', async () => {
    const w = await world();
    const device = await TestClient.connect(gateway.wsUrl, { auth: w.ownerAuth });
    await device.subscribe();
    const app = await TestClient.connect(gateway.wsUrl, { auth: w.ownerAuth });
    app.send(message(w, 'slow', { 'correlation-id': 'c-late', timeout: '200ms' }));
    const got = await device.nextJson();
    expect((await app.nextJson(3000)).status).toBe(408);
    device.send({ topic: got.topic, path: got.path, headers: { 'correlation-id': 'c-late' }, value: 'late', status: 200 });
    device.send({ topic: got.topic, path: got.path, headers: { 'correlation-id': 'never-sent' }, value: 'who?', status: 200 });
    expect(await app.silentFor(400)).toBe(true);
    expect(await device.silentFor(50)).toBe(true); // dropped silently: no error back either
    await Promise.all([device.close(), app.close()]);
  });

  it('drops a response from a connection without READ on the message (no hijacking by guessing ids)', async () => {
    const w = await world({ device: { 'message:/': { grant: ['READ'] } }, attacker: { 'message:/outbox': { grant: ['READ', 'WRITE'] } } });
    const device = await (await w.user('device')).ws();
    await device.subscribe();
    const attacker = await (await w.user('attacker')).ws();
    const app = await TestClient.connect(gateway.wsUrl, { auth: w.ownerAuth });
    const handled = invocations.count('$default');
    app.send(message(w, 'turnOff', { 'correlation-id': 'c-guess', timeout: '2s' }));
    const got = await device.nextJson();
    attacker.send({ topic: got.topic, path: got.path, headers: { 'correlation-id': 'c-guess' }, value: 'hijacked', status: 200 });
    // Both the app's message and the attacker's answer have been handled before the genuine answer is sent.
    await invocations.until('$default', handled + 2);
    device.send({ topic: got.topic, path: got.path, headers: { 'correlation-id': 'c-guess' }, value: 'genuine', status: 200 });
    expect((await app.nextJson()).value).toBe('genuine');
    await Promise.all([device.close(), attacker.close(), app.close()]);
  });

  it('keeps delivering when one recipient is gone, and removes the stale connection', async () => {
    const w = await world();
    const clients = await Promise.all([1, 2, 3].map(() => TestClient.connect(gateway.wsUrl, { auth: w.ownerAuth })));
    await Promise.all(clients.map((c) => c.subscribe()));
    // Kill one socket without a $disconnect reaching the database first: its index item is stale.
    const connectionIds = await staleConnectionIds(w.owner);
    clients[0]!.ws.terminate();
    await http(gateway, 'POST', `/api/2/things/${w.thingId}/inbox/messages/x?timeout=0`, {
      auth: w.ownerAuth,
      body: '1',
      headers: { 'content-type': 'application/json' },
    });
    expect((await clients[1]!.nextJson()).path).toBe('/inbox/messages/x');
    expect((await clients[2]!.nextJson()).path).toBe('/inbox/messages/x');
    // The gone connection leaves the index (by the send's 410 or by its $disconnect, whichever comes first; the 410 path alone: rules.test.ts).
    await eventually(async () => (await staleConnectionIds(w.owner)).length === connectionIds.length - 1);
    await Promise.all(clients.slice(1).map((c) => c.close()));
  });
});

describe('claim messages', () => {
  it('lets anyone claim an existing thing over HTTP; readers of message:/inbox/messages/claim get it', async () => {
    const w = await world();
    const device = await TestClient.connect(gateway.wsUrl, { auth: w.ownerAuth });
    await device.subscribe();
    autoRespond(device, 200, (m) => ({ claimedBy: m.headers['ditto-originator'] }));
    const claimer = uniqueName('claimer');
    const res = await http(gateway, 'POST', `/api/2/things/${w.thingId}/inbox/claim?timeout=5`, {
      auth: await bearer(claimer),
      body: '"secret"',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ claimedBy: `local:${claimer}` });
    await device.close();
  });

  it('lets anyone claim over WebSocket with subject claim, but not a missing thing', async () => {
    const w = await world();
    const device = await TestClient.connect(gateway.wsUrl, { auth: w.ownerAuth });
    await device.subscribe();
    autoRespond(device);
    const claimer = await TestClient.connect(gateway.wsUrl, { auth: await bearer(uniqueName('claimer')) });
    claimer.send(message(w, 'claim', { 'correlation-id': 'claim-1' }, 'please'));
    expect(await claimer.nextJson()).toMatchObject({ status: 200, value: { echo: 'please' } });
    claimer.send({ ...message(w, 'claim', { 'correlation-id': 'claim-2' }), topic: `${w.ns}/missing/things/live/messages/claim` });
    expect(await claimer.nextJson()).toMatchObject({ status: 404, value: { error: 'things:thing.notfound' } });
    await Promise.all([device.close(), claimer.close()]);
  });
});

async function staleConnectionIds(owner: string): Promise<string[]> {
  const out = await ddb().send(
    new QueryCommand({ TableName: tableName('subscriptions'), KeyConditionExpression: 'subject = :s', ExpressionAttributeValues: { ':s': `local:${owner}` } }),
  );
  return (out.Items ?? []).map((i) => i.connectionId as string);
}
