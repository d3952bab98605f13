/**
 * Rules that once had no test failing when they broke (issue 16's audit), each named after the
 * behaviour, against DynamoDB Local and the local gateway.
 */
import type { LocalGateway } from '../../local/gateway';
import { fanOut } from '../../lambdas/gateway/fanout';
import { getConfig } from '../../lambdas/config';
import { AccessCache } from '../../lambdas/routing/access';
import { policies, sessions, things } from '../../lambdas/store/repositories';
import { http, putJson, startTestGateway, uniqueName, uniqueNamespace } from '../support/harness';
import { message, type World, worldOn } from '../support/world';

describe('rules with the default configuration', () => {
  let gateway: LocalGateway;
  const world = worldOn(() => gateway);
  beforeAll(async () => {
    gateway = await startTestGateway();
  });
  afterAll(() => gateway.stop());

  it('serves a cached thing for exactly the cache window, then reloads it, however long it sat idle', async () => {
    const ns = uniqueNamespace();
    const [thingId, policyId] = [`${ns}:cached`, `${ns}:policy`];
    const entries = { OWNER: { subjects: { 'local:owner': { type: 'test' } }, resources: { 'thing:/': { grant: ['READ' as const], revoke: [] } } } };
    await policies().put(policyId, { policyId, entries }, undefined);
    await things().put(thingId, { thingId, policyId, attributes: { v: 1 } }, undefined);
    // Another container changes the thing: no invalidation reaches this cache, only its window ends.
    const changeElsewhere = (v: number) => things().put(thingId, { thingId, policyId, attributes: { v } }, v - 1);
    const ttl = getConfig().cacheTtlMs;
    const t0 = Date.now();
    let now = t0;
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => now);
    try {
      const cache = new AccessCache();
      const first = await cache.load(thingId);
      await changeElsewhere(2);
      now = t0 + ttl - 1;
      const cached = await cache.load(thingId);
      expect(cached?.thing).toBe(first?.thing);
      expect(cached?.enforcer).toBe(first?.enforcer);
      now = t0 + ttl;
      expect((await cache.load(thingId))?.thing.attributes).toEqual({ v: 2 });
      await changeElsewhere(3);
      now = t0 + 10 * ttl;
      expect((await cache.load(thingId))?.thing.attributes).toEqual({ v: 3 });
    } finally {
      clock.mockRestore();
    }
  });

  it('removes a connection that API Gateway reports gone (410) from the index while fanning out, without any $disconnect', async () => {
    const ghost = `ghost-${uniqueName()}`;
    const subject = `local:${ghost}`;
    // A connection the gateway never had: @connections answers 410, and no $disconnect will ever clean it up.
    await sessions().putConnection({ connectionId: ghost, subjects: [subject], connectedAt: Date.now() });
    await sessions().subscribe({ connectionId: ghost, subjects: [subject] });
    expect((await sessions().subscriptionsFor([subject])).map((s) => s.connectionId)).toEqual([ghost]);

    const result = await fanOut([{ connectionId: ghost, subjects: [subject] }], '{"topic":"x"}');

    expect(result).toEqual({ delivered: 0, gone: 1, failed: 0 });
    expect(await sessions().subscriptionsFor([subject])).toEqual([]);
    expect(await sessions().getConnection(ghost)).toBeUndefined();
  });

  it('refuses (413) an HTTP message whose body fits the limit but whose envelope with its headers does not', async () => {
    const w = await world();
    const limit = 128 * 1024;
    const body = JSON.stringify('x'.repeat(limit - 4 * 1024));
    expect(Buffer.byteLength(body)).toBeLessThan(limit);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    for (let i = 0; i < 8; i++) headers[`x-padding-${i}`] = 'p'.repeat(1000);
    const res = await http(gateway, 'POST', `/api/2/things/${w.thingId}/inbox/messages/big?timeout=0`, { auth: w.ownerAuth, body, headers });
    expect(res.status).toBe(413);
    expect(res.json()).toMatchObject({ status: 413, error: 'messages:payload.toolarge' });
  });

  const send = (w: World, path: string, auth: string, headers: Record<string, string> = {}) =>
    http(gateway, 'POST', `/api/2/things/${w.thingId}/${path}?timeout=0`, { auth, body: '1', headers: { 'content-type': 'application/json', ...headers } });

  it('a sender who may READ the thing but not send gets 403, not 404 (it knows the thing exists)', async () => {
    const w = await world({ READER: { 'thing:/': { grant: ['READ'] } } });
    const reader = await w.user('READER');
    const res = await send(w, 'inbox/messages/x', reader.auth);
    expect(res.status).toBe(403);
    expect(res.json()).toMatchObject({ status: 403, error: 'messages:send.notallowed' });
  });

  it('a fire-and-forget message does not reserve its correlation-id: the same id can be sent again at once', async () => {
    const w = await world();
    const headers = { 'correlation-id': `fire-${uniqueName()}` };
    expect((await send(w, 'inbox/messages/x', w.ownerAuth, headers)).status).toBe(202);
    expect((await send(w, 'inbox/messages/x', w.ownerAuth, headers)).status).toBe(202);
  });

  it("a subscription filtered by featureId gets that feature's messages and not the thing's", async () => {
    const w = await world();
    const device = await (await w.user('owner')).ws();
    try {
      await device.subscribe(`?filter=${encodeURIComponent('eq(featureId,"lamp")')}`);
      await send(w, 'inbox/messages/thingLevel', w.ownerAuth);
      await send(w, 'features/lamp/inbox/messages/featureLevel', w.ownerAuth);
      expect((await device.nextJson()).path).toBe('/features/lamp/inbox/messages/featureLevel');
    } finally {
      await device.close();
    }
  });
});

describe('rules that need a long cache window and a short WebSocket wait', () => {
  let gateway: LocalGateway;
  const world = worldOn(() => gateway);
  const saved = { CACHE_TTL_MS: process.env.CACHE_TTL_MS, MAX_WS_TIMEOUT_MS: process.env.MAX_WS_TIMEOUT_MS };

  beforeAll(async () => {
    // A minute of cache: only the invalidation by the change itself can make a policy change visible at once.
    process.env.CACHE_TTL_MS = '60000';
    process.env.MAX_WS_TIMEOUT_MS = '1000';
    gateway = await startTestGateway();
  });
  afterAll(async () => {
    await gateway.stop();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  /**
   * LATE may not READ messages at first (cached so); `grant` gives it READ; the very next message reaches it only if
   * the change invalidated this container's cache (the cache window is a minute).
   */
  async function seesTheChangeAtOnce(grant: (w: World) => Promise<number>): Promise<void> {
    const w = await world({ LATE: { 'thing:/': { grant: ['READ'] } } });
    const device = await (await w.user('LATE')).ws();
    const send = (subject: string) =>
      http(gateway, 'POST', `/api/2/things/${w.thingId}/inbox/messages/${subject}?timeout=0`, {
        auth: w.ownerAuth,
        body: '1',
        headers: { 'content-type': 'application/json' },
      });
    try {
      await device.subscribe();
      await send('before');
      expect([201, 204]).toContain(await grant(w));
      await send('after');
      expect((await device.nextJson()).path).toBe('/inbox/messages/after');
    } finally {
      await device.close();
    }
  }

  it('applies a replaced policy at once in the container that replaced it', () =>
    seesTheChangeAtOnce(async (w) => {
      const policy = (await http(gateway, 'GET', `/api/2/policies/${w.ns}:policy`, { auth: w.ownerAuth })).json() as { entries: Record<string, any> };
      policy.entries.LATE.resources['message:/'] = { grant: ['READ'], revoke: [] };
      return (await putJson(gateway, `/api/2/policies/${w.ns}:policy`, w.ownerAuth, { entries: policy.entries })).status;
    }));

  it('applies a changed policy entry at once in the container that changed it', () =>
    seesTheChangeAtOnce(
      async (w) =>
        (await putJson(gateway, `/api/2/policies/${w.ns}:policy/entries/LATE/resources/message:%2F`, w.ownerAuth, { grant: ['READ'], revoke: [] })).status,
    ));

  it("applies a thing's new policy at once in the container that moved it there", () =>
    seesTheChangeAtOnce(async (w) => {
      const policy = (await http(gateway, 'GET', `/api/2/policies/${w.ns}:policy`, { auth: w.ownerAuth })).json() as { entries: Record<string, any> };
      policy.entries.LATE.resources['message:/'] = { grant: ['READ'], revoke: [] };
      expect((await putJson(gateway, `/api/2/policies/${w.ns}:open`, w.ownerAuth, { entries: policy.entries })).status).toBe(201);
      return (await putJson(gateway, `/api/2/things/${w.thingId}`, w.ownerAuth, { policyId: `${w.ns}:open` })).status;
    }));

  it('cuts a WebSocket wait to the configured longest wait (408 after it, not after the requested hour)', async () => {
    const w = await world();
    const issuer = await (await w.user('owner')).ws();
    try {
      const started = Date.now();
      issuer.send(message(w, 'nobodyAnswers', { 'correlation-id': `cap-${w.ns}`, timeout: '3600s' }));
      const error = await issuer.nextJson(10_000);
      expect(error).toMatchObject({ status: 408, headers: { 'correlation-id': `cap-${w.ns}` } });
      expect(Date.now() - started).toBeLessThan(9_000);
    } finally {
      await issuer.close();
    }
  });
});
