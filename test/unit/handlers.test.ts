/**
 * Handler pieces on made-up events, no database: route matching, the one error mapping, the
 * authorizer context, the SQS batch consumer. Events come from the
 * AWS-documented factories in test/fixtures/aws-events.ts.
 */
import { SendNotAllowedError, ThingNotFoundError } from '../../lambdas/core/errors';
import { matchRoute } from '../../lambdas/handlers/http-routes';
import { sqsBatchHandler } from '../../lambdas/handlers/sqs-batch';
import { envelopeError, httpError, toDittoError } from '../../lambdas/handlers/to-ditto-error';
import { principalOf, toAuthorizerContext } from '../../lambdas/handlers/ws-context';
import { sqsEvent, stringifiedContext } from '../fixtures/aws-events';
import { loggedAsync } from '../support/logs';

describe('matchRoute', () => {
  it.each([
    ['GET', '/api/2/things/ns%3Athing', { kind: 'thing', thingId: 'ns:thing' }],
    ['PUT', '/api/2/policies/ns:p', { kind: 'policy', policyId: 'ns:p' }],
    ['POST', '/api/2/things/ns:t/inbox/messages/turnOff', { kind: 'message', thingId: 'ns:t', direction: 'inbox', subject: 'turnOff', claim: false }],
    [
      'POST',
      '/api/2/things/ns:t/outbox/messages/ask/question',
      { kind: 'message', thingId: 'ns:t', direction: 'outbox', subject: 'ask/question', claim: false },
    ],
    [
      'POST',
      '/api/2/things/ns:t/features/lamp/inbox/messages/on',
      { kind: 'message', thingId: 'ns:t', direction: 'inbox', subject: 'on', featureId: 'lamp', claim: false },
    ],
    ['POST', '/api/2/things/ns:t/inbox/claim', { kind: 'message', thingId: 'ns:t', direction: 'inbox', subject: 'claim', claim: true }],
    ['PUT', '/api/2/things/ns:t/attributes/location/floor', { kind: 'part', entity: 'thing', id: 'ns:t', pointer: ['attributes', 'location', 'floor'] }],
    ['GET', '/api/2/things/ns:t/features/lamp/properties', { kind: 'part', entity: 'thing', id: 'ns:t', pointer: ['features', 'lamp', 'properties'] }],
    [
      'PUT',
      '/api/2/policies/ns:p/entries/A/resources/thing:/features/lamp',
      { kind: 'part', entity: 'policy', id: 'ns:p', pointer: ['entries', 'A', 'resources', 'thing:/features/lamp'] },
    ],
  ])('%s %s', (method, path, expected) => {
    expect(matchRoute(method, path)).toEqual(expected);
  });

  it.each([
    ['GET', '/api/2/things/ns:t/inbox/messages/x', 405, 'gateway:method.notallowed'],
    ['POST', '/api/2/things/ns:t', 405, 'gateway:method.notallowed'],
    ['GET', '/api/2/search/things', 404, 'gateway:resource.notfound'],
    ['POST', '/api/2/things/ns:t/sideways/messages/x', 404, 'gateway:resource.notfound'],
    ['POST', '/api/2/things/ns:t/inbox/messages/', 400, 'messages:subject.invalid'],
    ['GET', '/api/2/things/%E0%A4%A', 400, 'json.invalid'],
    ['DELETE', '/api/2/things/ns:t/policyId', 400, 'things:policyId.notdeletable'],
    ['POST', '/api/2/things/ns:t/attributes/a', 405, 'gateway:method.notallowed'],
  ])('%s %s -> %i %s', (method, path, status, error) => {
    expect(() => matchRoute(method, path)).toThrow(expect.objectContaining({ status, error }));
  });
});

describe('matchRoute, edge by edge', () => {
  const NOT_FOUND = { status: 404, error: 'gateway:resource.notfound' };
  const NOT_ALLOWED = { status: 405, error: 'gateway:method.notallowed' };
  const part = (entity: 'thing' | 'policy', id: string, pointer: string[]) => ({ kind: 'part', entity, id, pointer });

  it.each([
    ['GET', '/api/2/connections', { kind: 'connections' }],
    ['POST', '/api/2/connections/', { kind: 'connections' }],
    ['GET', '/api/2/connections/c%201', { kind: 'connections', id: 'c 1' }],
    ['DELETE', '/api/2/connections/c1/', { kind: 'connections', id: 'c1' }],
    ['GET', '/api/2/things/ns:t/', { kind: 'thing', thingId: 'ns:t' }],
    ['DELETE', '/api/2/policies/ns:p/', { kind: 'policy', policyId: 'ns:p' }],
    ['GET', '/api/2/things/ns:t/attributes/', part('thing', 'ns:t', ['attributes'])],
    ['GET', '/api/2/things/ns:t/policyId', part('thing', 'ns:t', ['policyId'])],
    ['DELETE', '/api/2/things/ns:t/attributes', part('thing', 'ns:t', ['attributes'])],
    ['DELETE', '/api/2/things/ns:t/policyId/x', part('thing', 'ns:t', ['policyId', 'x'])],
    ['GET', '/api/2/things/ns:t/features/f/resources/a/b', part('thing', 'ns:t', ['features', 'f', 'resources', 'a', 'b'])],
    ['GET', '/api/2/policies/ns:p/entries/A/subjects/a/b', part('policy', 'ns:p', ['entries', 'A', 'subjects', 'a/b'])],
    ['GET', '/api/2/policies/ns:p/entries/A/other/a/b', part('policy', 'ns:p', ['entries', 'A', 'other', 'a', 'b'])],
    ['GET', '/api/2/policies/ns:p/entries/A/resources/thing:', part('policy', 'ns:p', ['entries', 'A', 'resources', 'thing:'])],
    ['GET', '/api/2/policies/ns:p/entries/A/resources', part('policy', 'ns:p', ['entries', 'A', 'resources'])],
    ['GET', '/api/2/things/ns:t/attributes/a/inbox', part('thing', 'ns:t', ['attributes', 'a', 'inbox'])],
    [
      'POST',
      '/api/2/things/ns:t/features/f/outbox/messages/x',
      { kind: 'message', thingId: 'ns:t', direction: 'outbox', subject: 'x', featureId: 'f', claim: false },
    ],
    ['POST', '/api/2/things/ns:t/outbox/messages/x', { kind: 'message', thingId: 'ns:t', direction: 'outbox', subject: 'x', claim: false }],
  ])('%s %s', (method, path, expected) => {
    // Strictly: a key present with an undefined value (featureId) is a difference here.
    expect(matchRoute(method, path)).toStrictEqual(expected);
  });

  it.each([
    ['PUT', '/api/2/connections', NOT_ALLOWED],
    ['POST', '/api/2/connections/c1', NOT_ALLOWED],
    ['GET', '/api/2/connections/c1/status', NOT_FOUND],
    ['GET', '/api/2/connections//', NOT_FOUND],
    ['GET', '/api/3/connections', NOT_FOUND],
    ['GET', '/x/2/connections', NOT_FOUND],
    ['GET', '/api/2/x/connections', NOT_FOUND],
    ['GET', '/api/3/things/ns:t', NOT_FOUND],
    ['GET', '/x/2/things/ns:t', NOT_FOUND],
    ['GET', '/api/2/things', NOT_FOUND],
    ['GET', '/api/2/things/', NOT_FOUND],
    ['GET', '/api/2/foo/x', NOT_FOUND],
    ['GET', '/api/2/foo/x/entries/A', NOT_FOUND],
    ['GET', '/api/2/things/ns:t/attributes//x', NOT_FOUND],
    ['GET', '/api/2/things/ns:t//x', NOT_FOUND],
    ['GET', '/api/2/policies/ns:p/entries//resources', NOT_FOUND],
    ['POST', '/api/2/policies/ns:p/inbox/messages/x', NOT_FOUND],
    ['POST', '/api/2/things/ns:t/features//inbox/messages/x', NOT_FOUND],
    ['POST', '/api/2/things/ns:t/features/f/inbox/claim', NOT_FOUND],
    ['POST', '/api/2/things/ns:t/outbox/claim', NOT_FOUND],
    ['POST', '/api/2/things/ns:t/inbox/claim/x', NOT_FOUND],
    ['POST', '/api/2/things/ns:t/inbox/notmessages/x', NOT_FOUND],
    ['GET', '/api/2/things/ns:t/inbox/claim', NOT_ALLOWED],
    ['POST', '/api/2/things/ns:t/inbox/messages', { status: 400, error: 'messages:subject.invalid' }],
  ])('%s %s is refused', (method, path, expected) => {
    expect(() => matchRoute(method, path)).toThrow(expect.objectContaining(expected));
  });

  it('names the undecodable segment, cut to 100 characters', () => {
    const refusal = (segment: string) => expect.objectContaining({ status: 400, description: `The path segment '${segment}' is not valid percent-encoding.` });
    expect(() => matchRoute('GET', '/api/2/things/%E0%A4%A')).toThrow(refusal('%E0%A4%A'));
    const long = `%E0${'a'.repeat(200)}`;
    expect(() => matchRoute('GET', `/api/2/things/${long}`)).toThrow(refusal(long.slice(0, 100)));
  });
});

describe('the one error mapping', () => {
  it('keeps Ditto errors as they are, with the correlation-id on the response', () => {
    expect(httpError(new ThingNotFoundError('ns:t'), { where: 'test', correlationId: 'c-1' })).toEqual({
      statusCode: 404,
      headers: { 'content-type': 'application/json', 'correlation-id': 'c-1' },
      body: JSON.stringify(new ThingNotFoundError('ns:t').toJson()),
    });
  });

  it('turns an unreachable backend into 503 and anything unexpected into 500, never leaking the cause', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8000'), { code: 'ECONNREFUSED' });
    expect(toDittoError(refused, { where: 'test' })).toMatchObject({ status: 503, error: 'gateway:service.unavailable' });
    const bug = toDittoError(new TypeError('secret internals'), { where: 'test' });
    expect(bug.toJson()).toEqual({ status: 500, error: 'gateway:internalerror', message: expect.any(String), description: expect.any(String) });
    expect(JSON.stringify(bug.toJson())).not.toContain('secret internals');
  });

  it('builds error envelopes on the thing topic with status and correlation-id', () => {
    expect(JSON.parse(envelopeError(new SendNotAllowedError('ns:t'), { where: 'test', thingId: 'ns:t', correlationId: 'c-2' }))).toEqual({
      topic: 'ns/t/things/live/errors',
      path: '/',
      status: 403,
      headers: { 'content-type': 'application/json', status: 403, 'correlation-id': 'c-2' },
      value: new SendNotAllowedError('ns:t').toJson(),
    });
  });
});

describe('the WebSocket authorizer context', () => {
  it('survives the round trip through API Gateway, which stringifies every value', () => {
    const context = toAuthorizerContext({ subjects: ['local:a', 'local:b'], expiresAt: 1_900_000_000 });
    expect(principalOf({ authorizer: stringifiedContext({ ...context }) })).toEqual({ subjects: ['local:a', 'local:b'], expiresAt: 1_900_000_000 });
  });

  it.each([
    ['no authorizer', {}],
    ['no subjects', { authorizer: { principalId: 'x' } }],
    ['an empty subject list', { authorizer: { subjects: '[]' } }],
    ['subjects that are not strings', { authorizer: { subjects: '[1]' } }],
  ])('refuses %s with 401, saying that the connection carries no subjects', (_name, requestContext) => {
    const refusal = { name: 'AuthenticationFailedError', status: 401, description: 'The connection carries no authenticated subjects.' };
    expect(() => principalOf(requestContext)).toThrow(expect.objectContaining(refusal));
  });
});

describe('the SQS batch consumer', () => {
  it('runs every record and reports exactly the failed ones for redelivery', async () => {
    const seen: number[] = [];
    const handler = sqsBatchHandler<{ n: number }>('test', 'test job', async (job) => {
      seen.push(job.n);
      if (job.n % 2 === 0) throw new Error('even');
    });
    const event = sqsEvent([1, 2, 3, 4].map((n) => JSON.stringify({ n })));
    const out = await handler(event);
    expect(seen.sort()).toEqual([1, 2, 3, 4]);
    expect(out.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual([event.Records[1]!.messageId, event.Records[3]!.messageId].sort());
  });

  it('logs each failed record as an error naming what failed, its message id and the cause', async () => {
    const handler = sqsBatchHandler<{ fail: boolean }>('test', 'test job', async ({ fail }) => {
      if (fail) throw new Error('the job broke');
    });
    const event = sqsEvent(['{"fail":true}', '{"fail":false}']);
    const lines = await loggedAsync(() => handler(event));
    expect(lines.filter((l) => l.level === 'ERROR')).toEqual([
      expect.objectContaining({
        message: 'test job failed',
        messageId: event.Records[0]!.messageId,
        error: expect.objectContaining({ message: 'the job broke' }),
      }),
    ]);
  });

  it('reports a record whose job fails with a looping cause chain, and still runs the others', async () => {
    const looping = new Error('loop');
    looping.cause = new Error('outer', { cause: looping });
    const handler = sqsBatchHandler<{ fail: boolean }>('test', 'test job', async ({ fail }) => {
      if (fail) throw looping;
    });
    const event = sqsEvent(['{"fail":true}', '{"fail":false}']);
    expect(await handler(event)).toEqual({ batchItemFailures: [{ itemIdentifier: event.Records[0]!.messageId }] });
  });

  it('reports a record whose body is not JSON, and still runs the others', async () => {
    const handler = sqsBatchHandler<unknown>('test', 'test job', async () => undefined);
    const event = sqsEvent(['{"ok":true}', 'not json']);
    expect(await handler(event)).toEqual({ batchItemFailures: [{ itemIdentifier: event.Records[1]!.messageId }] });
  });
});
