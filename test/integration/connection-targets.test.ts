/**
 * Connection targets (Ditto's http-push connections) against DynamoDB Local, the local gateway and a
 * real HTTP endpoint on this machine.
 */
import type { LocalGateway } from '../../local/gateway';
import { Endpoint } from '../support/endpoint';
import { basic, bearer, eventually, http, putJson, startTestGateway, TestClient, uniqueName } from '../support/harness';
import { message, type World, worldOn } from '../support/world';
import { targets } from '../../lambdas/store/repositories';
import { loggedAsync } from '../support/logs';

const DEVOPS = basic('devops', 'foobar');

const connectionJson = (endpoint: Endpoint, subject: string, target: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  connectionType: 'http-push',
  connectionStatus: 'open',
  uri: `http://hook:s3cret@127.0.0.1:${endpoint.port}`,
  sources: [],
  targets: [
    {
      address: 'POST:/things/{{ thing:id }}',
      topics: ['_/_/things/live/messages'],
      authorizationContext: [subject],
      headerMapping: { 'x-subject': '{{ topic:subject }}', 'x-device-type': '{{ header:device-type }}' },
      ...target,
    },
  ],
  ...extra,
});

describe('connection targets', () => {
  let gateway: LocalGateway;
  let endpoint: Endpoint;
  const created: string[] = [];
  const world = worldOn(() => gateway);

  beforeAll(async () => {
    [gateway, endpoint] = await Promise.all([startTestGateway(), Endpoint.start()]);
  });
  afterAll(async () => {
    for (const id of created) await http(gateway, 'DELETE', `/api/2/connections/${id}`, { auth: DEVOPS });
    await Promise.all([gateway.stop(), endpoint.stop()]);
  });
  afterEach(() => {
    endpoint.answer = () => ({ status: 204 });
    endpoint.release();
  });

  async function createConnection(body: unknown): Promise<string> {
    const res = await http(gateway, 'POST', '/api/2/connections', {
      auth: DEVOPS,
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(201);
    const id = (res.json() as { id: string }).id;
    created.push(id);
    expect(res.headers.get('location')).toBe(`/api/2/connections/${encodeURIComponent(id)}`);
    return id;
  }

  /** A thing where `reader` may READ messages and `outsider` may not; a target per subject. */
  async function setUp(): Promise<{ w: World; reader: string; outsider: string }> {
    const w = await world({ READER: { 'message:/': { grant: ['READ'] } }, OUTSIDER: { 'thing:/': { grant: ['READ'] } } });
    const reader = (await w.user('READER')).subject;
    const outsider = (await w.user('OUTSIDER')).subject;
    return { w, reader, outsider };
  }

  const send = (w: World, subject: string, headers: Record<string, string> = {}, query = '?timeout=0') =>
    http(gateway, 'POST', `/api/2/things/${w.thingId}/inbox/messages/${subject}${query}`, {
      auth: w.ownerAuth,
      body: JSON.stringify({ on: true }),
      headers: { 'content-type': 'application/json', ...headers },
    });

  describe('managing (devops only)', () => {
    it('refuses callers without credentials (401) and users who are not devops (401, as Ditto)', async () => {
      const none = await http(gateway, 'GET', '/api/2/connections');
      expect(none.status).toBe(401);
      const user = await http(gateway, 'GET', '/api/2/connections', { auth: await bearer(uniqueName()) });
      expect(user.status).toBe(401);
      expect(user.json()).toMatchObject({ status: 401, error: 'gateway:authentication.failed' });
      const devUser = await http(gateway, 'POST', '/api/2/connections', { auth: basic('ditto', 'ditto'), body: '{}' });
      expect(devUser.status).toBe(401);
      const wrongPassword = await http(gateway, 'GET', '/api/2/connections', { auth: basic('devops', 'wrong') });
      expect(wrongPassword.status).toBe(401);
    });

    it("accepts the HTTP push example of Ditto's documentation as written, masks its password and deletes it", async () => {
      const id = `http-example-connection-${uniqueName('c')}`;
      const example = {
        id,
        connectionType: 'http-push',
        connectionStatus: 'open',
        failoverEnabled: true,
        uri: 'http://user:password@localhost:80',
        specificConfig: { parallelism: '2' },
        sources: [],
        targets: [
          {
            address: 'PUT:/api/2/some-entity/{{ thing:id }}',
            topics: ['_/_/things/twin/events'],
            authorizationContext: ['ditto:outbound-auth-subject'],
            headerMapping: { 'content-type': '{{ header:content-type }}', 'api-key': 'this-is-a-secret-api-key' },
          },
        ],
      };
      const put = await putJson(gateway, `/api/2/connections/${id}`, DEVOPS, example);
      expect(put.status).toBe(201);
      created.push(id);
      const shown = { ...example, uri: 'http://user:*****@localhost:80' };
      expect(put.json()).toEqual(shown);
      expect((await http(gateway, 'GET', `/api/2/connections/${id}`, { auth: DEVOPS })).json()).toEqual(shown);
      const list = (await http(gateway, 'GET', '/api/2/connections', { auth: DEVOPS })).json() as { id: string; uri: string }[];
      expect(list.find((c) => c.id === id)?.uri).toBe('http://user:*****@localhost:80');
      expect((await http(gateway, 'GET', '/api/2/connections?ids-only=true', { auth: DEVOPS })).json()).toContain(id);

      // Sending back what GET showed keeps the stored password (204: modified).
      expect((await putJson(gateway, `/api/2/connections/${id}`, DEVOPS, { ...shown, connectionStatus: 'closed' })).status).toBe(204);

      expect((await http(gateway, 'DELETE', `/api/2/connections/${id}`, { auth: DEVOPS })).status).toBe(204);
      const gone = await http(gateway, 'GET', `/api/2/connections/${id}`, { auth: DEVOPS });
      expect(gone.status).toBe(404);
      expect(gone.json()).toMatchObject({ status: 404, error: 'connectivity:connection.notfound' });
      expect((await http(gateway, 'DELETE', `/api/2/connections/${id}`, { auth: DEVOPS })).status).toBe(404);
    });

    it('creates a connection by PUT under an id that needs percent-encoding, and names it in the Location header', async () => {
      const id = `hook:${uniqueName('c')}`;
      const put = await putJson(gateway, `/api/2/connections/${encodeURIComponent(id)}`, DEVOPS, { ...connectionJson(endpoint, 'local:nobody'), id });
      expect(put.status).toBe(201);
      created.push(encodeURIComponent(id));
      expect(put.headers.get('location')).toBe(`/api/2/connections/hook%3A${id.slice('hook:'.length)}`);
      expect((await http(gateway, 'GET', put.headers.get('location')!, { auth: DEVOPS })).json()).toMatchObject({ id });
    });

    it('generates the id on POST, refuses one in the body, and only validates on a dry run', async () => {
      const body = connectionJson(endpoint, 'local:nobody');
      const withId = await http(gateway, 'POST', '/api/2/connections', { auth: DEVOPS, body: JSON.stringify({ ...body, id: 'mine' }) });
      expect(withId.status).toBe(400);
      expect(withId.json()).toMatchObject({
        error: 'connectivity:id.notsettable',
        message: 'It is not allowed to provide an explicit ID for a connection.',
        description: 'Remove the ID from the connection as it will be generated.',
      });

      const before = (await http(gateway, 'GET', '/api/2/connections?ids-only=true', { auth: DEVOPS })).json() as string[];
      const dry = await http(gateway, 'POST', '/api/2/connections?dry-run=true', { auth: DEVOPS, body: JSON.stringify(body) });
      expect(dry.status).toBe(200);
      const after = (await http(gateway, 'GET', '/api/2/connections?ids-only=true', { auth: DEVOPS })).json() as string[];
      expect(after.filter((id) => !before.includes(id))).toEqual([]);

      const id = await createConnection(body);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      const shown = (await http(gateway, 'GET', `/api/2/connections/${id}`, { auth: DEVOPS })).json() as { uri: string };
      expect(shown.uri).toBe(`http://hook:*****@127.0.0.1:${endpoint.port}`);
    });

    it.each([
      ['another connection type', { connectionType: 'mqtt' }, 'connectivity:connection.configuration.invalid'],
      ['a uri without a port', { uri: 'http://example.com' }, 'connectivity:connection.uri.invalid'],
      ['a non-http uri', { uri: 'ftp://example.com:21' }, 'connectivity:connection.uri.invalid'],
      ['a source', { sources: [{ addresses: ['x'] }] }, 'connectivity:connection.configuration.invalid'],
      ['payload mapping', { mappingDefinitions: { js: { mappingEngine: 'JavaScript' } } }, 'connectivity:connection.configuration.invalid'],
      ['an unknown field', { ssl: true }, 'connectivity:connection.configuration.invalid'],
    ])('refuses %s with 400', async (_what, change, error) => {
      const res = await http(gateway, 'POST', '/api/2/connections', {
        auth: DEVOPS,
        body: JSON.stringify({ ...connectionJson(endpoint, 'local:x'), ...change }),
      });
      expect(res.status).toBe(400);
      expect(res.json()).toMatchObject({ status: 400, error });
    });

    it.each([
      ['a verb Ditto does not know', { address: 'SEND:/x' }],
      ['an address without a verb', { address: '/x' }],
      ['an unknown placeholder', { address: 'POST:/{{ thing:secret }}' }],
      ['a placeholder function', { address: "POST:/{{ thing:id | fn:default('x') }}" }],
      ['an invalid filter', { topics: ['_/_/things/live/messages?filter=eq(('] }],
      ['an unknown topic', { topics: ['_/_/things/twin/commands'] }],
      ['no authorization context', { authorizationContext: [] }],
      ['an acknowledgement label other than live-response', { issuedAcknowledgementLabel: 'custom' }],
    ])('refuses a target with %s with 400', async (_what, change) => {
      const res = await http(gateway, 'POST', '/api/2/connections', { auth: DEVOPS, body: JSON.stringify(connectionJson(endpoint, 'local:x', change)) });
      expect(res.status).toBe(400);
      expect(res.json()).toMatchObject({ error: 'connectivity:connection.configuration.invalid' });
    });
  });

  describe('delivery', () => {
    it('pushes a message its subjects may READ with the envelope and mapped headers; a target that may not READ gets nothing', async () => {
      const { w, reader, outsider } = await setUp();
      await createConnection(connectionJson(endpoint, reader, { address: `POST:/in/${w.ns}/{{ thing:name }}` }));
      await createConnection(connectionJson(endpoint, outsider, { address: `POST:/out/${w.ns}/{{ thing:name }}` }));
      expect((await send(w, 'smoke', { 'device-type': 'detector', 'correlation-id': 'c-1' })).status).toBe(202);

      const got = await endpoint.request(`/in/${w.ns}/device`);
      expect(got.method).toBe('POST');
      expect(got.headers['content-type']).toBe('application/vnd.eclipse.ditto+json');
      expect(got.headers['correlation-id']).toBe('c-1');
      expect(got.headers['x-subject']).toBe('smoke');
      expect(got.headers['x-device-type']).toBe('detector');
      expect(got.headers.authorization).toBe(basic('hook', 's3cret'));
      const envelope = JSON.parse(got.body);
      expect(envelope).toMatchObject({ topic: w.topic('smoke'), path: '/inbox/messages/smoke', value: { on: true } });
      expect(envelope.headers['ditto-originator']).toBe(`local:${w.owner}`);

      // A second message reaches the reader's target only after the first job ended: the outsider's would have come with the first.
      await send(w, 'second');
      await endpoint.request(`/in/${w.ns}/device`);
      await eventually(() => endpoint.requestsTo(`/in/${w.ns}/device`).length === 2);
      expect(endpoint.requestsTo(`/out/${w.ns}/device`)).toEqual([]);
    });

    it('honours the namespaces and filter of the topic', async () => {
      const { w, reader } = await setUp();
      await createConnection(connectionJson(endpoint, reader, { address: `POST:/all/${w.ns}`, topics: ['_/_/things/live/messages'] }));
      await createConnection(
        connectionJson(endpoint, reader, { address: `POST:/otherns/${w.ns}`, topics: ['_/_/things/live/messages?namespaces=some.other'] }),
      );
      await createConnection(
        connectionJson(endpoint, reader, {
          address: `POST:/filtered/${w.ns}`,
          topics: [`_/_/things/live/messages?namespaces=${w.ns}&filter=${encodeURIComponent('like(subject,"alarm*")')}`],
        }),
      );
      await send(w, 'status');
      await send(w, 'alarmFire');
      await eventually(() => endpoint.requestsTo(`/all/${w.ns}`).length === 2);
      await endpoint.request(`/filtered/${w.ns}`);
      const filtered = endpoint.requestsTo(`/filtered/${w.ns}`).map((r) => JSON.parse(r.body).path);
      expect(filtered).toEqual(['/inbox/messages/alarmFire']);
      expect(endpoint.requestsTo(`/otherns/${w.ns}`)).toEqual([]);
    });

    it("turns the endpoint's HTTP response into the HTTP issuer's response with live-response", async () => {
      const { w, reader } = await setUp();
      endpoint.answer = (r) =>
        r.path === `/answer/${w.ns}`
          ? { status: 200, headers: { 'content-type': 'application/json', 'x-answered-by': 'hook' }, body: '{"answer":42}' }
          : { status: 204 };
      await createConnection(connectionJson(endpoint, reader, { address: `POST:/answer/${w.ns}`, issuedAcknowledgementLabel: 'live-response' }));
      const res = await send(w, 'ask', {}, '?timeout=5');
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text)).toEqual({ answer: 42 });
      expect(res.headers.get('content-type')).toBe('application/json');
    });

    it('routes an explicit Ditto Protocol response of the endpoint to a WebSocket issuer', async () => {
      const { w, reader } = await setUp();
      endpoint.answer = (r) => {
        if (r.path !== `/protocol/${w.ns}`) return { status: 204 };
        const m = JSON.parse(r.body);
        const response = {
          topic: m.topic,
          path: m.path,
          headers: { 'correlation-id': m.headers['correlation-id'], 'content-type': 'text/plain' },
          value: 'done',
          status: 201,
        };
        return { status: 200, headers: { 'content-type': 'application/vnd.eclipse.ditto+json' }, body: JSON.stringify(response) };
      };
      // No live-response label: a Ditto Protocol body is a response by itself.
      await createConnection(connectionJson(endpoint, reader, { address: `POST:/protocol/${w.ns}` }));
      const issuer = await TestClient.connect(gateway.wsUrl, { auth: w.ownerAuth });
      try {
        issuer.send(message(w, 'ask', { 'correlation-id': `ws-${w.ns}` }));
        const answer = await issuer.nextJson();
        expect(answer).toMatchObject({ status: 201, value: 'done', headers: { 'correlation-id': `ws-${w.ns}` } });
      } finally {
        await issuer.close();
      }
    });

    it('takes a Ditto Protocol response declared with parameters, spaces and in any case', async () => {
      const { w, reader } = await setUp();
      endpoint.answer = (r) => {
        if (r.path !== `/declared/${w.ns}`) return { status: 204 };
        const m = JSON.parse(r.body);
        const response = {
          topic: m.topic,
          path: m.path,
          headers: { 'correlation-id': m.headers['correlation-id'], 'content-type': 'text/plain' },
          value: 'done',
          status: 201,
        };
        return { status: 200, headers: { 'content-type': 'Application/Vnd.Eclipse.Ditto+JSON ; charset=utf-8' }, body: JSON.stringify(response) };
      };
      await createConnection(connectionJson(endpoint, reader, { address: `POST:/declared/${w.ns}` }));
      const res = await send(w, 'ask', {}, '?timeout=5');
      expect({ status: res.status, body: res.text }).toEqual({ status: 201, body: 'done' });
    });

    it('maps an empty answer declared as Ditto Protocol with live-response (no body to parse)', async () => {
      const { w, reader } = await setUp();
      endpoint.answer = (r) =>
        r.path === `/empty/${w.ns}` ? { status: 200, headers: { 'content-type': 'application/vnd.eclipse.ditto+json' }, body: '' } : { status: 204 };
      await createConnection(connectionJson(endpoint, reader, { address: `POST:/empty/${w.ns}`, issuedAcknowledgementLabel: 'live-response' }));
      const res = await send(w, 'ask', {}, '?timeout=5');
      expect({ status: res.status, body: res.text }).toEqual({ status: 200, body: '' });
    });

    it('passes on as text an answer declared as JSON that is not JSON, with live-response', async () => {
      const { w, reader } = await setUp();
      endpoint.answer = (r) =>
        r.path === `/notjson/${w.ns}` ? { status: 200, headers: { 'content-type': 'application/json' }, body: 'not {json' } : { status: 204 };
      await createConnection(connectionJson(endpoint, reader, { address: `POST:/notjson/${w.ns}`, issuedAcknowledgementLabel: 'live-response' }));
      const res = await send(w, 'ask', {}, '?timeout=5');
      expect(res.status).toBe(200);
      expect(res.text).toContain('not {json');
    });

    it("gives a WebSocket issuer the endpoint's headers under live-response: without transport headers, and the first 50 only", async () => {
      const { w, reader } = await setUp();
      const many = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`x-h-${String(i).padStart(2, '0')}`, `v${i}`]));
      endpoint.answer = (r) => {
        if (r.path === `/few/${w.ns}`) return { status: 200, headers: { 'content-type': 'application/json', 'x-answered-by': 'hook' }, body: '{"answer":42}' };
        if (r.path === `/many/${w.ns}`) return { status: 200, headers: { 'content-type': 'application/json', 'x-answered-by': 'hook', ...many }, body: '{}' };
        return { status: 204 };
      };
      await createConnection(connectionJson(endpoint, reader, { address: `POST:/{{ topic:subject }}/${w.ns}`, issuedAcknowledgementLabel: 'live-response' }));
      const issuer = await TestClient.connect(gateway.wsUrl, { auth: w.ownerAuth });
      try {
        issuer.send(message(w, 'few', { 'correlation-id': `few-${w.ns}` }));
        const few = (await issuer.nextJson()) as { status: number; value: unknown; headers: Record<string, unknown> };
        expect(few).toMatchObject({ status: 200, value: { answer: 42 } });
        expect(few.headers).toMatchObject({ 'x-answered-by': 'hook', 'content-type': 'application/json', 'correlation-id': `few-${w.ns}` });
        for (const transport of ['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'date']) expect(few.headers).not.toHaveProperty(transport);

        issuer.send(message(w, 'many', { 'correlation-id': `many-${w.ns}` }));
        const manyAnswer = (await issuer.nextJson()) as { headers: Record<string, unknown> };
        // content-type, x-answered-by and x-h-00 to x-h-47 are the first 50.
        expect(manyAnswer.headers).toMatchObject({ 'x-answered-by': 'hook', 'x-h-47': 'v47' });
        expect(manyAnswer.headers).not.toHaveProperty('x-h-48');
      } finally {
        await issuer.close();
      }
    });

    it('ignores a plain HTTP response without live-response: the issuer times out', async () => {
      const { w, reader } = await setUp();
      endpoint.answer = () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"answer":42}' });
      await createConnection(connectionJson(endpoint, reader, { address: `POST:/plain/${w.ns}` }));
      const res = await send(w, 'ask', {}, '?timeout=1');
      expect(res.status).toBe(408);
      expect(endpoint.requestsTo(`/plain/${w.ns}`)).toHaveLength(1);
    });

    it('delivers to a WebSocket reader while an endpoint of the same message hangs', async () => {
      const { w, reader } = await setUp();
      endpoint.answer = (r) => (r.path === `/hang/${w.ns}` ? 'hold' : { status: 204 });
      await createConnection(connectionJson(endpoint, reader, { address: `POST:/hang/${w.ns}` }));
      const device = await (await w.user('READER')).ws();
      try {
        await device.subscribe();
        expect((await send(w, 'smoke')).status).toBe(202);
        await endpoint.request(`/hang/${w.ns}`);
        // The endpoint still holds its request: the WebSocket reader has the message all the same.
        expect(await device.nextJson()).toMatchObject({ topic: w.topic('smoke') });
        expect(endpoint.requestsTo(`/hang/${w.ns}`)).toHaveLength(1);
      } finally {
        await device.close();
      }
    });

    it('delivers to a WebSocket reader although an endpoint refuses connections', async () => {
      const { w, reader } = await setUp();
      const closed = await Endpoint.start();
      const port = closed.port;
      await closed.stop();
      await createConnection({ ...connectionJson(endpoint, reader), uri: `http://127.0.0.1:${port}` });
      const device = await (await w.user('READER')).ws();
      try {
        await device.subscribe();
        expect((await send(w, 'smoke')).status).toBe(202);
        expect(await device.nextJson()).toMatchObject({ topic: w.topic('smoke') });
      } finally {
        await device.close();
      }
    });

    it("does not let an endpoint answer a message its subjects may not READ (another thing's correlation-id)", async () => {
      const own = await setUp();
      const victim = await setUp();
      const correlationId = `victim-${victim.w.ns}`;
      endpoint.answer = (r) => {
        if (r.path !== `/forger/${own.w.ns}`) return { status: 204 };
        const forged = {
          topic: victim.w.topic('ask'),
          path: '/inbox/messages/ask',
          headers: { 'correlation-id': correlationId, 'content-type': 'application/json' },
          value: 'forged',
          status: 200,
        };
        return { status: 200, headers: { 'content-type': 'application/vnd.eclipse.ditto+json' }, body: JSON.stringify(forged) };
      };
      await createConnection(connectionJson(endpoint, own.reader, { address: `POST:/forger/${own.w.ns}` }));
      const device = await (await victim.w.user('READER')).ws();
      try {
        await device.subscribe();
        const waiting = send(victim.w, 'ask', { 'correlation-id': correlationId }, '?timeout=2');
        // The victim's device has the message: its correlation is pending. Now the forger's endpoint answers.
        await device.nextJson();
        await send(own.w, 'trigger');
        await endpoint.request(`/forger/${own.w.ns}`);
        expect((await waiting).status).toBe(408);
      } finally {
        await device.close();
      }
    });

    it('delivers nothing to a closed connection or a deleted one', async () => {
      const { w, reader } = await setUp();
      const body = connectionJson(endpoint, reader, { address: `POST:/lifecycle/${w.ns}/{{ topic:subject }}` });
      const id = await createConnection(body);
      await send(w, 'first');
      await endpoint.request(`/lifecycle/${w.ns}/first`);

      expect((await putJson(gateway, `/api/2/connections/${id}`, DEVOPS, { ...body, connectionStatus: 'closed' })).status).toBe(204);
      await send(w, 'whileClosed');
      expect((await putJson(gateway, `/api/2/connections/${id}`, DEVOPS, { ...body, connectionStatus: 'open' })).status).toBe(204);
      await send(w, 'reopened');
      await endpoint.request(`/lifecycle/${w.ns}/reopened`);

      expect((await http(gateway, 'DELETE', `/api/2/connections/${id}`, { auth: DEVOPS })).status).toBe(204);
      await send(w, 'afterDelete');
      // A marker target created after the delete: when it has the next message, the deleted one had its chance.
      await createConnection(connectionJson(endpoint, reader, { address: `POST:/marker/${w.ns}` }));
      await send(w, 'marker');
      await endpoint.request(`/marker/${w.ns}`);
      expect(endpoint.requestsTo(`/lifecycle/${w.ns}/whileClosed`)).toEqual([]);
      expect(endpoint.requestsTo(`/lifecycle/${w.ns}/afterDelete`)).toEqual([]);
      expect(endpoint.requestsTo(`/lifecycle/${w.ns}/marker`)).toEqual([]);
    });

    it('skips a stored connection that no longer compiles, logging its id, and delivers through the others', async () => {
      const { w, reader } = await setUp();
      // As if saved under looser rules than today's: stored directly, past the validation of the API.
      const stale = uniqueName('stale');
      await targets().put(stale, { ...connectionJson(endpoint, reader), id: stale, targets: [] }, undefined);
      try {
        const lines = await loggedAsync(async () => {
          // Creating a connection makes this container list the connections anew.
          await createConnection(connectionJson(endpoint, reader, { address: `POST:/compiles/${w.ns}` }));
          await send(w, 'stillDelivered');
          await endpoint.request(`/compiles/${w.ns}`);
        });
        expect(lines.filter((l) => l.connection === stale).map((l) => [l.level, l.message])).toContainEqual(['ERROR', 'stored connection does not compile']);
      } finally {
        await targets().delete(stale);
      }
    });

    it('does not let a thing named .. move the request elsewhere on the endpoint', async () => {
      const { w, reader } = await setUp();
      const dotted = `${w.ns}:..`;
      expect((await putJson(gateway, `/api/2/things/${encodeURIComponent(dotted)}`, w.ownerAuth, { policyId: `${w.ns}:policy` })).status).toBe(201);
      await createConnection(connectionJson(endpoint, reader, { address: `POST:/tenant/${w.ns}/{{ thing:name }}/in` }));
      const sendTo = (thingId: string) =>
        http(gateway, 'POST', `/api/2/things/${encodeURIComponent(thingId)}/inbox/messages/x?timeout=0`, {
          auth: w.ownerAuth,
          body: '{}',
          headers: { 'content-type': 'application/json' },
        });
      expect((await sendTo(dotted)).status).toBe(202);
      expect((await sendTo(w.thingId)).status).toBe(202);
      await endpoint.request(`/tenant/${w.ns}/device/in`);
      expect(endpoint.received.filter((r) => r.path.startsWith('/tenant/')).map((r) => r.path)).toEqual([`/tenant/${w.ns}/device/in`]);
    });

    it('drops the message for a target whose address placeholder does not resolve (no feature)', async () => {
      const { w, reader } = await setUp();
      await createConnection(connectionJson(endpoint, reader, { address: `POST:/feature/${w.ns}/{{ feature:id }}` }));
      await send(w, 'toThing');
      await http(gateway, 'POST', `/api/2/things/${w.thingId}/features/lamp/inbox/messages/toFeature?timeout=0`, {
        auth: w.ownerAuth,
        body: '{}',
        headers: { 'content-type': 'application/json' },
      });
      await endpoint.request(`/feature/${w.ns}/lamp`);
      expect(endpoint.received.filter((r) => r.path.startsWith(`/feature/${w.ns}`)).map((r) => r.path)).toEqual([`/feature/${w.ns}/lamp`]);
    });
  });
});

describe('connection targets in a deployed stack (private addresses refused)', () => {
  let gateway: LocalGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ targetAllowedNetworks: [] });
  });
  afterAll(() => gateway.stop());

  it.each([
    ['loopback', 'http://127.0.0.1:8080'],
    ['a name that resolves to loopback', 'http://localhost:8080'],
    ['the instance metadata service', 'http://169.254.169.254:80'],
    ['a private network', 'https://10.1.2.3:443'],
    ['an IPv4-mapped IPv6 loopback', 'http://[::ffff:127.0.0.1]:8080'],
    ['the IPv6 metadata service', 'http://[fd00:ec2::254]:80'],
  ])('refuses a target uri on %s', async (_what, uri) => {
    const body = {
      connectionType: 'http-push',
      connectionStatus: 'open',
      uri,
      targets: [{ address: 'POST:/x', topics: ['_/_/things/live/messages'], authorizationContext: ['local:x'] }],
    };
    const res = await http(gateway, 'POST', '/api/2/connections', { auth: DEVOPS, body: JSON.stringify(body) });
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ error: 'connectivity:connection.configuration.invalid' });
    expect((res.json() as { description: string }).description).toMatch(/may not be reached/);
  });
});
