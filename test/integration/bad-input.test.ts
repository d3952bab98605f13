/**
 * The bad-input catalogue: every case gets a Ditto error (HTTP) or an error envelope (WebSocket),
 * the connection stays open where the protocol allows, and the next good request is served.
 */
import fc from 'fast-check';
import type { LocalGateway } from '../../local/gateway';
import { bearer, http, putJson, startTestGateway, TestClient, uniqueName, uniqueNamespace } from '../support/harness';

let gateway: LocalGateway;
let auth: string;
const ns = uniqueNamespace();
const thingId = `${ns}:device`;
const topic = `${ns}/device/things/live/messages/ping`;
beforeAll(async () => {
  gateway = await startTestGateway();
  auth = await bearer(uniqueName('owner'));
  expect((await putJson(gateway, `/api/2/things/${thingId}`, auth, {})).status).toBe(201);
});
afterAll(async () => gateway.stop());

const fireAndForget = () =>
  http(gateway, 'POST', `/api/2/things/${thingId}/inbox/messages/ping?timeout=0`, { auth, body: '{"ok":1}', headers: { 'content-type': 'application/json' } });

describe('HTTP bad input', () => {
  const big = (n: number) => 'x'.repeat(n);
  const cases: [string, string, string, { body?: string | Buffer; headers?: Record<string, string> }, number, string][] = [
    ['invalid JSON in a thing', 'PUT', '/api/2/things/{id}', { body: '{"a":', headers: { 'content-type': 'application/json' } }, 400, 'json.invalid'],
    ['a non-object thing', 'PUT', '/api/2/things/{id}', { body: '"text"', headers: { 'content-type': 'application/json' } }, 400, 'things:thing.invalid'],
    [
      'an extra field in a thing',
      'PUT',
      '/api/2/things/{id}',
      { body: '{"colour":"red"}', headers: { 'content-type': 'application/json' } },
      400,
      'things:thing.invalid',
    ],
    [
      'a wrong type in a thing',
      'PUT',
      '/api/2/things/{id}',
      { body: '{"attributes":[1]}', headers: { 'content-type': 'application/json' } },
      400,
      'things:thing.invalid',
    ],
    ['a too long thing id', 'GET', `/api/2/things/ns:${big(300)}`, {}, 400, 'things:id.invalid'],
    ['a control character in an id', 'GET', '/api/2/things/ns:a%01b', {}, 400, 'things:id.invalid'],
    ['a / in an id', 'GET', '/api/2/things/ns:a%2Fb', {}, 400, 'things:id.invalid'],
    ['broken percent-encoding', 'GET', '/api/2/things/ns:%E0%A4%A', {}, 400, 'json.invalid'],
    ['double percent-encoding (decoded once, so %2F stays literal and is rejected)', 'GET', '/api/2/things/ns:a%252Fb', {}, 404, 'things:thing.notfound'],
    ['an empty subject', 'POST', '/api/2/things/{id}/inbox/messages/', { body: 'x' }, 400, 'messages:subject.invalid'],
    ['a subject of only slashes', 'POST', '/api/2/things/{id}/inbox/messages/%2F%2F', { body: 'x' }, 400, 'messages:subject.invalid'],
    ['a huge subject', 'POST', `/api/2/things/{id}/inbox/messages/${big(8000)}?timeout=0`, { body: 'x' }, 202, ''],
    [
      'a body over the limit',
      'POST',
      '/api/2/things/{id}/inbox/messages/x?timeout=0',
      { body: big(128 * 1024 + 1), headers: { 'content-type': 'text/plain' } },
      413,
      'messages:payload.toolarge',
    ],
    [
      'invalid UTF-8 declared as text',
      'POST',
      '/api/2/things/{id}/inbox/messages/x?timeout=0',
      { body: Buffer.from([0x68, 0xc3, 0x28]), headers: { 'content-type': 'text/plain' } },
      400,
      'messages:payload.invalid',
    ],
    [
      'deeply nested JSON',
      'POST',
      '/api/2/things/{id}/inbox/messages/x?timeout=0',
      { body: `${'['.repeat(5000)}${']'.repeat(5000)}`, headers: { 'content-type': 'application/json' } },
      400,
      'json.invalid',
    ],
    [
      'a JSON payload that is not JSON',
      'POST',
      '/api/2/things/{id}/inbox/messages/x?timeout=0',
      { body: '{nope', headers: { 'content-type': 'application/json' } },
      400,
      'json.invalid',
    ],
    ['a negative timeout', 'POST', '/api/2/things/{id}/inbox/messages/x?timeout=-5', { body: 'x' }, 400, 'timeout.invalid'],
    ['an unparsable timeout', 'POST', '/api/2/things/{id}/inbox/messages/x?timeout=1h', { body: 'x' }, 400, 'timeout.invalid'],
    ['a bad response-required', 'POST', '/api/2/things/{id}/inbox/messages/x?response-required=maybe', { body: 'x' }, 400, 'header.invalid'],
    [
      'a huge header value',
      'POST',
      '/api/2/things/{id}/inbox/messages/x?timeout=0',
      { body: 'x', headers: { 'x-huge': big(9000) } },
      431,
      'gateway:headers.toolarge',
    ],
    ['an unknown route', 'GET', '/api/2/nothing/here', {}, 404, 'gateway:resource.notfound'],
    ['a wrong method', 'GET', '/api/2/things/{id}/inbox/messages/x', {}, 405, 'gateway:method.notallowed'],
  ];

  it.each(cases)('answers %s with a Ditto error and keeps serving', async (_name, method, path, init, status, error) => {
    const res = await http(gateway, method, path.replace('{id}', thingId), { auth, ...init });
    expect(res.status).toBe(status);
    if (error) expect(res.json()).toMatchObject({ status, error, message: expect.any(String), description: expect.any(String) });
    expect((await fireAndForget()).status).toBe(202);
  });

  it('answers a request with thousands of headers with a Ditto error', async () => {
    const headers = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`x-h${i}`, 'v']));
    const res = await http(gateway, 'POST', `/api/2/things/${thingId}/inbox/messages/x?timeout=0`, { auth, body: 'x', headers });
    expect(res.status).toBe(431);
    expect((await fireAndForget()).status).toBe(202);
  });

  it('accepts a body just under the limit', async () => {
    const res = await http(gateway, 'POST', `/api/2/things/${thingId}/inbox/messages/x?timeout=0`, {
      auth,
      body: 'x'.repeat(120 * 1024),
      headers: { 'content-type': 'text/plain' },
    });
    expect(res.status).toBe(202);
  });
});

describe('WebSocket bad input', () => {
  let client: TestClient;
  beforeAll(async () => {
    client = await TestClient.connect(gateway.wsUrl, { auth });
  });
  afterAll(async () => client.close());

  const envelope = (over: Record<string, unknown> = {}) =>
    JSON.stringify({ topic, path: '/inbox/messages/ping', headers: { 'response-required': false }, value: 1, ...over });
  const cases: [string, string, number, string][] = [
    ['invalid JSON', '{"topic":', 400, 'json.invalid'],
    ['non-object JSON', '[1,2,3]', 400, 'messages:messageformat.invalid'],
    ['a JSON string', '"hello"', 400, 'messages:messageformat.invalid'],
    ['a missing path', JSON.stringify({ topic }), 400, 'messages:messageformat.invalid'],
    ['an extra field', envelope({ surprise: true }), 400, 'messages:messageformat.invalid'],
    ['a wrong type for headers', envelope({ headers: [] }), 400, 'messages:messageformat.invalid'],
    ['a topic/path mismatch', envelope({ path: '/inbox/messages/pong' }), 400, 'messages:messageformat.invalid'],
    ['an unknown channel', envelope({ topic: topic.replace('/live/', '/radio/') }), 400, 'messages:messageformat.invalid'],
    ['the twin channel', envelope({ topic: topic.replace('/live/', '/twin/') }), 501, 'gateway:method.notimplemented'],
    ['an unknown criterion', envelope({ topic: topic.replace('/messages/', '/gossip/') }), 400, 'messages:messageformat.invalid'],
    ['an invalid thing id', envelope({ topic: topic.replace(/^[^/]+/, '9bad') }), 400, 'things:id.invalid'],
    ['an empty subject', envelope({ topic: topic.replace('/ping', '/'), path: '/inbox/messages/' }), 400, 'messages:subject.invalid'],
    ['deeply nested JSON', `{"topic":"${topic}","path":"/inbox/messages/ping","value":${'['.repeat(5000)}${']'.repeat(5000)}}`, 400, 'json.invalid'],
    [
      'thousands of headers',
      envelope({ headers: Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`h${i}`, 'v'])) }),
      431,
      'gateway:headers.toolarge',
    ],
    ['a huge header value', envelope({ headers: { big: 'v'.repeat(10_000) } }), 431, 'gateway:headers.toolarge'],
    ['a bad timeout', envelope({ headers: { timeout: 'forever' } }), 400, 'timeout.invalid'],
    ['an unknown control frame', 'PLEASE-SEND-EVERYTHING', 400, 'messages:messageformat.invalid'],
    ['an unsupported Ditto control frame', 'START-SEND-LIVE-COMMANDS', 501, 'gateway:method.notimplemented'],
    ['bad RQL', 'START-SEND-MESSAGES?filter=eq(subject,', 400, 'rql.expression.invalid'],
    ['an RQL filter on an unknown field', 'START-SEND-MESSAGES?filter=eq(password,"x")', 400, 'rql.expression.invalid'],
    ['a bad namespace option', 'START-SEND-MESSAGES?namespaces=ok,9bad', 400, 'messages:namespaces.invalid'],
    ['an empty frame', '', 400, 'messages:messageformat.invalid'],
    ['a non-numeric status', envelope({ status: 'OK' }), 400, 'messages:messageformat.invalid'],
  ];

  it.each(cases)('answers %s with an error envelope and stays open', async (_name, frame, status, error) => {
    client.send(frame);
    const reply = await client.nextJson();
    expect(reply).toMatchObject({ path: '/', status, value: { status, error, message: expect.any(String), description: expect.any(String) } });
    expect(reply.topic).toMatch(/things\/live\/errors$/);
    await client.subscribe(); // still open and serving
  });

  it('accepts a message just under 128 KB sent as frames of at most 32 KB', async () => {
    client.sendFragmented(envelope({ value: 'x'.repeat(127 * 1024) }));
    expect(await client.silentFor(300)).toBe(true);
    await client.subscribe();
  });

  it('closes a connection that sends invalid UTF-8 (1007), as WebSocket requires', async () => {
    const c = await TestClient.connect(gateway.wsUrl, { auth });
    // A text frame with invalid UTF-8 must fail the connection (RFC 6455 8.1); ws enforces it.
    // Written raw: FIN+text, masked (all-zero key, so the payload bytes go out as they are), 2 bytes.
    (c.ws as unknown as { _socket: { write(b: Buffer): void } })._socket.write(Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0xc3, 0x28]));
    for (let i = 0; i < 40 && !c.closed; i++) await new Promise((r) => setTimeout(r, 50));
    expect(c.closed?.code).toBe(1007);
    await client.subscribe();
  });
});

describe('fuzzing', () => {
  it('the $default handler answers every input without throwing or hanging', async () => {
    const { handler } = await import('../../lambdas/handlers/ws-default');
    const frame = fc.oneof(
      fc.string(),
      fc.json(),
      fc
        .record({
          topic: fc.oneof(fc.constant(topic), fc.string()),
          path: fc.oneof(fc.constant('/inbox/messages/ping'), fc.string()),
          headers: fc.dictionary(fc.string(), fc.jsonValue()),
          value: fc.jsonValue(),
          status: fc.oneof(fc.integer(), fc.constant(undefined)),
        })
        .map((o) => JSON.stringify(o)),
      fc.constantFrom('START-SEND-MESSAGES', 'STOP-SEND-MESSAGES', 'JWT-TOKEN?jwtToken=x').chain((c) => fc.string().map((q) => `${c}?${q}`)),
    );
    const authorizer = { subjects: JSON.stringify(['local:fuzzer']) };
    await fc.assert(
      fc.asyncProperty(frame, async (body) => {
        let timer: NodeJS.Timeout | undefined;
        const result = (await Promise.race([
          handler({ requestContext: { connectionId: `fuzz-${Math.random()}`, authorizer }, body, isBase64Encoded: false }),
          new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('hang')), 5000))),
        ]).finally(() => clearTimeout(timer))) as { statusCode: number; body?: string };
        expect(result.statusCode).toBe(200);
        if (result.body?.startsWith('{')) {
          const reply = JSON.parse(result.body);
          expect(reply.value).toMatchObject({ status: expect.any(Number), error: expect.any(String) });
        }
      }),
      { numRuns: 150 },
    );
  });
});
