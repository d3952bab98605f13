import { ApiGatewayManagementApiClient, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { randomInt } from 'node:crypto';
import { decodeJwt } from 'jose';
import { SWEEP_LOOKBACK_MINUTES, sweepExpiredConnections } from '../../lambdas/routing/sweep';
import { devToken } from '../../local/dev-auth';
import { FrameSizeWatch } from '../../local/frames';
import type { LocalGateway } from '../../local/gateway';
import { ddb, tableName, basic, bearer, http, sleep, startTestGateway, TestClient, uniqueName } from '../support/harness';

let gateway: LocalGateway;

beforeAll(async () => {
  gateway = await startTestGateway({ idleTimeoutMs: 1500 });
});
afterAll(async () => gateway.stop());

async function connectionItem(id: string) {
  return (await ddb().send(new GetCommand({ TableName: tableName('connections'), Key: { connectionId: id } }))).Item;
}
async function indexItems(subject: string) {
  return (
    (
      await ddb().send(
        new QueryCommand({ TableName: tableName('subscriptions'), KeyConditionExpression: 'subject = :s', ExpressionAttributeValues: { ':s': subject } }),
      )
    ).Items ?? []
  );
}

describe('WebSocket authentication', () => {
  it('rejects a connection without credentials with 401', async () => {
    await expect(TestClient.connect(gateway.wsUrl)).rejects.toThrow('HTTP 401');
  });

  it('rejects an invalid token with 401', async () => {
    await expect(TestClient.connect(gateway.wsUrl, { auth: 'Bearer not.a.jwt' })).rejects.toThrow('HTTP 401');
  });

  it('accepts a token in the Authorization header, and the connection is its subject', async () => {
    const name = uniqueName();
    const client = await TestClient.connect(gateway.wsUrl, { auth: await bearer(name) });
    await client.subscribe();
    expect(await indexItems(`local:${name}`)).toHaveLength(1);
    await client.close();
  });

  it('accepts a token in the access_token query parameter, and the connection is its subject', async () => {
    const name = uniqueName();
    const token = (await bearer(name)).slice('Bearer '.length);
    const client = await TestClient.connect(gateway.wsUrl, { query: `access_token=${token}` });
    await client.subscribe();
    expect(await indexItems(`local:${name}`)).toHaveLength(1);
    await client.close();
  });

  it('accepts the dev Basic user and rejects a wrong password', async () => {
    const client = await TestClient.connect(gateway.wsUrl, { auth: basic('ditto', 'ditto') });
    await client.close();
    await expect(TestClient.connect(gateway.wsUrl, { auth: basic('ditto', 'wrong') })).rejects.toThrow('HTTP 401');
  });

  it('serves nothing but /ws/2 for upgrades', async () => {
    await expect(TestClient.connect(gateway.wsUrl.replace('/ws/2', '/ws/1'), { auth: basic('ditto', 'ditto') })).rejects.toThrow('HTTP 404');
  });
});

describe('WebSocket lifecycle', () => {
  it('stores the connection, acknowledges START/STOP and stores the subscription index', async () => {
    const name = uniqueName();
    const client = await TestClient.connect(gateway.wsUrl, { auth: await bearer(name) });
    await client.subscribe('?namespaces=org.a,org.b&filter=eq(subject,%22x%22)');
    const items = await indexItems(`local:${name}`);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ namespaces: ['org.a', 'org.b'], filter: 'eq(subject,"x")', subjects: [`local:${name}`] });
    const connection = await connectionItem(items[0]!.connectionId as string);
    expect(connection).toMatchObject({ subjects: [`local:${name}`], subscription: { namespaces: ['org.a', 'org.b'] } });
    expect(connection!.ttl).toBeGreaterThan(Date.now() / 1000 + 7000);

    await client.subscribe('?namespaces=org.c');
    expect((await indexItems(`local:${name}`))[0]).toMatchObject({ namespaces: ['org.c'] });
    expect((await indexItems(`local:${name}`))[0]!.filter).toBeUndefined();

    client.send('STOP-SEND-MESSAGES');
    expect(await client.next()).toBe('STOP-SEND-MESSAGES:ACK');
    expect(await indexItems(`local:${name}`)).toHaveLength(0);
    await client.close();
  });

  it('removes the connection and its subscriptions on disconnect', async () => {
    const name = uniqueName();
    const client = await TestClient.connect(gateway.wsUrl, { auth: await bearer(name) });
    await client.subscribe();
    const [item] = await indexItems(`local:${name}`);
    await client.close();
    for (let i = 0; i < 50 && (await indexItems(`local:${name}`)).length > 0; i++) await sleep(50);
    expect(await indexItems(`local:${name}`)).toHaveLength(0);
    expect(await connectionItem(item!.connectionId as string)).toBeUndefined();
  });

  it('answers an invalid RQL filter with rql.expression.invalid and keeps the connection open', async () => {
    const client = await TestClient.connect(gateway.wsUrl, { auth: await bearer(uniqueName()) });
    client.send('START-SEND-MESSAGES?filter=eq(nope');
    const error = await client.nextJson();
    expect(error).toMatchObject({ topic: '_/_/things/live/errors', status: 400, value: { error: 'rql.expression.invalid' } });
    await client.subscribe();
    await client.close();
  });

  it('answers unknown frames and unsupported control frames with error envelopes, never a false ACK', async () => {
    const client = await TestClient.connect(gateway.wsUrl, { auth: await bearer(uniqueName()) });
    client.send('HELLO');
    expect(await client.nextJson()).toMatchObject({ status: 400, value: { error: 'messages:messageformat.invalid' } });
    client.send('START-SEND-EVENTS');
    expect(await client.nextJson()).toMatchObject({ status: 501, value: { status: 501, error: 'gateway:method.notimplemented' } });
    client.send('{"topic": 1}');
    expect(await client.nextJson()).toMatchObject({
      status: 400,
      value: { error: 'messages:messageformat.invalid', message: expect.any(String), description: expect.any(String) },
    });
    await client.subscribe();
    await client.close();
  });

  const closedWith = (client: TestClient) =>
    new Promise<number>((resolve) => (client.closed ? resolve(client.closed.code) : client.ws.once('close', (code) => resolve(code))));

  it('closes a connection whose client sends a frame over 32 KB with 1009, and does not route it, as API Gateway does', async () => {
    const client = await TestClient.connect(gateway.wsUrl, { auth: await bearer(uniqueName()) });
    client.send(`START-SEND-MESSAGES${' '.repeat(32 * 1024)}`); // one frame of 32 KB + 19 bytes
    expect(await closedWith(client)).toBe(1009);
    expect(await client.silentFor(100)).toBe(true); // no ACK: the frame was not handled
  });

  it('accepts a frame of exactly 32 KB', async () => {
    const client = await TestClient.connect(gateway.wsUrl, { auth: await bearer(uniqueName()) });
    client.send(
      JSON.stringify({ topic: 'a/b/things/live/messages/x', path: '/inbox/messages/x', headers: {}, value: 'x'.repeat(32 * 1024 - 95) }).padEnd(32 * 1024, ' '),
    );
    // Answered (the thing does not exist), not closed.
    expect(await client.nextJson()).toMatchObject({ status: 404, value: { error: 'things:thing.notfound' } });
    expect(client.closed).toBeUndefined();
    await client.close();
  });

  it('closes a message over 128 KB with 1009 even when every frame is small', async () => {
    const client = await TestClient.connect(gateway.wsUrl, { auth: await bearer(uniqueName()) });
    client.sendFragmented('x'.repeat(128 * 1024 + 1), 16 * 1024);
    expect(await closedWith(client)).toBe(1009);
  });

  it('delivers a message over 32 KB as frames of at most 32 KB, which clients reassemble', async () => {
    const name = uniqueName();
    const client = await TestClient.connect(gateway.wsUrl, { auth: await bearer(name) });
    await client.subscribe();
    // Watch the frames the client receives on its raw socket: none may exceed 32 KB.
    const oversized: number[] = [];
    const watch = new FrameSizeWatch(32 * 1024, (size) => oversized.push(size));
    (client.ws as unknown as { _socket: NodeJS.EventEmitter })._socket.on('data', (chunk: Buffer) => watch.feed(chunk));
    const [item] = await indexItems(`local:${name}`);
    const big = JSON.stringify({ value: 'y'.repeat(100 * 1024) });
    const sdk = new ApiGatewayManagementApiClient({ endpoint: gateway.httpUrl, region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    await sdk.send(new PostToConnectionCommand({ ConnectionId: item!.connectionId as string, Data: Buffer.from(big) }));
    expect(await client.next()).toBe(big);
    expect(oversized).toEqual([]);
    await client.close();
  });

  it('closes an idle connection after the idle timeout', async () => {
    const client = await TestClient.connect(gateway.wsUrl, { auth: await bearer(uniqueName()) });
    for (let i = 0; i < 60 && !client.closed; i++) await sleep(50);
    expect(client.closed?.code).toBe(1001);
  });
});

describe('token expiry sweep', () => {
  it('makes up for missed runs: closes a connection whose token expired up to five minutes before, not longer', async () => {
    // An expiry minute no other test (or an earlier run against the same database) shares: the sweep runs over every
    // connection that expired in its window.
    const token = await devToken(uniqueName('sweep'), { expiresIn: `${3 * 24 * 60 + randomInt(100_000)}m` });
    const exp = decodeJwt(token).exp!;
    const client = await TestClient.connect(gateway.wsUrl, { auth: `Bearer ${token}` });
    await client.subscribe();
    expect(SWEEP_LOOKBACK_MINUTES).toBe(5);
    expect(await sweepExpiredConnections((exp + 6 * 60) * 1000)).toEqual({ checked: 0, closed: 0 });
    expect(client.closed).toBeUndefined();
    const closing = new Promise<void>((resolve) => client.ws.once('close', () => resolve()));
    expect(await sweepExpiredConnections((exp + 5 * 60) * 1000)).toEqual({ checked: 1, closed: 1 });
    await closing;
  });
});

describe('@connections management endpoint', () => {
  const sdk = () => new ApiGatewayManagementApiClient({ endpoint: gateway.httpUrl, region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });

  it('delivers a post from the real SDK client and answers 410 Gone for a closed connection', async () => {
    const name = uniqueName();
    const client = await TestClient.connect(gateway.wsUrl, { auth: await bearer(name) });
    await client.subscribe();
    const [item] = await indexItems(`local:${name}`);
    const connectionId = item!.connectionId as string;
    await sdk().send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from('hello') }));
    expect(await client.next()).toBe('hello');
    await client.close();
    await expect(sdk().send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from('late') }))).rejects.toBeInstanceOf(GoneException);
  });
});

describe('HTTP authentication', () => {
  it('answers a request without credentials with a Ditto 401', async () => {
    const res = await http(gateway, 'GET', '/api/2/things/ns:x');
    expect(res.status).toBe(401);
    expect(res.json()).toMatchObject({ status: 401, error: 'gateway:authentication.failed', message: expect.any(String), description: expect.any(String) });
  });
});
