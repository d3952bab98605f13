/**
 * The handlers on events shaped as AWS documents them (test/fixtures/aws-events.ts), against
 * DynamoDB Local, with the local gateway only as the WebSocket peer and @connections endpoint.
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { handler as fanOutHandler } from '../../lambdas/handlers/fanout';
import { handler as httpHandler } from '../../lambdas/handlers/http-api';
import { handler as connectHandler } from '../../lambdas/handlers/ws-connect';
import { handler as defaultHandler } from '../../lambdas/handlers/ws-default';
import { handler as disconnectHandler } from '../../lambdas/handlers/ws-disconnect';
import type { LocalGateway } from '../../local/gateway';
import { httpApiEvent, sqsEvent, stringifiedContext, wsConnectEvent, wsDisconnectEvent, wsMessageEvent } from '../fixtures/aws-events';
import { ddb, tableName, basic, bearer, startTestGateway, TestClient, uniqueName, uniqueNamespace } from '../support/harness';
import { worldOn } from '../support/world';

let gateway: LocalGateway;
beforeAll(async () => {
  gateway = await startTestGateway();
});
afterAll(async () => gateway.stop());

const json = (r: { body?: string; isBase64Encoded?: boolean }) =>
  JSON.parse(r.isBase64Encoded ? Buffer.from(r.body!, 'base64').toString() : r.body!) as Record<string, any>;

async function thingOf(auth: string): Promise<string> {
  const thingId = `${uniqueNamespace()}:t`;
  const created = await httpHandler(
    httpApiEvent({ method: 'PUT', url: `/api/2/things/${thingId}`, headers: { authorization: auth, 'content-type': 'application/json' }, body: '{}' }),
  );
  expect(created.statusCode).toBe(201);
  return thingId;
}

describe('HTTP API payload format 2.0', () => {
  it('serves a request with cookies, a route key with {proxy+} and a base64 body', async () => {
    const auth = await bearer(uniqueName());
    const thingId = await thingOf(auth);
    const res = await httpHandler(
      httpApiEvent({
        method: 'POST',
        url: `/api/2/things/${thingId}/inbox/messages/blob?timeout=0`,
        headers: { authorization: auth, 'content-type': 'application/octet-stream', 'correlation-id': 'fx-1' },
        cookies: ['session=abc', 'theme=dark'],
        body: Buffer.from([0, 1, 2, 255]),
      }),
    );
    expect(res).toMatchObject({ statusCode: 202, headers: { 'correlation-id': 'fx-1' } });
  });

  it('answers 408 in Ditto format before the invocation ends, however long the requested wait', async () => {
    const auth = await bearer(uniqueName());
    const thingId = await thingOf(auth);
    const started = Date.now();
    const res = await httpHandler(
      httpApiEvent({
        method: 'POST',
        url: `/api/2/things/${thingId}/inbox/messages/slow?timeout=29`,
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: '{}',
      }),
      { getRemainingTimeInMillis: () => 2500 - (Date.now() - started) }, // a cold container with little time left
    );
    expect(res.statusCode).toBe(408);
    expect(json(res)).toMatchObject({ status: 408, error: 'acknowledgement:request.timeout' });
    expect(Date.now() - started).toBeLessThan(2500);
  }, 8000);

  it('answers 408 before API Gateway ends the request, counted from when the request arrived', async () => {
    const auth = await bearer(uniqueName());
    const thingId = await thingOf(auth);
    const event = httpApiEvent({
      method: 'POST',
      url: `/api/2/things/${thingId}/inbox/messages/slow?timeout=10`,
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: '{}',
    });
    // Arrived 28 s ago (a slow authorizer or a cold start): API Gateway gives up 2 s from now.
    const started = Date.now();
    const res = await httpHandler({ ...event, requestContext: { ...event.requestContext, timeEpoch: started - 28_000 } });
    expect(res.statusCode).toBe(408);
    expect(Date.now() - started).toBeLessThan(5000);
  }, 15000);
});

describe('HTTP API results', () => {
  const world = worldOn(() => gateway);

  it('answers JSON with content-type application/json and the ETag on GET of a thing', async () => {
    const auth = await bearer(uniqueName());
    const thingId = await thingOf(auth);
    const res = await httpHandler(httpApiEvent({ method: 'GET', url: `/api/2/things/${thingId}`, headers: { authorization: auth } }));
    expect(res).toMatchObject({ statusCode: 200, headers: { 'content-type': 'application/json', etag: '"rev:1"' } });
  });

  it('answers GET of a sub-resource with its ETag, and DELETE of it with 204 and the new ETag', async () => {
    const auth = await bearer(uniqueName());
    const thingId = await thingOf(auth);
    const put = await httpHandler(
      httpApiEvent({
        method: 'PUT',
        url: `/api/2/things/${thingId}/attributes/room`,
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: '"hall"',
      }),
    );
    expect(put).toMatchObject({ statusCode: 201, headers: { etag: '"rev:2"' } });
    const read = await httpHandler(httpApiEvent({ method: 'GET', url: `/api/2/things/${thingId}/attributes/room`, headers: { authorization: auth } }));
    expect(read).toEqual({ statusCode: 200, headers: { 'content-type': 'application/json', etag: '"rev:2"' }, body: '"hall"' });
    const removed = await httpHandler(httpApiEvent({ method: 'DELETE', url: `/api/2/things/${thingId}/attributes/room`, headers: { authorization: auth } }));
    expect(removed).toEqual({ statusCode: 204, headers: { etag: '"rev:3"' } });
  });

  it("refuses a malformed id on a thing's sub-resource as a thing id, on a policy's as a policy id", async () => {
    const auth = await bearer(uniqueName());
    const thing = await httpHandler(httpApiEvent({ method: 'GET', url: '/api/2/things/no-namespace/attributes', headers: { authorization: auth } }));
    expect(thing.statusCode).toBe(400);
    expect(json(thing)).toMatchObject({ status: 400, error: 'things:id.invalid' });
    const policy = await httpHandler(httpApiEvent({ method: 'GET', url: '/api/2/policies/no-namespace/entries', headers: { authorization: auth } }));
    expect(policy.statusCode).toBe(400);
    expect(json(policy)).toMatchObject({ status: 400, error: 'policies:id.invalid' });
  });

  it('echoes the correlation-id on an error response when the request had one, and sends none otherwise', async () => {
    const auth = await bearer(uniqueName());
    const url = `/api/2/things/${uniqueNamespace()}:missing`;
    const given = await httpHandler(httpApiEvent({ method: 'GET', url, headers: { authorization: auth, 'correlation-id': 'err-1' } }));
    expect(given).toMatchObject({ statusCode: 404, headers: { 'content-type': 'application/json', 'correlation-id': 'err-1' } });
    const none = await httpHandler(httpApiEvent({ method: 'GET', url, headers: { authorization: auth } }));
    expect(none.statusCode).toBe(404);
    expect(none.headers).toEqual({ 'content-type': 'application/json' });
  });

  it('answers a dry-run connection test with 200 and nothing else (a result without statusCode would be a body)', async () => {
    const res = await httpHandler(
      httpApiEvent({
        method: 'POST',
        url: '/api/2/connections?dry-run=true',
        headers: { authorization: basic('devops', 'foobar'), 'content-type': 'application/json' },
        body: JSON.stringify({
          name: 'dry',
          connectionType: 'http-push',
          connectionStatus: 'open',
          uri: 'http://127.0.0.1:9',
          sources: [],
          targets: [{ address: 'POST:/hook', topics: ['_/_/things/live/messages'], authorizationContext: ['local:nobody'] }],
        }),
      }),
    );
    expect(res).toEqual({ statusCode: 200 });
  });

  it('sends a message without a body', async () => {
    const auth = await bearer(uniqueName());
    const thingId = await thingOf(auth);
    const res = await httpHandler(
      httpApiEvent({ method: 'POST', url: `/api/2/things/${thingId}/inbox/messages/ping?timeout=0`, headers: { authorization: auth } }),
    );
    expect(res.statusCode).toBe(202);
  });

  /** Sends `request` to a subscribed device, which answers with `answer` (its correlation-id added). */
  async function exchange(
    query: string,
    answer: { status: number; headers?: Record<string, string>; value?: unknown },
    requestHeaders: Record<string, string> = {},
  ) {
    const w = await world();
    const device = await TestClient.connect(gateway.wsUrl, { auth: w.ownerAuth });
    await device.subscribe();
    const pending = httpHandler(
      httpApiEvent({
        method: 'POST',
        url: `/api/2/things/${w.thingId}/inbox/messages/ask${query}`,
        headers: { authorization: w.ownerAuth, 'content-type': 'application/json', 'correlation-id': `x-${w.ns}`, ...requestHeaders },
        body: '{}',
      }),
    );
    const received = await device.nextJson();
    device.send({
      topic: received.topic,
      path: received.path,
      headers: { 'correlation-id': received.headers['correlation-id'], ...answer.headers },
      ...(answer.value !== undefined ? { value: answer.value } : {}),
      status: answer.status,
    });
    const res = await pending;
    await device.close();
    return { received, res, correlationId: `x-${w.ns}` };
  }

  it("answers with application/json and nosniff when the device's response names no content-type", async () => {
    const { res } = await exchange('', { status: 200, value: { ok: true } });
    expect(res).toMatchObject({ statusCode: 200, headers: { 'content-type': 'application/json', 'x-content-type-options': 'nosniff' } });
    expect(json(res)).toEqual({ ok: true });
  });

  it('answers without a body (and without content-type) when the device answers 204 with a value, or 200 without one', async () => {
    for (const answer of [
      { status: 204, headers: { 'content-type': 'application/json' }, value: { ignored: true } },
      { status: 200, headers: { 'content-type': 'application/json' } },
    ]) {
      const { res, correlationId } = await exchange('', answer);
      expect(res).toEqual({ statusCode: answer.status, headers: { 'correlation-id': correlationId } });
    }
  });

  it('tells recipients the wait that applies and withholds transport headers', async () => {
    const { received } = await exchange(
      '?timeout=5',
      { status: 200, value: 1 },
      { accept: 'application/json', 'user-agent': 'curl/8.5.0', 'cache-control': 'no-cache', 'x-custom': 'kept' },
    );
    expect(received.headers).toMatchObject({ timeout: '5000ms', 'x-custom': 'kept' });
    for (const name of ['accept', 'user-agent', 'cache-control', 'host', 'content-length']) expect(received.headers).not.toHaveProperty(name);
  });

  it('does not flag a timeout of exactly the HTTP limit as capped', async () => {
    const { received, res } = await exchange('?timeout=29', { status: 200, value: 1 });
    expect(received.headers.timeout).toBe('29000ms');
    expect(res.statusCode).toBe(200);
    expect(res.headers).not.toHaveProperty('ditto-timeout-capped');
  });
});

describe('WebSocket API events', () => {
  it('connects, subscribes and cleans up from stringified authorizer context, and on $disconnect without any context', async () => {
    const name = uniqueName();
    const connectionId = `fx${uniqueName().slice(-8)}=`;
    const authorizer = stringifiedContext({
      subjects: JSON.stringify([`local:${name}`]),
      expiresAt: Math.floor(Date.now() / 1000) + 3600,
      principalId: `local:${name}`,
    });
    expect(await connectHandler(wsConnectEvent(connectionId, authorizer))).toEqual({ statusCode: 200 });
    expect(await defaultHandler(wsMessageEvent(connectionId, 'START-SEND-MESSAGES', authorizer))).toEqual({ statusCode: 200, body: 'START-SEND-MESSAGES:ACK' });
    const index = () =>
      ddb().send(
        new QueryCommand({
          TableName: tableName('subscriptions'),
          KeyConditionExpression: 'subject = :s',
          ExpressionAttributeValues: { ':s': `local:${name}` },
        }),
      );
    expect((await index()).Items).toHaveLength(1);
    expect((await index()).Items![0]!.tokenExpiresAt).toBe(Number(authorizer.expiresAt));

    expect(await disconnectHandler(wsDisconnectEvent(connectionId))).toEqual({ statusCode: 200 });
    expect((await index()).Items).toEqual([]);
    expect((await ddb().send(new GetCommand({ TableName: tableName('connections'), Key: { connectionId } }))).Item).toBeUndefined();
  });
});

describe('SQS events', () => {
  it('delivers a fan-out batch from an SQS record and reports no failures', async () => {
    const name = uniqueName();
    const client = await TestClient.connect(gateway.wsUrl, { auth: await bearer(name) });
    await client.subscribe();
    const [item] = (
      await ddb().send(
        new QueryCommand({
          TableName: tableName('subscriptions'),
          KeyConditionExpression: 'subject = :s',
          ExpressionAttributeValues: { ':s': `local:${name}` },
        }),
      )
    ).Items!;
    const data = JSON.stringify({ topic: 'ns/t/things/live/messages/x', path: '/inbox/messages/x', headers: {}, value: 'via sqs' });
    const out = await fanOutHandler(sqsEvent([JSON.stringify({ data, recipients: [{ connectionId: item!.connectionId, subjects: [`local:${name}`] }] })]));
    expect(out).toEqual({ batchItemFailures: [] });
    expect(await client.nextJson()).toMatchObject({ value: 'via sqs' });
    await client.close();
  });
});
