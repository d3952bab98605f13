/**
 * The WebSocket handlers (authorizer, $connect, $default, $disconnect) and the expiry sweep, called directly on events
 * shaped as AWS documents them (test/fixtures/aws-events.ts), against DynamoDB Local, with the local gateway only as the
 * @connections endpoint: what each answers, what it logs for an operator and what it leaves in the tables, edge by edge.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { decodeJwt } from 'jose';
import { getConfig, resetConfig } from '../../lambdas/config';
import { handler as sweepHandler } from '../../lambdas/handlers/token-sweep';
import { handler as authorizerHandler } from '../../lambdas/handlers/ws-authorizer';
import { handler as connectHandler } from '../../lambdas/handlers/ws-connect';
import { handler as defaultHandler } from '../../lambdas/handlers/ws-default';
import { handler as disconnectHandler } from '../../lambdas/handlers/ws-disconnect';
import { logger } from '../../lambdas/observability/logger';
import { devToken } from '../../local/dev-auth';
import type { LocalGateway } from '../../local/gateway';
import { stringifiedContext, wsAuthorizerEvent, wsConnectEvent, wsDisconnectEvent, wsMessageEvent } from '../fixtures/aws-events';
import { bearer, ddb, putJson, startTestGateway, tableName, uniqueName, uniqueNamespace } from '../support/harness';
import { loggedAsync } from '../support/logs';

let gateway: LocalGateway;
beforeAll(async () => {
  // No scheduled sweep while the tests run: the sweep's test invokes it itself.
  gateway = await startTestGateway({ sweepIntervalMs: 3_600_000 });
});
afterAll(async () => gateway.stop());

const nowSeconds = () => Math.floor(Date.now() / 1000);
/** A connection id API Gateway never issued: the @connections endpoint answers 410 for it. */
const unknownConnectionId = () => `hx${uniqueName().slice(-8)}=`;
/** The authorizer context a connection of `subjects` carries on every route. */
const contextOf = (subjects: readonly string[], expiresAt = nowSeconds() + 3600) =>
  stringifiedContext({ subjects: JSON.stringify(subjects), expiresAt, principalId: subjects[0] });
const bodyOf = (result: unknown) => (result as { body?: string }).body;
const envelopeOf = (result: unknown) => JSON.parse(bodyOf(result)!) as Record<string, any>;
const connectionItem = async (connectionId: string) => (await ddb().send(new GetCommand({ TableName: tableName('connections'), Key: { connectionId } }))).Item;

/** The log lines printed while `work` runs, at INFO as in production (the tests otherwise print errors only). */
async function logsOf(work: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const level = logger.getLevelName();
  logger.setLogLevel('INFO');
  try {
    return await loggedAsync(work);
  } finally {
    logger.setLogLevel(level);
  }
}

/** Runs `work` with one of the handlers' environment variables changed (e.g. a table that does not exist). */
async function withEnv(name: string, value: string, work: () => Promise<void>): Promise<void> {
  const before = process.env[name];
  process.env[name] = value;
  resetConfig();
  try {
    await work();
  } finally {
    process.env[name] = before;
    resetConfig();
  }
}

describe('the expiry sweep (scheduled)', () => {
  it('logs how many connections it closed, and logs nothing when no token had expired', async () => {
    // First in this file, whose tables are its own: no connection has expired yet.
    const quiet = await logsOf(async () => expect(await sweepHandler(undefined)).toEqual({ checked: 0, closed: 0 }));
    expect(quiet.filter((l) => l.message === 'expired connections closed')).toEqual([]);

    const connectionId = unknownConnectionId();
    const expired = contextOf([`local:${uniqueName()}`], nowSeconds() - 30);
    expect(await connectHandler(wsConnectEvent(connectionId, expired))).toEqual({ statusCode: 200 });
    const lines = await logsOf(async () => expect(await sweepHandler(undefined)).toEqual({ checked: 1, closed: 1 }));
    expect(lines.filter((l) => l.message === 'expired connections closed')).toEqual([
      expect.objectContaining({ level: 'INFO', handler: 'token-sweep', checked: 1, closed: 1 }),
    ]);
    expect(await connectionItem(connectionId)).toBeUndefined();
  });
});

describe('the REQUEST authorizer', () => {
  it('allows invoking exactly the $connect route it was asked about, and hands on the subject and the expiry', async () => {
    const name = uniqueName();
    const token = await devToken(name);
    const event = wsAuthorizerEvent(unknownConnectionId(), { query: { access_token: token } });
    expect(await authorizerHandler(event)).toEqual({
      principalId: `local:${name}`,
      policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }] },
      context: { subjects: JSON.stringify([`local:${name}`]), expiresAt: decodeJwt(token).exp },
    });
  });

  it("refuses with the 'Unauthorized' error that API Gateway turns into 401, and logs the reason", async () => {
    const event = wsAuthorizerEvent(unknownConnectionId(), { headers: { Authorization: 'Bearer not.a.jwt' } });
    const lines = await logsOf(() => expect(authorizerHandler(event)).rejects.toThrow(new Error('Unauthorized')));
    expect(lines.filter((l) => l.message === 'websocket authentication failed')).toEqual([
      expect.objectContaining({ level: 'INFO', handler: 'ws-authorizer', reason: 'The JWT is malformed.' }),
    ]);
  });
});

describe('$connect', () => {
  it('refuses a connection without authenticated subjects with 401, stores nothing and logs where', async () => {
    const connectionId = unknownConnectionId();
    let result: unknown;
    const lines = await logsOf(async () => {
      result = await connectHandler(wsConnectEvent(connectionId, {}));
    });
    expect(result).toMatchObject({ statusCode: 401 });
    expect(envelopeOf(result)).toMatchObject({
      status: 401,
      error: 'gateway:authentication.failed',
      description: 'The connection carries no authenticated subjects.',
    });
    expect(lines.filter((l) => l.message === 'authentication failed')).toEqual([
      expect.objectContaining({ where: '$connect', route: '$connect', connectionId, reason: 'The connection carries no authenticated subjects.' }),
    ]);
    expect(await connectionItem(connectionId)).toBeUndefined();
  });
});

describe('$default', () => {
  const send = (body: string, context = contextOf([`local:${uniqueName()}`]), connectionId = unknownConnectionId()) =>
    defaultHandler(wsMessageEvent(connectionId, body, context));

  it('answers a message on a connection without authenticated subjects with a 401 envelope, logged under the connection and route', async () => {
    const connectionId = unknownConnectionId();
    let result: unknown;
    const lines = await logsOf(async () => {
      result = await defaultHandler(wsMessageEvent(connectionId, 'START-SEND-MESSAGES', {}));
    });
    expect(envelopeOf(result)).toMatchObject({
      topic: '_/_/things/live/errors',
      status: 401,
      value: { error: 'gateway:authentication.failed', description: 'The connection carries no authenticated subjects.' },
    });
    expect(lines.filter((l) => l.message === 'authentication failed')).toEqual([
      expect.objectContaining({ where: '$default', route: '$default', connectionId, handler: 'ws-default' }),
    ]);
  });

  it('logs an unexpected error under the connection, the route, the correlation-id and the thing', async () => {
    const owner = uniqueName('owner');
    const thingId = `${uniqueNamespace()}:t`;
    expect((await putJson(gateway, `/api/2/things/${thingId}`, await bearer(owner), {})).status).toBe(201);
    const connectionId = unknownConnectionId();
    const [ns, name] = thingId.split(':') as [string, string];
    const message = { topic: `${ns}/${name}/things/live/messages/x`, path: '/inbox/messages/x', headers: { 'correlation-id': 'ws-err-1' }, value: 1 };
    let result: unknown;
    // A misconfiguration the code cannot anticipate: the correlations table is missing.
    await withEnv('CORRELATIONS_TABLE', 'table-that-does-not-exist', async () => {
      const lines = await logsOf(async () => {
        result = await send(JSON.stringify(message), contextOf([`local:${owner}`]), connectionId);
      });
      expect(lines.filter((l) => l.message === 'unhandled error')).toEqual([
        expect.objectContaining({ level: 'ERROR', where: '$default', route: '$default', connectionId, correlationId: 'ws-err-1', thingId }),
      ]);
    });
    expect(envelopeOf(result)).toMatchObject({
      topic: `${ns}/${name}/things/live/errors`,
      status: 500,
      headers: { 'correlation-id': 'ws-err-1' },
      value: { error: 'gateway:internalerror' },
    });
  });

  it('takes a JSON message with whitespace before it for a message, not for a control frame', async () => {
    const ns = uniqueNamespace();
    const message = { topic: `${ns}/t/things/live/messages/x`, path: '/inbox/messages/x', headers: { 'correlation-id': 'ws-lead-1' }, value: 1 };
    expect(envelopeOf(await send(`\n  ${JSON.stringify(message)}`))).toMatchObject({
      topic: `${ns}/t/things/live/errors`,
      status: 404,
      headers: { 'correlation-id': 'ws-lead-1' },
      value: { error: 'things:thing.notfound' },
    });
  });

  it('names an unknown control frame in the error, without the whitespace around it and cut to 60 characters', async () => {
    expect(envelopeOf(await send(`  ${'X'.repeat(100)}\n`))).toMatchObject({
      status: 400,
      value: {
        error: 'messages:messageformat.invalid',
        description: `Unknown control frame '${'X'.repeat(60)}': send a JSON Ditto Protocol message or START-SEND-MESSAGES / STOP-SEND-MESSAGES.`,
      },
    });
  });

  it.each([false, true])('takes an event without a body (base64: %s) for an empty, unknown control frame', async (isBase64Encoded) => {
    const event = { ...wsMessageEvent(unknownConnectionId(), '', contextOf([`local:${uniqueName()}`])), body: null, isBase64Encoded };
    expect(envelopeOf(await defaultHandler(event))).toMatchObject({
      status: 400,
      value: { description: "Unknown control frame '': send a JSON Ditto Protocol message or START-SEND-MESSAGES / STOP-SEND-MESSAGES." },
    });
  });

  it('refuses a message over the configured size limit with 413, even one API Gateway lets through', async () => {
    // API Gateway passes messages up to 128 KB; an operator may set a lower limit.
    await withEnv('MAX_MESSAGE_BYTES', '1000', async () => {
      const response = { topic: 'ns/t/things/live/messages/x', path: '/inbox/messages/x', headers: { 'correlation-id': 'big' }, status: 200, value: '' };
      const body = JSON.stringify({ ...response, value: 'x'.repeat(1001 - JSON.stringify(response).length) });
      expect(Buffer.byteLength(body)).toBe(1001);
      expect(getConfig().maxMessageBytes).toBe(1000);
      expect(envelopeOf(await send(body))).toMatchObject({
        status: 413,
        value: { error: 'messages:payload.toolarge', message: "The size of '1001' bytes exceeds the maximal allowed message size of '1000' bytes." },
      });
    });
  });

  it('refuses an invalid namespace to subscribe to, naming it cut to 100 characters', async () => {
    const invalid = `-${'a'.repeat(150)}`;
    expect(envelopeOf(await send(`START-SEND-MESSAGES?namespaces=org.ok,${invalid}`))).toMatchObject({
      status: 400,
      value: { error: 'messages:namespaces.invalid', description: `'${invalid.slice(0, 100)}' is not a valid namespace.` },
    });
  });

  describe('JWT-TOKEN', () => {
    it('refuses a refreshed token of another subject, saying that it must be the same', async () => {
      const token = await devToken(uniqueName('other'));
      expect(envelopeOf(await send(`JWT-TOKEN?jwtToken=${token}`, contextOf([`local:${uniqueName()}`])))).toMatchObject({
        status: 401,
        value: { error: 'gateway:authentication.failed', description: 'A refreshed token must name the same subject as the connection.' },
      });
    });

    it("compares the subjects one by one: ['local:ab'] does not refresh a connection of ['local:a', 'b']", async () => {
      const name = uniqueName();
      const token = await devToken(`${name}b`);
      expect(envelopeOf(await send(`JWT-TOKEN?jwtToken=${token}`, contextOf([`local:${name}`, 'b'])))).toMatchObject({
        status: 401,
        value: { description: 'A refreshed token must name the same subject as the connection.' },
      });
    });
  });

  describe('token expiry', () => {
    it('needs no connection record while the token the connection was opened with is valid', async () => {
      // The record is only read once that token has expired (to see whether JWT-TOKEN refreshed it).
      expect(await send('STOP-SEND-MESSAGES')).toEqual({ statusCode: 200, body: 'STOP-SEND-MESSAGES:ACK' });
    });

    it('refuses a message once the token has expired and no refresh is on record, and logs where', async () => {
      const connectionId = unknownConnectionId();
      let result: unknown;
      const lines = await logsOf(async () => {
        result = await send('STOP-SEND-MESSAGES', contextOf([`local:${uniqueName()}`], nowSeconds() - 60), connectionId);
      });
      expect(envelopeOf(result)).toMatchObject({
        status: 401,
        value: { error: 'gateway:authentication.failed', description: 'The token of this connection has expired; reconnect with a fresh token.' },
      });
      const refusals = lines.filter((l) => l.message === 'authentication failed');
      expect(refusals.length).toBeGreaterThan(0);
      for (const line of refusals) expect(line).toMatchObject({ where: '$default', connectionId });
    });
  });
});

describe('$disconnect', () => {
  it('removes a connection it knows nothing about without complaint', async () => {
    const lines = await logsOf(async () => expect(await disconnectHandler(wsDisconnectEvent(unknownConnectionId()))).toEqual({ statusCode: 200 }));
    expect(lines.filter((l) => l.level === 'WARN' || l.level === 'ERROR')).toEqual([]);
  });

  it('answers 200 when the clean-up fails, and logs it with the connection and the error (the TTL removes the rest)', async () => {
    const connectionId = unknownConnectionId();
    await withEnv('CONNECTIONS_TABLE', 'table-that-does-not-exist', async () => {
      const lines = await logsOf(async () =>
        expect(await disconnectHandler(wsDisconnectEvent(connectionId, contextOf([`local:${uniqueName()}`])))).toEqual({ statusCode: 200 }),
      );
      expect(lines.filter((l) => l.message === 'disconnect cleanup failed; the TTL removes the rest')).toEqual([
        expect.objectContaining({
          level: 'WARN',
          route: '$disconnect',
          connectionId,
          error: expect.objectContaining({ name: 'ResourceNotFoundException' }),
        }),
      ]);
    });
  });
});
