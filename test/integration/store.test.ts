/**
 * The DynamoDB repositories (lambdas/store/) against the run's DynamoDB Local: what each returns or throws, the items it
 * leaves in the table, and how it meets DynamoDB's own behaviour (failed conditions, unprocessed batch writes, pages).
 * Faults are injected below our code, in the AWS SDK's middleware stack of a real client: a request redirected to a
 * table that does not exist (a real DynamoDB error that is not a failed condition), or a batch write answered with
 * unprocessed items.
 */
import { createServer, type Socket } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { resetConfig } from '../../lambdas/config';
import type { ConnectionDocument } from '../../lambdas/core/targets/connection';
import { closeDocumentClient, isConditionFailed } from '../../lambdas/store/client';
import { type Correlation, CorrelationsRepository, CorrelationTakenError, correlationKey } from '../../lambdas/store/correlations';
import { RevisionConflictError, thingsRepository } from '../../lambdas/store/entities';
import { SessionsRepository } from '../../lambdas/store/sessions';
import { TargetsRepository } from '../../lambdas/store/targets';
import { ddb, tableName, uniqueName } from '../support/harness';

type Data = Record<string, any>;

// The repositories' own document client (lambdas/store/client.ts) talks to this run's DynamoDB Local.
beforeAll(() => {
  process.env.DYNAMODB_ENDPOINT = process.env.TEST_DYNAMODB_ENDPOINT;
  resetConfig();
});
afterAll(() => closeDocumentClient());

/**
 * A client configured as the production one whose requests pass through `around` first (at the SDK's initialize step,
 * so inputs and outputs are plain objects): it may send a changed input, or answer without sending.
 */
function clientAround(around: (input: Data, send: (input: Data) => Promise<Data>) => Promise<Data>): DynamoDBDocumentClient {
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: process.env.TEST_DYNAMODB_ENDPOINT }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  client.middlewareStack.add(
    (next) => async (args) => {
      let response: unknown = {};
      const output = await around(args.input as Data, async (input) => {
        const result = await next({ ...args, input });
        response = result.response;
        return result.output as Data;
      });
      return { response, output } as never;
    },
    { step: 'initialize' },
  );
  return client;
}

/** Requests matching `which` go to a table that does not exist: DynamoDB answers ResourceNotFoundException. */
const failing = (which: (input: Data) => boolean) => clientAround((input, send) => send(which(input) ? { ...input, TableName: 'no-such-table' } : input));

const missingTable = { name: 'ResourceNotFoundException' };

const raw = async (table: Parameters<typeof tableName>[0], key: Data): Promise<Data | undefined> =>
  (await ddb().send(new GetCommand({ TableName: tableName(table), Key: key, ConsistentRead: true }))).Item;

describe('isConditionFailed', () => {
  it('is true only for a ConditionalCheckFailedException, and false for whatever else was thrown, objects or not', () => {
    expect(isConditionFailed(Object.assign(new Error('x'), { name: 'ConditionalCheckFailedException' }))).toBe(true);
    expect(isConditionFailed(Object.assign(new Error('x'), { name: 'ResourceNotFoundException' }))).toBe(false);
    expect(isConditionFailed(undefined)).toBe(false);
    expect(isConditionFailed(null)).toBe(false);
    expect(isConditionFailed('ConditionalCheckFailedException')).toBe(false);
  });
});

describe('the document client', () => {
  it('fails a request to a database that accepts connections but never answers within seconds, with a TimeoutError', async () => {
    const sockets: Socket[] = [];
    const server = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    closeDocumentClient();
    process.env.DYNAMODB_ENDPOINT = `http://127.0.0.1:${port}`;
    resetConfig();
    let deadline: NodeJS.Timeout | undefined;
    try {
      const started = Date.now();
      const tooLate = new Promise((_, reject) => (deadline = setTimeout(() => reject(new Error('still waiting after 10 s')), 10_000)));
      await expect(Promise.race([new TargetsRepository().get('any'), tooLate])).rejects.toMatchObject({ name: 'TimeoutError' });
      expect(Date.now() - started).toBeLessThan(10_000); // two attempts of 3 s each
      expect(sockets.length).toBeGreaterThan(0); // it did connect: the request, not the connection, timed out
    } finally {
      clearTimeout(deadline);
      closeDocumentClient();
      process.env.DYNAMODB_ENDPOINT = process.env.TEST_DYNAMODB_ENDPOINT;
      resetConfig();
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  }, 20_000);
});

describe('correlations', () => {
  const repo = new CorrelationsRepository();
  const message = (issuer: Correlation['issuer'] = { kind: 'http' }) => {
    const thingId = `store.test:${uniqueName('thing')}`;
    return {
      thingId,
      correlationId: uniqueName('corr'),
      topic: `store.test/${thingId.split(':')[1]}/things/live/messages/ask`,
      path: '/inbox/messages/ask',
      issuer,
      timeoutMs: 10_000,
      expiresAt: Date.now() + 10_000,
    };
  };
  const from = (c: { topic: string; path: string }, responderConnectionId?: string) => ({ topic: c.topic, path: c.path, responderConnectionId });

  it('records a pending correlation whose ttl is five minutes past its deadline, in epoch seconds', async () => {
    const m = { ...message(), expiresAt: Date.now() + 10_123 };
    const created = await repo.create(m);
    expect(created).toMatchObject({ ...m, key: correlationKey(m.thingId, m.path, m.correlationId), state: 'pending' });
    const item = await raw('correlations', { key: created.key });
    expect(item).toEqual({ ...created, ttl: Math.ceil(m.expiresAt / 1000) + 300 });
  });

  it('refuses a second sender of a pending correlation-id with a CorrelationTakenError and keeps the first', async () => {
    const m = message();
    const first = await repo.create(m);
    const refused = repo.create(m);
    await expect(refused).rejects.toBeInstanceOf(CorrelationTakenError);
    await expect(refused).rejects.toMatchObject({ name: 'CorrelationTakenError', message: 'Correlation already pending.', key: first.key });
    expect(await raw('correlations', { key: first.key })).toMatchObject({ owner: first.owner, state: 'pending' });
  });

  it('lets a correlation answered to a WebSocket issuer be reused at once', async () => {
    const m = message({ kind: 'ws', connectionId: 'issuer-conn' });
    const first = await repo.create(m);
    expect(await repo.answer(first.key, { status: 200, headers: {} }, from(m, 'responder-conn'))).toMatchObject({ state: 'answered' });
    const second = await repo.create(m);
    expect(second.owner).not.toBe(first.owner);
    expect(await raw('correlations', { key: first.key })).toMatchObject({ owner: second.owner, state: 'pending' });
  });

  it('keeps a correlation answered to an HTTP waiter until the waiter took it, then lets it be reused', async () => {
    const m = message();
    const first = await repo.create(m);
    await repo.answer(first.key, { status: 200, headers: {} }, from(m));
    await expect(repo.create(m)).rejects.toBeInstanceOf(CorrelationTakenError);
    await repo.consume(first.key, first.owner);
    expect((await repo.create(m)).owner).not.toBe(first.owner);
  });

  it('stores an answer without its undefined fields and returns the answered correlation; a second answer is dropped', async () => {
    const m = message();
    const created = await repo.create(m);
    const answered = await repo.answer(created.key, { status: 204, headers: { 'correlation-id': m.correlationId }, value: undefined }, from(m));
    expect(answered).toEqual({
      ...created,
      ttl: expect.any(Number),
      state: 'answered',
      response: { status: 204, headers: { 'correlation-id': m.correlationId } },
    });
    expect(await repo.answer(created.key, { status: 200, headers: {}, value: 'late' }, from(m))).toBeUndefined();
    expect((await raw('correlations', { key: created.key }))?.response).toEqual({ status: 204, headers: { 'correlation-id': m.correlationId } });
  });

  it('lets only the owner consume an answer: it is then delivered and its response removed', async () => {
    const m = message();
    const created = await repo.create(m);
    await repo.consume(created.key, created.owner); // still pending: nothing happens
    expect(await raw('correlations', { key: created.key })).toMatchObject({ state: 'pending' });
    await repo.answer(created.key, { status: 200, headers: {}, value: 42 }, from(m));
    await expect(repo.consume(created.key, 'someone-else')).resolves.toBeUndefined();
    expect(await raw('correlations', { key: created.key })).toMatchObject({ state: 'answered', response: { value: 42 } });
    await repo.consume(created.key, created.owner);
    const item = await raw('correlations', { key: created.key });
    expect(item).toMatchObject({ state: 'delivered' });
    expect(item).not.toHaveProperty('response');
  });

  it('expires only its owner’s pending correlation', async () => {
    const m = message();
    const created = await repo.create(m);
    expect(await repo.expire(created.key, 'someone-else')).toBeUndefined();
    expect(await repo.expire(created.key, created.owner)).toMatchObject({ key: created.key, state: 'timedOut' });
    expect(await repo.expire(created.key, created.owner)).toBeUndefined();
  });

  it('passes on DynamoDB errors other than a failed condition from create, answer, expire and consume', async () => {
    const m = message();
    const created = await repo.create(m);
    const broken = new CorrelationsRepository(() => failing(() => true));
    await expect(broken.create(m)).rejects.toMatchObject(missingTable);
    await expect(broken.answer(created.key, { status: 200, headers: {} }, from(m))).rejects.toMatchObject(missingTable);
    await expect(broken.expire(created.key, created.owner)).rejects.toMatchObject(missingTable);
    await expect(broken.consume(created.key, created.owner)).rejects.toMatchObject(missingTable);
  });
});

describe('sessions', () => {
  const repo = new SessionsRepository();
  const indexItems = async (subject: string) =>
    (
      await ddb().send(
        new QueryCommand({ TableName: tableName('subscriptions'), KeyConditionExpression: 'subject = :s', ExpressionAttributeValues: { ':s': subject } }),
      )
    ).Items ?? [];
  const connected = async (subjectCount = 2, tokenExpiresAt?: number) => {
    const connectionId = uniqueName('conn');
    const subjects = Array.from({ length: subjectCount }, (_, i) => `local:${uniqueName(`s${i}`)}`);
    await repo.putConnection({ connectionId, subjects, connectedAt: Date.now(), tokenExpiresAt });
    return { connectionId, subjects };
  };
  const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

  it('stores namespaces and filter on the connection and its index items, and leaves absent ones out', async () => {
    const withBoth = await connected(1, inAnHour());
    await repo.subscribe({ ...withBoth, namespaces: ['a', 'b'], filter: 'eq(attributes/x,1)' });
    expect((await repo.getConnection(withBoth.connectionId))?.subscription).toEqual({ namespaces: ['a', 'b'], filter: 'eq(attributes/x,1)' });
    expect(await indexItems(withBoth.subjects[0])).toEqual([
      expect.objectContaining({ namespaces: ['a', 'b'], filter: 'eq(attributes/x,1)', tokenExpiresAt: expect.any(Number) }),
    ]);

    const withNone = await connected(1);
    await repo.subscribe({ ...withNone, namespaces: undefined, filter: undefined });
    expect((await repo.getConnection(withNone.connectionId))?.subscription).toEqual({});
    const [item] = await indexItems(withNone.subjects[0]);
    expect(Object.keys(item).sort()).toEqual(['connectionId', 'subject', 'subjects', 'ttl']);
  });

  it('writes a token refreshed while a START was writing its index items into those items', async () => {
    const first = inAnHour();
    const refreshed = first + 3600;
    const c = await connected(2, first);
    let raced = false;
    const racing = new SessionsRepository(() =>
      clientAround(async (input, send) => {
        if (input.RequestItems && !raced) {
          raced = true; // the JWT-TOKEN lands after the subscription was set, before the index items exist
          await repo.setTokenExpiry(c.connectionId, refreshed);
        }
        return send(input);
      }),
    );
    await racing.subscribe({ ...c });
    expect(raced).toBe(true);
    for (const subject of c.subjects) expect(await indexItems(subject)).toEqual([expect.objectContaining({ tokenExpiresAt: refreshed })]);
  });

  it('sets a refreshed token on the connection and on the index items still there, without recreating removed ones', async () => {
    const c = await connected(2, inAnHour());
    await repo.subscribe({ ...c });
    await ddb().send(new DeleteCommand({ TableName: tableName('subscriptions'), Key: { subject: c.subjects[1], connectionId: c.connectionId } }));
    const refreshed = inAnHour() + 7200;
    await repo.setTokenExpiry(c.connectionId, refreshed);
    expect(await repo.getConnection(c.connectionId)).toMatchObject({ tokenExpiresAt: refreshed, tokenExpiryMinute: Math.floor(refreshed / 60) });
    expect(await indexItems(c.subjects[0])).toEqual([expect.objectContaining({ tokenExpiresAt: refreshed })]);
    expect(await indexItems(c.subjects[1])).toEqual([]);
  });

  it('passes on a failure of the index table when setting a refreshed token', async () => {
    const c = await connected(1, inAnHour());
    await repo.subscribe({ ...c });
    const broken = new SessionsRepository(() => failing((input) => input.TableName === tableName('subscriptions')));
    await expect(broken.setTokenExpiry(c.connectionId, inAnHour() + 60)).rejects.toMatchObject(missingTable);
  });

  it('unsubscribes a connection that is already gone: its index items are removed, no connection item appears', async () => {
    const c = await connected(2);
    await repo.subscribe({ ...c });
    await ddb().send(new DeleteCommand({ TableName: tableName('connections'), Key: { connectionId: c.connectionId } }));
    await repo.unsubscribe(c.connectionId, c.subjects);
    expect(await raw('connections', { connectionId: c.connectionId })).toBeUndefined();
    for (const subject of c.subjects) expect(await indexItems(subject)).toEqual([]);
  });

  it('passes on a failure of the connections table when unsubscribing', async () => {
    const c = await connected(1);
    await repo.subscribe({ ...c });
    const broken = new SessionsRepository(() => failing((input) => input.TableName === tableName('connections')));
    await expect(broken.unsubscribe(c.connectionId, c.subjects)).rejects.toMatchObject(missingTable);
  });

  it('finds every subscription of a subject across pages of the index query', async () => {
    const subject = `local:${uniqueName('popular')}`;
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const connectionId = uniqueName('conn');
      ids.push(connectionId);
      await repo.putConnection({ connectionId, subjects: [subject], connectedAt: Date.now() });
      await repo.subscribe({ connectionId, subjects: [subject], filter: `eq(attributes/pad,"${'x'.repeat(300_000)}")` }); // 1.8 MB: two pages
    }
    let queries = 0;
    const counting = new SessionsRepository(() =>
      clientAround((input, send) => {
        if (input.KeyConditionExpression && ++queries > 10) throw new Error('pagination does not advance');
        return send(input);
      }),
    );
    const found = await counting.subscriptionsFor([subject]);
    expect(found.map((s) => s.connectionId).sort()).toEqual(ids.sort());
    expect(queries).toBeGreaterThan(1);
  });

  describe('index writes left unprocessed by DynamoDB', () => {
    /** Batch writes answered with unprocessed items: the first `partial` process only their first request, the next `none` none. */
    const unprocessing = ({ partial = 0, none = 0 }) => {
      const calls: number[] = [];
      const client = clientAround(async (input, send) => {
        if (!input.RequestItems) return send(input);
        calls.push(performance.now());
        const [[table, requests]] = Object.entries(input.RequestItems as Record<string, Data[]>);
        if (calls.length <= partial) {
          await send({ ...input, RequestItems: { [table]: requests.slice(0, 1) } });
          return { UnprocessedItems: requests.length > 1 ? { [table]: requests.slice(1) } : {} };
        }
        if (calls.length <= partial + none) return { UnprocessedItems: { [table]: requests } };
        return send(input);
      });
      return { calls, repo: new SessionsRepository(() => client) };
    };

    it('retries them until all are written', async () => {
      const c = await connected(3);
      const { calls, repo: retrying } = unprocessing({ partial: 2 });
      await retrying.subscribe({ ...c });
      expect(calls).toHaveLength(3);
      for (const subject of c.subjects) expect(await indexItems(subject)).toEqual([expect.objectContaining({ connectionId: c.connectionId })]);
    }, 10_000);

    it('gives up after five attempts, backing off longer each time, with the number of writes left', async () => {
      const c = await connected(3);
      const { calls, repo: retrying } = unprocessing({ none: 7 });
      await expect(retrying.subscribe({ ...c })).rejects.toThrow(/^3 subscription index writes stayed unprocessed\.$/);
      expect(calls).toHaveLength(5);
      const gaps = calls.slice(1).map((t, i) => t - calls[i]);
      for (const [i, gap] of gaps.entries()) expect(gap).toBeGreaterThanOrEqual(20 * 2 ** (i + 1) - 2); // 40, 80, 160, 320 ms
      for (const subject of c.subjects) expect(await indexItems(subject)).toEqual([]);
    }, 15_000);
  });
});

describe('versioned entities (things; policies share the repository)', () => {
  const things = thingsRepository();
  const body = (thingId: string, n: number) => ({ thingId, policyId: 'store.test:policy', attributes: { n } });

  it('writes revision 1 for a new thing and expected + 1 after, and refuses stale or duplicate writes with RevisionConflictError', async () => {
    const id = `store.test:${uniqueName('thing')}`;
    expect(await things.put(id, body(id, 1), undefined)).toEqual({ ...body(id, 1), revision: 1 });
    expect(await things.put(id, body(id, 2), 1)).toMatchObject({ revision: 2 });
    expect(await raw('things', { thingId: id })).toEqual({ ...body(id, 2), revision: 2 });
    for (const expected of [1, undefined]) {
      const refused = things.put(id, body(id, 3), expected);
      await expect(refused).rejects.toBeInstanceOf(RevisionConflictError);
      await expect(refused).rejects.toMatchObject({ name: 'RevisionConflictError', message: `Revision conflict on '${id}'.`, id });
    }
    expect(await things.get(id)).toMatchObject({ attributes: { n: 2 }, revision: 2 });
  });

  it('deletes only at the expected revision; a stale delete is a RevisionConflictError and keeps the thing', async () => {
    const id = `store.test:${uniqueName('thing')}`;
    await things.put(id, body(id, 1), undefined);
    await things.put(id, body(id, 2), 1);
    await expect(things.delete(id, 1)).rejects.toBeInstanceOf(RevisionConflictError);
    expect(await raw('things', { thingId: id })).toMatchObject({ revision: 2 });
    await things.delete(id, 2);
    expect(await raw('things', { thingId: id })).toBeUndefined();
  });

  it('passes on DynamoDB errors other than a failed condition', async () => {
    const broken = thingsRepository(() => failing(() => true));
    const id = 'store.test:t';
    await expect(broken.put(id, body(id, 1), undefined)).rejects.toMatchObject(missingTable);
    await expect(broken.put(id, body(id, 1), 1)).rejects.toMatchObject(missingTable);
    await expect(broken.delete(id, 1)).rejects.toMatchObject(missingTable);
  });
});

describe('connection targets', () => {
  const targets = new TargetsRepository();
  const doc = (pad = '') => ({ id: 'x', connectionType: 'http-push', pad }) as unknown as ConnectionDocument;

  it('writes revision 1 for a new target and expected + 1 after, and refuses stale or duplicate writes with RevisionConflictError', async () => {
    const id = uniqueName('target');
    expect(await targets.put(id, doc('1'), undefined)).toEqual({ id, document: doc('1'), revision: 1 });
    expect(await targets.put(id, doc('2'), 1)).toEqual({ id, document: doc('2'), revision: 2 });
    expect(await targets.get(id)).toEqual({ id, document: doc('2'), revision: 2 });
    for (const expected of [1, undefined]) {
      await expect(targets.put(id, doc('3'), expected)).rejects.toMatchObject({ name: 'RevisionConflictError', id });
    }
    expect(await targets.get(id)).toMatchObject({ revision: 2 });
  });

  it('passes on DynamoDB errors other than a failed condition', async () => {
    await expect(new TargetsRepository(() => failing(() => true)).put(uniqueName('target'), doc(), undefined)).rejects.toMatchObject(missingTable);
  });

  it('lists every target across pages of the query', async () => {
    const ids = Array.from({ length: 6 }, () => uniqueName('big'));
    for (const id of ids) await targets.put(id, doc('x'.repeat(300_000)), undefined); // 1.8 MB: two pages
    let queries = 0;
    const counting = new TargetsRepository(() =>
      clientAround((input, send) => {
        if (input.KeyConditionExpression && ++queries > 10) throw new Error('pagination does not advance');
        return send(input);
      }),
    );
    const listed = await counting.list();
    expect(
      listed
        .filter((t) => ids.includes(t.id))
        .map((t) => t.id)
        .sort(),
    ).toEqual([...ids].sort());
    expect(listed.find((t) => t.id === ids[3])?.document).toEqual(doc('x'.repeat(300_000)));
    expect(queries).toBeGreaterThan(1);
  });
});
