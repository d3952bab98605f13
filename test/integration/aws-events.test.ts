/**
 * The handlers on events shaped as AWS documents them (test/fixtures/aws-events.ts), against
 * DynamoDB Local, with the local gateway only as the WebSocket peer and @connections endpoint.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { handler as fanOutHandler } from '../../lambdas/handlers/fanout';
import { handler as httpHandler } from '../../lambdas/handlers/http-api';
import { handler as connectHandler } from '../../lambdas/handlers/ws-connect';
import { handler as defaultHandler } from '../../lambdas/handlers/ws-default';
import { handler as disconnectHandler } from '../../lambdas/handlers/ws-disconnect';
import type { LocalGateway } from '../../local/gateway';
import { httpApiEvent, sqsEvent, stringifiedContext, wsConnectEvent, wsDisconnectEvent, wsMessageEvent } from '../fixtures/aws-events';
import { bearer, startTestGateway, TestClient, uniqueName, uniqueNamespace } from '../support/harness';

let gateway: LocalGateway;
beforeAll(async () => {
  gateway = await startTestGateway();
});
afterAll(async () => gateway.stop());

const ddb = () => DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: process.env.TEST_DYNAMODB_ENDPOINT }));
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
  }, 8000);
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
        new QueryCommand({ TableName: 'test-subscriptions', KeyConditionExpression: 'subject = :s', ExpressionAttributeValues: { ':s': `local:${name}` } }),
      );
    expect((await index()).Items).toHaveLength(1);
    expect((await index()).Items![0]!.tokenExpiresAt).toBe(Number(authorizer.expiresAt));

    expect(await disconnectHandler(wsDisconnectEvent(connectionId))).toEqual({ statusCode: 200 });
    expect((await index()).Items).toEqual([]);
    expect((await ddb().send(new GetCommand({ TableName: 'test-connections', Key: { connectionId } }))).Item).toBeUndefined();
  });
});

describe('SQS events', () => {
  it('delivers a fan-out batch from an SQS record and reports no failures', async () => {
    const name = uniqueName();
    const client = await TestClient.connect(gateway.wsUrl, { auth: await bearer(name) });
    await client.subscribe();
    const [item] = (
      await ddb().send(
        new QueryCommand({ TableName: 'test-subscriptions', KeyConditionExpression: 'subject = :s', ExpressionAttributeValues: { ':s': `local:${name}` } }),
      )
    ).Items!;
    const data = JSON.stringify({ topic: 'ns/t/things/live/messages/x', path: '/inbox/messages/x', headers: {}, value: 'via sqs' });
    const out = await fanOutHandler(sqsEvent([JSON.stringify({ data, recipients: [{ connectionId: item!.connectionId, subjects: [`local:${name}`] }] })]));
    expect(out).toEqual({ batchItemFailures: [] });
    expect(await client.nextJson()).toMatchObject({ value: 'via sqs' });
    await client.close();
  });
});
