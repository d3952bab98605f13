/**
 * Attacks of one authenticated tenant on others (issue "Safe to expose"): each case reproduces an
 * attack that worked before its defence, against the local gateway over DynamoDB Local.
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { importJWK, SignJWT } from 'jose';
import { DEV_ISSUER, devToken, ensureDevKey } from '../../local/dev-auth';
import type { LocalGateway } from '../../local/gateway';
import { MAX_POLICY_SUBJECTS } from '../../lambdas/core/policy';
import { QUERY_CONCURRENCY, SessionsRepository } from '../../lambdas/store/sessions';
import { ddb, tableName, bearer, http, putJson, sleep, startTestGateway, TestClient, uniqueName, uniqueNamespace } from '../support/harness';
import { message, type World, worldOn } from '../support/world';

let gateway: LocalGateway;
beforeAll(async () => {
  process.env.WITHHELD_HEADERS = 'x-tenant-secret';
  gateway = await startTestGateway({
    sweepIntervalMs: 300,
    // An operator reserves namespaces `reserved.*` for subjects `local:admin-*`.
    entityCreation: { grant: [{}], revoke: [{ namespaces: ['reserved.*'], 'auth-subjects': ['local:user-*', 'local:owner-*'] }] },
  });
});
afterAll(async () => {
  delete process.env.WITHHELD_HEADERS;
  await gateway.stop();
});

const world = worldOn(() => gateway);

/** The next frame that is a message (skips ACKs). */
async function nextMessage(client: TestClient, timeoutMs = 5000): Promise<Record<string, any>> {
  return client.nextJson(timeoutMs);
}

/** A responder that answers each message with its own body once asked to (by a promise). */
function answerWhen(device: TestClient, value: unknown, ready: Promise<unknown> = Promise.resolve()): Promise<Record<string, any>> {
  return new Promise((resolve) => {
    device.ws.once('message', (data) => {
      const m = JSON.parse(data.toString()) as Record<string, any>;
      void ready.then(() => {
        device.send({
          topic: m.topic,
          path: m.path,
          headers: { 'correlation-id': m.headers['correlation-id'], 'content-type': 'application/json' },
          value,
          status: 200,
        });
        resolve(m);
      });
    });
  });
}

describe('1. a subscription filter cannot freeze routing (ReDoS)', () => {
  it('routes a message past a backtracking-hostile like() filter at once, to every other subscriber too', async () => {
    const w = await world({ attacker: { 'message:/': { grant: ['READ'] } } });
    // A thing name with many '>' and a pattern of 20 '*>' then '#': a backtracking regular expression
    // needs about a minute for this one match (and blocks the whole process meanwhile); the test's
    // own 10 s budget then fails it.
    const thingId = `${w.ns}:${'>'.repeat(34)}`;
    expect((await putJson(gateway, `/api/2/things/${encodeURIComponent(thingId)}`, w.ownerAuth, { policyId: `${w.ns}:policy` })).status).toBe(201);
    const attacker = await (await w.user('attacker')).ws();
    await attacker.subscribe(`?filter=${encodeURIComponent(`like(thingId,"${'*>'.repeat(20)}#")`)}`);
    const bystander = await TestClient.connect(gateway.wsUrl, { auth: w.ownerAuth });
    await bystander.subscribe();

    const res = await http(gateway, 'POST', `/api/2/things/${encodeURIComponent(thingId)}/inbox/messages/ping?timeout=0`, {
      auth: w.ownerAuth,
      body: '1',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(202);
    expect((await nextMessage(bystander)).path).toBe('/inbox/messages/ping');
    expect(await attacker.silentFor(100)).toBe(true); // the filter does not match, and it cost nothing
    await Promise.all([attacker.close(), bystander.close()]);
  }, 10_000);

  it('refuses a filter over the cost bound at START-SEND-MESSAGES with 400', async () => {
    const w = await world();
    const client = await TestClient.connect(gateway.wsUrl, { auth: w.ownerAuth });
    const expensive = `or(${Array.from({ length: 40 }, (_, i) => `like(subject,"${'*a'.repeat(12)}${i}")`).join(',')})`;
    client.send(`START-SEND-MESSAGES?filter=${encodeURIComponent(expensive)}`);
    expect(await client.nextJson()).toMatchObject({
      status: 400,
      value: { error: 'rql.expression.invalid', description: expect.stringMatching(/too expensive.*at most 1000/) },
    });
    await client.subscribe(); // the connection still serves
    await client.close();
  });
});

describe('2. a response can be neither forged nor suppressed', () => {
  /** An HTTP request whose device answers slowly, so the answer waits unread between two polls. */
  async function slowRequest(w: World, device: TestClient, correlationId: string, interfere: () => Promise<void>) {
    let release!: () => void;
    const answered = answerWhen(device, { genuine: true }, new Promise<void>((r) => (release = r)));
    const request = http(gateway, 'POST', `/api/2/things/${w.thingId}/inbox/messages/turnOff?timeout=10`, {
      auth: w.ownerAuth,
      body: '{}',
      headers: { 'content-type': 'application/json', 'correlation-id': correlationId },
    });
    await sleep(1200); // the waiter now polls every 250 ms
    release();
    await answered;
    await interfere();
    return request;
  }

  it('returns the genuine answer although an attacker re-uses the correlation-id on another subject and answers itself', async () => {
    for (let run = 0; run < 3; run++) {
      const w = await world({
        device: { 'message:/inbox/messages/turnOff': { grant: ['READ'] } },
        attacker: { 'message:/inbox/messages/other': { grant: ['READ', 'WRITE'] } },
      });
      const device = await (await w.user('device')).ws();
      await device.subscribe();
      const attacker = await (await w.user('attacker')).ws();
      const accomplice = await (await w.user('attacker')).ws();
      await accomplice.subscribe();
      const forged = answerWhen(accomplice, { forged: true });
      const res = await slowRequest(w, device, `c-forge-${run}`, async () => {
        attacker.send(message(w, 'other', { 'correlation-id': `c-forge-${run}` }, {}));
        await forged;
      });
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({ genuine: true });
      await Promise.all([device.close(), attacker.close(), accomplice.close()]);
    }
  });

  it('returns the genuine answer although a claim with the same correlation-id arrives in between', async () => {
    const w = await world({ device: { 'message:/inbox/messages/turnOff': { grant: ['READ'] } } });
    const device = await (await w.user('device')).ws();
    await device.subscribe();
    const stranger = await bearer(uniqueName('stranger'));
    const res = await slowRequest(w, device, 'c-claimed', async () => {
      const claim = await http(gateway, 'POST', `/api/2/things/${w.thingId}/inbox/claim?timeout=1`, {
        auth: stranger,
        body: '"mine"',
        headers: { 'content-type': 'application/json', 'correlation-id': 'c-claimed' },
      });
      expect(claim.status).toBe(408); // nobody reads claims here; the claim only concerns the claimer
    });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ genuine: true });
    await device.close();
  });

  it('does not let a second sender take over a pending correlation-id of the same message (409)', async () => {
    const w = await world({ other: { 'message:/': { grant: ['READ', 'WRITE'] }, 'thing:/': { grant: ['READ'] } } });
    const device = await TestClient.connect(gateway.wsUrl, { auth: w.ownerAuth });
    await device.subscribe();
    const first = http(gateway, 'POST', `/api/2/things/${w.thingId}/inbox/messages/turnOff?timeout=3`, {
      auth: w.ownerAuth,
      body: '1',
      headers: { 'content-type': 'application/json', 'correlation-id': 'c-pending' },
    });
    const seen = await nextMessage(device);
    const second = await http(gateway, 'POST', `/api/2/things/${w.thingId}/inbox/messages/turnOff?timeout=3`, {
      auth: (await w.user('other')).auth,
      body: '2',
      headers: { 'content-type': 'application/json', 'correlation-id': 'c-pending' },
    });
    expect(second.json()).toMatchObject({ status: 409, error: 'messages:correlation.conflict' });
    device.send({
      topic: seen.topic,
      path: seen.path,
      headers: { 'correlation-id': 'c-pending', 'content-type': 'application/json' },
      value: 'for-first',
      status: 200,
    });
    expect((await first).json()).toBe('for-first');
    await device.close();
  });

  it('lets a correlation-id be reused as soon as the request before it has finished', async () => {
    const w = await world();
    const device = await TestClient.connect(gateway.wsUrl, { auth: w.ownerAuth });
    await device.subscribe();
    for (const round of [1, 2, 3]) {
      const answered = answerWhen(device, { round });
      const res = await http(gateway, 'POST', `/api/2/things/${w.thingId}/inbox/messages/turnOff?timeout=5`, {
        auth: w.ownerAuth,
        body: '1',
        headers: { 'content-type': 'application/json', 'correlation-id': 'c-reused' },
      });
      await answered;
      expect(res.json()).toEqual({ round });
    }
    await device.close();
  });

  it('lets a correlation-id be reused at once after its HTTP request timed out (408)', async () => {
    const w = await world();
    const device = await TestClient.connect(gateway.wsUrl, { auth: w.ownerAuth });
    await device.subscribe();
    const send = (timeout: number, body: string) =>
      http(gateway, 'POST', `/api/2/things/${w.thingId}/inbox/messages/turnOff?timeout=${timeout}`, {
        auth: w.ownerAuth,
        body,
        headers: { 'content-type': 'application/json', 'correlation-id': 'c-timed-out' },
      });
    const unanswered = send(1, '1');
    await nextMessage(device);
    expect((await unanswered).json()).toMatchObject({ status: 408, error: 'acknowledgement:request.timeout' });
    const answered = answerWhen(device, 'second');
    const res = await send(5, '2');
    await answered;
    expect(res.json()).toBe('second');
    await device.close();
  });

  it('does not let the issuing connection answer its own message', async () => {
    const w = await world();
    const device = await TestClient.connect(gateway.wsUrl, { auth: w.ownerAuth });
    await device.subscribe();
    const app = await TestClient.connect(gateway.wsUrl, { auth: w.ownerAuth });
    app.send(message(w, 'turnOff', { 'correlation-id': 'c-self', timeout: '2s' }));
    const seen = await nextMessage(device);
    app.send({ topic: seen.topic, path: seen.path, headers: { 'correlation-id': 'c-self' }, value: 'self-answer', status: 200 });
    expect(await app.silentFor(300)).toBe(true);
    device.send({ topic: seen.topic, path: seen.path, headers: { 'correlation-id': 'c-self' }, value: 'device-answer', status: 200 });
    expect(await app.nextJson()).toMatchObject({ status: 200, value: 'device-answer' });
    await Promise.all([device.close(), app.close()]);
  });
});

describe('3. a thing cannot be taken over before it exists', () => {
  it("refuses to create a thing whose implicit policy id someone else already holds (Ditto's things:thing.notcreatable)", async () => {
    const ns = uniqueNamespace();
    const attacker = await bearer(uniqueName('user'));
    const squatted = {
      entries: {
        MINE: {
          subjects: { 'local:attacker': { type: 't' } },
          resources: { 'policy:/': { grant: ['READ', 'WRITE'] }, 'thing:/': { grant: ['READ', 'WRITE'] }, 'message:/': { grant: ['READ'] } },
        },
      },
    };
    expect((await putJson(gateway, `/api/2/policies/${ns}:lamp`, attacker, squatted)).status).toBe(201);
    const victim = await bearer(uniqueName('user'));
    const res = await putJson(gateway, `/api/2/things/${ns}:lamp`, victim, { attributes: { wifiKey: 's3cret' } });
    expect(res.json()).toMatchObject({
      status: 400,
      error: 'things:thing.notcreatable',
      message: `The Thing with ID '${ns}:lamp' could not be created because creation of its implicit Policy ID '${ns}:lamp' failed.`,
    });
    expect((await http(gateway, 'GET', `/api/2/things/${ns}:lamp`, { auth: attacker })).status).toBe(404);
  });

  it('creates a thing with its inline _policy, and refuses _policy on an existing thing', async () => {
    const ns = uniqueNamespace();
    const name = uniqueName('user');
    const auth = await bearer(name);
    const inline = {
      entries: {
        ADMIN: {
          subjects: { [`local:${name}`]: { type: 't' } },
          resources: { 'policy:/': { grant: ['READ', 'WRITE'] }, 'thing:/': { grant: ['READ', 'WRITE'] }, 'message:/': { grant: ['READ', 'WRITE'] } },
        },
      },
    };
    expect((await putJson(gateway, `/api/2/things/${ns}:lamp`, auth, { _policy: inline })).status).toBe(201);
    const policy = (await http(gateway, 'GET', `/api/2/policies/${ns}:lamp`, { auth })).json() as { entries: Record<string, unknown> };
    expect(Object.keys(policy.entries)).toEqual(['ADMIN']);
    expect((await putJson(gateway, `/api/2/things/${ns}:lamp`, auth, { _policy: inline })).json()).toMatchObject({
      status: 400,
      error: 'things:thing.invalid',
    });
    const lockedOut = { entries: { X: { subjects: { [`local:${name}`]: { type: 't' } }, resources: { 'thing:/': { grant: ['READ', 'WRITE'] } } } } };
    expect((await putJson(gateway, `/api/2/things/${ns}:other`, auth, { _policy: lockedOut })).json()).toMatchObject({
      status: 403,
      error: 'policies:policy.modificationinvalid',
    });
  });

  it("enforces the operator's entity-creation restriction (reserved namespaces) for things and policies", async () => {
    const ns = `reserved.${uniqueNamespace()}`;
    const user = await bearer(uniqueName('user'));
    const policy = { entries: { A: { subjects: { 'local:a': { type: 't' } }, resources: { 'policy:/': { grant: ['WRITE'] } } } } };
    for (const [path, body] of [
      [`/api/2/things/${ns}:x`, {}],
      [`/api/2/policies/${ns}:x`, policy],
    ] as const) {
      expect((await putJson(gateway, path, user, body)).json()).toMatchObject({
        status: 403,
        error: 'entity.notcreatable',
        message: `The Entity with ID '${ns}:x' could not be created as the creation was configured not to be allowed.`,
      });
    }
    const admin = await bearer(uniqueName('admin'));
    expect((await putJson(gateway, `/api/2/things/${ns}:x`, admin, {})).status).toBe(201);
  });
});

describe('4. a filter cannot read what its connection may not', () => {
  it('evaluates attributes/... only over the attributes the subscriber may READ', async () => {
    const w = await world(
      { device: { 'message:/inbox/messages/turnOff': { grant: ['READ'] }, 'thing:/attributes/public': { grant: ['READ'] } } },
      { wifiKey: 'k42', public: { room: 'kitchen' } },
    );
    const probes = ['eq(attributes/wifiKey,"k42")', 'exists(attributes/wifiKey)', 'ge(attributes/wifiKey,"k")', 'eq(attributes/public/room,"kitchen")'];
    const clients = await Promise.all(
      probes.map(async (filter) => {
        const c = await (await w.user('device')).ws();
        await c.subscribe(`?filter=${encodeURIComponent(filter)}`);
        return c;
      }),
    );
    await http(gateway, 'POST', `/api/2/things/${w.thingId}/inbox/messages/turnOff?timeout=0`, {
      auth: w.ownerAuth,
      body: '1',
      headers: { 'content-type': 'application/json' },
    });
    expect((await nextMessage(clients[3]!)).path).toBe('/inbox/messages/turnOff'); // readable attribute: the filter works
    for (const c of clients.slice(0, 3)) expect(await c.silentFor(200)).toBe(true); // the secret is invisible to filters
    await Promise.all(clients.map((c) => c.close()));
  });
});

describe('5. one policy cannot amplify one message into unbounded work', () => {
  const entryWith = (n: number) => ({
    ADMIN: { subjects: { 'local:admin': { type: 't' } }, resources: { 'policy:/': { grant: ['READ', 'WRITE'] } } },
    MANY: {
      subjects: Object.fromEntries(Array.from({ length: n }, (_, i) => [`local:s${i}`, { type: 't' }])),
      resources: { 'message:/': { grant: ['READ'] } },
    },
  });

  it(`refuses a policy with more than ${MAX_POLICY_SUBJECTS} subjects (400) or over 100k characters (413), accepts the bound`, async () => {
    const owner = await bearer('admin');
    const ns = uniqueNamespace();
    expect((await putJson(gateway, `/api/2/policies/${ns}:p1`, owner, { entries: entryWith(MAX_POLICY_SUBJECTS - 1) })).status).toBe(201); // + admin = the bound
    expect((await putJson(gateway, `/api/2/policies/${ns}:p2`, owner, { entries: entryWith(MAX_POLICY_SUBJECTS + 10) })).json()).toMatchObject({
      status: 400,
      error: 'policies:policy.invalid',
    });
    const big = { entries: { ...entryWith(1), PAD: { subjects: { 'local:x': { type: 'x'.repeat(110_000) } }, resources: {} } } };
    expect((await putJson(gateway, `/api/2/policies/${ns}:p3`, owner, big)).json()).toMatchObject({ status: 413, error: 'policies:policy.toolarge' });
  });

  it(`queries the index for many reader subjects at most ${QUERY_CONCURRENCY} at a time`, async () => {
    let inFlight = 0;
    let peak = 0;
    const client = ddb();
    client.middlewareStack.add(
      (next) => async (args) => {
        peak = Math.max(peak, ++inFlight);
        try {
          return await next(args);
        } finally {
          inFlight--;
        }
      },
      { step: 'initialize' },
    );
    const repo = new SessionsRepository(() => client);
    const found = await repo.subscriptionsFor(Array.from({ length: 200 }, (_, i) => `local:nobody-${i}-${uniqueName()}`));
    expect(found).toEqual([]);
    expect(peak).toBe(QUERY_CONCURRENCY);
  });
});

describe('6. an expired token stops listening', () => {
  it('delivers nothing to a connection whose token has expired, and closes it at the next delivery', async () => {
    const w = await world({ device: { 'message:/': { grant: ['READ'] } } });
    const device = await TestClient.connect(gateway.wsUrl, {
      auth: `Bearer ${await devToken((await w.user('device')).subject.slice(6), { expiresIn: '2s' })}`,
    });
    await device.subscribe();
    await sleep(2300);
    await http(gateway, 'POST', `/api/2/things/${w.thingId}/inbox/messages/secret?timeout=0`, {
      auth: w.ownerAuth,
      body: '"for readers only"',
      headers: { 'content-type': 'application/json' },
    });
    const frame = await device.nextJson();
    expect(frame).toMatchObject({ status: 401, value: { error: 'gateway:authentication.failed' } });
    expect(JSON.stringify(frame)).not.toContain('for readers only');
    await new Promise<void>((resolve) => (device.closed ? resolve() : device.ws.once('close', () => resolve())));
  });

  it('closes a silent connection within the sweep interval after its token expired, and removes its records', async () => {
    const name = uniqueName('silent');
    const device = await TestClient.connect(gateway.wsUrl, { auth: `Bearer ${await devToken(name, { expiresIn: '1s' })}` });
    await device.subscribe();
    await new Promise<void>((resolve) => device.ws.once('close', () => resolve()));
    const index = await ddb().send(
      new QueryCommand({ TableName: tableName('subscriptions'), KeyConditionExpression: 'subject = :s', ExpressionAttributeValues: { ':s': `local:${name}` } }),
    );
    expect(index.Items).toEqual([]);
  });

  it('keeps a refreshed connection open through the sweep and writes the new expiry to its index items', async () => {
    const name = uniqueName('refreshed');
    const device = await TestClient.connect(gateway.wsUrl, { auth: `Bearer ${await devToken(name, { expiresIn: '1s' })}` });
    await device.subscribe();
    const fresh = await devToken(name, { expiresIn: '1h' });
    device.send(`JWT-TOKEN?jwtToken=${fresh}`);
    await sleep(1800); // several sweeps after the first token's expiry
    expect(device.closed).toBeUndefined();
    const index = await ddb().send(
      new QueryCommand({ TableName: tableName('subscriptions'), KeyConditionExpression: 'subject = :s', ExpressionAttributeValues: { ':s': `local:${name}` } }),
    );
    expect(index.Items![0]!.tokenExpiresAt).toBeGreaterThan(Date.now() / 1000 + 3000);
    await device.close();
  });

  it('refuses a token without exp', async () => {
    const { privateJwk } = await ensureDevKey();
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: privateJwk.kid!, typ: 'JWT' })
      .setIssuer(DEV_ISSUER)
      .setSubject('forever')
      .setAudience('ditto-live-router')
      .sign(await importJWK(privateJwk, 'ES256'));
    const res = await http(gateway, 'GET', `/api/2/things/${uniqueNamespace()}:x`, { auth: `Bearer ${token}` });
    expect(res.json()).toMatchObject({ status: 401, description: expect.stringContaining('"exp"') });
  });
});

describe('8. a responder cannot break the issuer’s HTTP response', () => {
  it.each([
    ['an informational status', { status: 101 }, 'A response needs a final HTTP status (200-599), got 101: informational statuses cannot answer a message.'],
    [
      'a content-type with CR/LF',
      { status: 200, contentType: 'text/plain\r\nx-injected: 1' },
      'A response content-type must be a string of visible Latin-1 characters, without line breaks.',
    ],
    [
      'a content-type outside Latin-1',
      { status: 200, contentType: 'text/plain; charset=✓' },
      'A response content-type must be a string of visible Latin-1 characters, without line breaks.',
    ],
  ])(
    'answers %s with 400 to the responder; the issuer still gets the valid answer that follows',
    async (_name, bad: { status: number; contentType?: string }, description: string) => {
      const w = await world();
      const device = await TestClient.connect(gateway.wsUrl, { auth: w.ownerAuth });
      await device.subscribe();
      const request = http(gateway, 'POST', `/api/2/things/${w.thingId}/inbox/messages/turnOff?timeout=5`, {
        auth: w.ownerAuth,
        body: '1',
        headers: { 'content-type': 'application/json', 'correlation-id': 'c-bad' },
      });
      const seen = await nextMessage(device);
      device.send({
        topic: seen.topic,
        path: seen.path,
        headers: { 'correlation-id': 'c-bad', 'content-type': bad.contentType ?? 'text/plain' },
        value: 'bad',
        status: bad.status,
      });
      expect(await device.nextJson()).toMatchObject({ status: 400, headers: { 'correlation-id': 'c-bad' }, value: { description } });
      device.send({ topic: seen.topic, path: seen.path, headers: { 'correlation-id': 'c-bad', 'content-type': 'text/plain' }, value: 'good', status: 201 });
      const res = await request;
      expect(res.status).toBe(201);
      expect(res.text).toBe('good');
      await device.close();
    },
  );
});

describe('9. credentials do not travel', () => {
  it('withholds credential headers (built-in and configured) from recipients', async () => {
    const w = await world();
    const device = await TestClient.connect(gateway.wsUrl, { auth: w.ownerAuth });
    await device.subscribe();
    const credentials = {
      'x-api-key': 'k1',
      'api-key': 'k2',
      'x-auth-token': 'k3',
      'ocp-apim-subscription-key': 'k4',
      'x-csrf-token': 'k5',
      'x-tenant-secret': 'k6',
    };
    await http(gateway, 'POST', `/api/2/things/${w.thingId}/inbox/messages/x?timeout=0`, {
      auth: w.ownerAuth,
      body: '1',
      headers: { 'content-type': 'application/json', 'x-kept': 'yes', ...credentials },
    });
    const got = await nextMessage(device);
    expect(got.headers['x-kept']).toBe('yes');
    for (const name of Object.keys(credentials)) expect(got.headers).not.toHaveProperty(name);
    await device.close();
  });

  it('keeps no response at rest once the HTTP issuer has taken it', async () => {
    const w = await world();
    const device = await TestClient.connect(gateway.wsUrl, { auth: w.ownerAuth });
    await device.subscribe();
    const answered = answerWhen(device, { body: 'sensitive' });
    const res = await http(gateway, 'POST', `/api/2/things/${w.thingId}/inbox/messages/x?timeout=5`, {
      auth: w.ownerAuth,
      body: '1',
      headers: { 'content-type': 'application/json', 'correlation-id': 'c-rest' },
    });
    await answered;
    expect(res.status).toBe(200);
    const { correlationKey } = await import('../../lambdas/store/correlations');
    const item = await ddb().send(
      new GetCommand({ TableName: tableName('correlations'), Key: { key: correlationKey(w.thingId, '/inbox/messages/x', 'c-rest') } }),
    );
    expect(item.Item).toMatchObject({ state: 'delivered' });
    expect(item.Item!.response).toBeUndefined();
    await device.close();
  });
});
