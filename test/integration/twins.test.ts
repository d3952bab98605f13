import fc from 'fast-check';
import type { LocalGateway } from '../../local/gateway';
import { basic, bearer, http, putJson, startTestGateway, uniqueName, uniqueNamespace } from '../support/harness';

let gateway: LocalGateway;
beforeAll(async () => {
  gateway = await startTestGateway();
});
afterAll(async () => gateway.stop());

const ownerPolicy = (owner: string, extra: Record<string, unknown> = {}) => ({
  entries: {
    OWNER: {
      subjects: { [owner]: { type: 'test' } },
      resources: {
        'policy:/': { grant: ['READ', 'WRITE'], revoke: [] },
        'thing:/': { grant: ['READ', 'WRITE'], revoke: [] },
        'message:/': { grant: ['READ', 'WRITE'], revoke: [] },
      },
    },
    ...extra,
  },
});

describe('things', () => {
  it('creates a thing with a default policy, reads, replaces and deletes it', async () => {
    const ns = uniqueNamespace();
    const alice = uniqueName('alice');
    const auth = await bearer(alice);
    const created = await putJson(gateway, `/api/2/things/${ns}:lamp`, auth, { attributes: { room: 'kitchen' } });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/api/2/things/${encodeURIComponent(`${ns}:lamp`)}`);
    expect(created.json()).toEqual({ thingId: `${ns}:lamp`, policyId: `${ns}:lamp`, attributes: { room: 'kitchen' } });

    const policy = await http(gateway, 'GET', `/api/2/policies/${ns}:lamp`, { auth });
    expect(policy.json()).toMatchObject({ entries: { DEFAULT: { subjects: { [`local:${alice}`]: expect.anything() } } } });

    expect((await putJson(gateway, `/api/2/things/${ns}:lamp`, auth, { attributes: { room: 'hall' } })).status).toBe(204);
    expect((await http(gateway, 'GET', `/api/2/things/${ns}:lamp`, { auth })).json()).toMatchObject({ attributes: { room: 'hall' } });
    expect((await http(gateway, 'DELETE', `/api/2/things/${ns}:lamp`, { auth })).status).toBe(204);
    expect((await http(gateway, 'GET', `/api/2/things/${ns}:lamp`, { auth })).status).toBe(404);
  });

  it('hides a thing from a subject without READ (404) and refuses changes without WRITE (403)', async () => {
    const ns = uniqueNamespace();
    const owner = `local:${uniqueName('owner')}`;
    const readerName = uniqueName('reader');
    const auth = await bearer(owner.slice('local:'.length));
    await putJson(
      gateway,
      `/api/2/policies/${ns}:p`,
      auth,
      ownerPolicy(owner, { READER: { subjects: { [`local:${readerName}`]: { type: 't' } }, resources: { 'thing:/': { grant: ['READ'], revoke: [] } } } }),
    );
    expect((await putJson(gateway, `/api/2/things/${ns}:t`, auth, { policyId: `${ns}:p` })).status).toBe(201);

    const stranger = await http(gateway, 'GET', `/api/2/things/${ns}:t`, { auth: await bearer(uniqueName('stranger')) });
    expect(stranger.status).toBe(404);
    expect(stranger.json()).toMatchObject({ status: 404, error: 'things:thing.notfound' });

    const reader = await bearer(readerName);
    expect((await http(gateway, 'GET', `/api/2/things/${ns}:t`, { auth: reader })).status).toBe(200);
    const denied = await putJson(gateway, `/api/2/things/${ns}:t`, reader, { policyId: `${ns}:p` });
    expect(denied.status).toBe(403);
    expect(denied.json()).toMatchObject({ error: 'things:thing.notmodifiable' });
  });

  it.each([
    ['an invalid id', '/api/2/things/no-namespace-colon', '{}', 400, 'things:id.invalid'],
    ['a %2F in the id', '/api/2/things/ns:a%2Fb', '{}', 400, 'things:id.invalid'],
    ['invalid JSON', '/api/2/things/ns:ok', '{', 400, 'json.invalid'],
    ['a non-object body', '/api/2/things/ns:ok', '[]', 400, 'things:thing.invalid'],
    ['a body id that differs', '/api/2/things/ns:ok', '{"thingId":"ns:other"}', 400, 'things:thing.invalid'],
  ])('rejects %s', async (_n, path, body, status, error) => {
    const res = await http(gateway, 'PUT', path, { auth: basic('ditto', 'ditto'), body, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(status);
    expect(res.json()).toMatchObject({ status, error, message: expect.any(String) });
  });

  it('percent-decodes ids once', async () => {
    const ns = uniqueNamespace();
    const auth = await bearer(uniqueName());
    const res = await putJson(gateway, `/api/2/things/${encodeURIComponent(`${ns}:with space`)}`, auth, {});
    expect(res.status).toBe(201);
    expect(res.json()).toMatchObject({ thingId: `${ns}:with space` });
  });
});

describe('policies', () => {
  it('creates (201), replaces (204), reads and deletes a policy', async () => {
    const ns = uniqueNamespace();
    const owner = uniqueName('owner');
    const auth = await bearer(owner);
    const created = await putJson(gateway, `/api/2/policies/${ns}:p`, auth, ownerPolicy(`local:${owner}`));
    expect(created.status).toBe(201);
    expect(created.json()).toMatchObject({ policyId: `${ns}:p` });
    expect((await putJson(gateway, `/api/2/policies/${ns}:p`, auth, ownerPolicy(`local:${owner}`))).status).toBe(204);
    expect((await http(gateway, 'GET', `/api/2/policies/${ns}:p`, { auth })).status).toBe(200);
    expect((await http(gateway, 'DELETE', `/api/2/policies/${ns}:p`, { auth })).status).toBe(204);
    expect((await http(gateway, 'GET', `/api/2/policies/${ns}:p`, { auth })).json()).toMatchObject({ error: 'policies:policy.notfound' });
  });

  it('prevents a lock-out: some subject must keep WRITE on policy:/', async () => {
    const ns = uniqueNamespace();
    const owner = uniqueName('owner');
    const auth = await bearer(owner);
    const res = await putJson(gateway, `/api/2/policies/${ns}:p`, auth, {
      entries: { A: { subjects: { [`local:${owner}`]: { type: 't' } }, resources: { 'policy:/': { grant: ['READ'], revoke: [] } } } },
    });
    expect(res.status).toBe(403);
    expect(res.json()).toMatchObject({ error: 'policies:policy.modificationinvalid' });
  });

  it('lets a reader read but not modify (403 notmodifiable), and hides it from others (404)', async () => {
    const ns = uniqueNamespace();
    const owner = uniqueName('owner');
    const reader = uniqueName('reader');
    await putJson(
      gateway,
      `/api/2/policies/${ns}:p`,
      await bearer(owner),
      ownerPolicy(`local:${owner}`, { R: { subjects: { [`local:${reader}`]: { type: 't' } }, resources: { 'policy:/': { grant: ['READ'], revoke: [] } } } }),
    );
    const readerAuth = await bearer(reader);
    expect((await http(gateway, 'GET', `/api/2/policies/${ns}:p`, { auth: readerAuth })).status).toBe(200);
    const put = await putJson(gateway, `/api/2/policies/${ns}:p`, readerAuth, ownerPolicy(`local:${reader}`));
    expect(put.json()).toMatchObject({ status: 403, error: 'policies:policy.notmodifiable' });
    expect((await http(gateway, 'DELETE', `/api/2/policies/${ns}:p`, { auth: await bearer(uniqueName()) })).status).toBe(404);
  });

  it('rejects an invalid policy and an invalid id', async () => {
    const auth = await bearer(uniqueName());
    const invalid = await putJson(gateway, `/api/2/policies/${uniqueNamespace()}:p`, auth, {
      entries: { A: { subjects: {}, resources: { 'message:/': { grant: ['FLY'] } } } },
    });
    expect(invalid.json()).toMatchObject({ status: 400, error: 'policies:policy.invalid' });
    const badId = await putJson(gateway, '/api/2/policies/bad', auth, ownerPolicy('local:x'));
    expect(badId.json()).toMatchObject({ status: 400, error: 'policies:id.invalid' });
  });

  it('lets exactly one of two concurrent replaces win; the other gets 412, nothing is silently lost', async () => {
    const ns = uniqueNamespace();
    const owner = uniqueName('owner');
    const auth = await bearer(owner);
    await putJson(gateway, `/api/2/policies/${ns}:p`, auth, ownerPolicy(`local:${owner}`));
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        putJson(
          gateway,
          `/api/2/policies/${ns}:p`,
          auth,
          ownerPolicy(`local:${owner}`, {
            [`E${i}`]: { subjects: { [`local:x${i}`]: { type: 't' } }, resources: { 'message:/': { grant: ['READ'], revoke: [] } } },
          }),
        ),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 204).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 204 || s === 412)).toBe(true);
    // The stored policy is exactly one of the writes that reported success.
    const stored = (await http(gateway, 'GET', `/api/2/policies/${ns}:p`, { auth })).json() as { entries: Record<string, unknown> };
    const extra = Object.keys(stored.entries).filter((k) => k !== 'OWNER');
    expect(extra).toHaveLength(1);
    expect(statuses[Number(extra[0]!.slice(1))]).toBe(204);
  });
});

describe('conditional requests (ETag, If-Match, If-None-Match)', () => {
  const json = { 'content-type': 'application/json' };

  it('tags every GET and PUT with the revision, answers 304 to a matching If-None-Match and 412 to a stale If-Match', async () => {
    const ns = uniqueNamespace();
    const auth = await bearer(uniqueName('alice'));
    const path = `/api/2/things/${ns}:lamp`;
    const created = await http(gateway, 'PUT', path, { auth, body: '{}', headers: { ...json, 'if-none-match': '*' } });
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe('"rev:1"');
    const read = await http(gateway, 'GET', path, { auth });
    expect(read.headers.get('etag')).toBe('"rev:1"');
    const unchanged = await http(gateway, 'GET', path, { auth, headers: { 'if-none-match': '"rev:1"' } });
    expect(unchanged.status).toBe(304);
    expect(unchanged.text).toBe('');
    expect(unchanged.headers.get('etag')).toBe('"rev:1"');

    // Two clients read revision 1; the first change wins, the second (stale) one is refused, nothing is lost.
    const first = await http(gateway, 'PUT', path, { auth, body: '{"attributes":{"a":1}}', headers: { ...json, 'if-match': '"rev:1"' } });
    expect(first.status).toBe(204);
    expect(first.headers.get('etag')).toBe('"rev:2"');
    const stale = await http(gateway, 'PUT', path, { auth, body: '{"attributes":{"b":2}}', headers: { ...json, 'if-match': '"rev:1"' } });
    expect(stale.json()).toMatchObject({
      status: 412,
      error: 'things:precondition.failed',
      message: "The comparison of precondition header 'if-match' for the requested Thing resource evaluated to false.",
    });
    expect((await http(gateway, 'GET', path, { auth })).json()).toMatchObject({ attributes: { a: 1 } });
    expect((await http(gateway, 'GET', path, { auth, headers: { 'if-none-match': '"rev:1"' } })).status).toBe(200);
  });

  it('refuses to create over an existing entity with If-None-Match: * and to delete a changed one', async () => {
    const ns = uniqueNamespace();
    const owner = uniqueName('owner');
    const auth = await bearer(owner);
    const path = `/api/2/policies/${ns}:p`;
    expect((await putJson(gateway, path, auth, ownerPolicy(`local:${owner}`))).status).toBe(201);
    const again = await http(gateway, 'PUT', path, { auth, body: JSON.stringify(ownerPolicy(`local:${owner}`)), headers: { ...json, 'if-none-match': '*' } });
    expect(again.json()).toMatchObject({ status: 412, error: 'policies:precondition.failed' });
    expect((await http(gateway, 'DELETE', path, { auth, headers: { 'if-match': '"rev:7"' } })).status).toBe(412);
    expect((await http(gateway, 'DELETE', path, { auth, headers: { 'if-match': '*' } })).status).toBe(204);
  });
});

describe('subject expiry', () => {
  it('lets a subject send until its expiry and not after (403)', async () => {
    const ns = uniqueNamespace();
    const owner = uniqueName('owner');
    const temp = uniqueName('temp');
    const auth = await bearer(owner);
    const expiry = new Date(Date.now() + 1500).toISOString();
    const policy = ownerPolicy(`local:${owner}`, {
      TEMP: {
        subjects: { [`local:${temp}`]: { type: 'contractor', expiry } },
        resources: { 'message:/': { grant: ['WRITE'], revoke: [] }, 'thing:/': { grant: ['READ'], revoke: [] } },
      },
    });
    expect((await putJson(gateway, `/api/2/policies/${ns}:p`, auth, policy)).status).toBe(201);
    expect((await putJson(gateway, `/api/2/things/${ns}:t`, auth, { policyId: `${ns}:p` })).status).toBe(201);
    expect((await http(gateway, 'GET', `/api/2/policies/${ns}:p`, { auth })).json()).toMatchObject({
      entries: { TEMP: { subjects: { [`local:${temp}`]: { expiry } } } },
    });
    const send = async () =>
      (
        await http(gateway, 'POST', `/api/2/things/${ns}:t/inbox/messages/x?timeout=0`, {
          auth: await bearer(temp),
          body: '1',
          headers: { 'content-type': 'application/json' },
        })
      ).status;
    expect(await send()).toBe(202);
    await new Promise((r) => setTimeout(r, 1500 + 2100)); // past the expiry and the 2 s cache window
    expect([403, 404]).toContain(await send());
  });
});

describe('sub-resources', () => {
  const json = { 'content-type': 'application/json' };

  it('keeps every one of concurrent changes to different parts of one policy (onboarding twenty devices at once)', async () => {
    const ns = uniqueNamespace();
    const owner = uniqueName('owner');
    const auth = await bearer(owner);
    const policy = ownerPolicy(`local:${owner}`, { DEVICES: { subjects: {}, resources: { 'message:/inbox': { grant: ['READ'], revoke: [] } } } });
    expect((await putJson(gateway, `/api/2/policies/${ns}:fleet`, auth, policy)).status).toBe(201);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        http(gateway, 'PUT', `/api/2/policies/${ns}:fleet/entries/DEVICES/subjects/local:device-${i}`, { auth, body: '{"type":"device"}', headers: json }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(201));
    const subjects = (await http(gateway, 'GET', `/api/2/policies/${ns}:fleet/entries/DEVICES/subjects`, { auth })).json() as Record<string, unknown>;
    expect(Object.keys(subjects).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `local:device-${i}`).sort());
  });

  it('creates (201), reads, changes (204) and deletes (204) an attribute; a missing one is 404 attribute.notfound', async () => {
    const ns = uniqueNamespace();
    const auth = await bearer(uniqueName('alice'));
    expect((await putJson(gateway, `/api/2/things/${ns}:lamp`, auth, { attributes: { room: 'kitchen' } })).status).toBe(201);
    const path = `/api/2/things/${ns}:lamp/attributes/location/floor`;
    const created = await http(gateway, 'PUT', path, { auth, body: '2', headers: json });
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe('"rev:2"');
    expect((await http(gateway, 'GET', path, { auth })).json()).toBe(2);
    expect((await http(gateway, 'PUT', path, { auth, body: '3', headers: json })).status).toBe(204);
    expect((await http(gateway, 'GET', `/api/2/things/${ns}:lamp/attributes`, { auth })).json()).toEqual({ room: 'kitchen', location: { floor: 3 } });
    expect((await http(gateway, 'DELETE', path, { auth })).status).toBe(204);
    expect((await http(gateway, 'GET', path, { auth })).json()).toMatchObject({ status: 404, error: 'things:attribute.notfound' });
    expect((await http(gateway, 'PUT', `/api/2/things/${ns}:lamp/features/switch/properties/on`, { auth, body: 'true', headers: json })).status).toBe(201);
    expect((await http(gateway, 'GET', `/api/2/things/${ns}:lamp/features/switch`, { auth })).json()).toEqual({ properties: { on: true } });
  });

  it('checks the part’s own resource: WRITE on one attribute does not reach another, and unreadable parts are absent', async () => {
    const ns = uniqueNamespace();
    const owner = uniqueName('owner');
    const tech = uniqueName('tech');
    const auth = await bearer(owner);
    const policy = ownerPolicy(`local:${owner}`, {
      TECH: {
        subjects: { [`local:${tech}`]: { type: 't' } },
        resources: { 'thing:/attributes/room': { grant: ['READ', 'WRITE'], revoke: [] }, 'thing:/attributes/label': { grant: ['READ'], revoke: [] } },
      },
    });
    expect((await putJson(gateway, `/api/2/policies/${ns}:p`, auth, policy)).status).toBe(201);
    expect(
      (await putJson(gateway, `/api/2/things/${ns}:t`, auth, { policyId: `${ns}:p`, attributes: { room: 'a', label: 'L1', wifiKey: 'secret' } })).status,
    ).toBe(201);
    const techAuth = await bearer(tech);
    expect((await http(gateway, 'PUT', `/api/2/things/${ns}:t/attributes/room`, { auth: techAuth, body: '"b"', headers: json })).status).toBe(204);
    expect((await http(gateway, 'PUT', `/api/2/things/${ns}:t/attributes/label`, { auth: techAuth, body: '"x"', headers: json })).json()).toMatchObject({
      status: 403,
      error: 'things:attribute.notmodifiable',
    });
    expect((await http(gateway, 'PUT', `/api/2/things/${ns}:t/attributes/wifiKey`, { auth: techAuth, body: '"x"', headers: json })).json()).toMatchObject({
      status: 404,
      error: 'things:attribute.notfound',
    });
    expect((await http(gateway, 'GET', `/api/2/things/${ns}:t/attributes`, { auth: techAuth })).json()).toEqual({ room: 'b', label: 'L1' });
  });

  it('holds the lock-out rule for sub-resources and keeps resource keys with slashes whole', async () => {
    const ns = uniqueNamespace();
    const owner = uniqueName('owner');
    const auth = await bearer(owner);
    expect((await putJson(gateway, `/api/2/policies/${ns}:p`, auth, ownerPolicy(`local:${owner}`))).status).toBe(201);
    expect((await http(gateway, 'DELETE', `/api/2/policies/${ns}:p/entries/OWNER`, { auth })).json()).toMatchObject({
      status: 403,
      error: 'policies:policy.modificationinvalid',
    });
    const resource = await http(gateway, 'PUT', `/api/2/policies/${ns}:p/entries/OWNER/resources/thing:/features/lamp`, {
      auth,
      body: '{"grant":[],"revoke":["WRITE"]}',
      headers: json,
    });
    expect(resource.status).toBe(201);
    const entry = (await http(gateway, 'GET', `/api/2/policies/${ns}:p/entries/OWNER`, { auth })).json() as { resources: Record<string, unknown> };
    expect(entry.resources['thing:/features/lamp']).toEqual({ grant: [], revoke: ['WRITE'] });
    expect((await http(gateway, 'GET', `/api/2/policies/${ns}:p/entries/NOPE`, { auth })).json()).toMatchObject({
      status: 404,
      error: 'policies:entry.notfound',
    });
  });
});

describe('sub-resource changes against whole-resource changes (property-based)', () => {
  type Op = { kind: 'put'; path: string[]; value: number } | { kind: 'delete'; path: string[] };
  const op = fc.oneof(
    fc.record({
      kind: fc.constant('put' as const),
      path: fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 1, maxLength: 3 }),
      value: fc.integer({ min: 0, max: 9 }),
    }),
    fc.record({ kind: fc.constant('delete' as const), path: fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 1, maxLength: 3 }) }),
  );

  /** The same change on a plain object, as a client replacing the whole attributes would make it. */
  function applyWhole(root: Record<string, unknown>, change: Op): Record<string, unknown> {
    const copy = structuredClone(root);
    let node: Record<string, unknown> = copy;
    for (const key of change.path.slice(0, -1)) {
      const child = node[key];
      if (typeof child !== 'object' || child === null || Array.isArray(child)) {
        if (change.kind === 'delete') return copy; // nothing there to delete
        node[key] = {};
      }
      node = node[key] as Record<string, unknown>;
    }
    const last = change.path.at(-1)!;
    if (change.kind === 'put') node[last] = change.value;
    else delete node[last];
    return copy;
  }

  it('ends in the same attributes as applying each change to the whole thing', async () => {
    const auth = await bearer(uniqueName('prop'));
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 6 }), async (ops) => {
        const thingId = `${uniqueNamespace()}:t`;
        expect((await putJson(gateway, `/api/2/things/${thingId}`, auth, { attributes: {} })).status).toBe(201);
        let model: Record<string, unknown> = {};
        for (const change of ops) {
          const path = `/api/2/things/${thingId}/attributes/${change.path.join('/')}`;
          const res =
            change.kind === 'put'
              ? await http(gateway, 'PUT', path, { auth, body: String(change.value), headers: { 'content-type': 'application/json' } })
              : await http(gateway, 'DELETE', path, { auth });
          expect([200, 201, 204, 404]).toContain(res.status);
          model = applyWhole(model, change);
        }
        const stored = (await http(gateway, 'GET', `/api/2/things/${thingId}`, { auth })).json() as { attributes?: unknown };
        expect(stored.attributes ?? {}).toEqual(model);
      }),
      { numRuns: 15 },
    );
  }, 60_000);
});

describe("a missing part answers 404 with Ditto's error code and text for that kind of part", () => {
  type Case = readonly [path: string, code: string, label: string, pointer: string];
  /** GETs each path below `base` and expects Ditto's not-found error for that part of `entity`. */
  async function expectNotFound(base: string, auth: string, entity: string, cases: readonly Case[]): Promise<void> {
    for (const [path, code, label, pointer] of cases) {
      const res = await http(gateway, 'GET', `${base}${path}`, { auth });
      expect({ path, status: res.status, body: res.json() }).toMatchObject({
        path,
        status: 404,
        body: {
          error: `${code}.notfound`,
          message: `The ${label} '${pointer}' of the ${entity} could not be found or the requester had insufficient permissions to access it.`,
        },
      });
    }
  }

  it('names each part of a thing as Ditto does', async () => {
    const ns = uniqueNamespace();
    const auth = await bearer(uniqueName('owner'));
    const thingId = `${ns}:bare`;
    const base = `/api/2/things/${thingId}`;
    const entity = `Thing with ID '${thingId}'`;
    // No attributes and no features at all; then one feature without properties.
    expect((await putJson(gateway, base, auth, {})).status).toBe(201);
    await expectNotFound(base, auth, entity, [
      ['/attributes', 'things:attributes', 'attributes', 'attributes'],
      ['/attributes/a', 'things:attribute', 'attribute', 'attributes/a'],
      ['/features', 'things:features', 'features', 'features'],
      ['/features/f', 'things:feature', 'feature', 'features/f'],
    ]);
    expect((await putJson(gateway, `${base}/features/f`, auth, {})).status).toBe(201);
    await expectNotFound(base, auth, entity, [
      ['/features/f/properties', 'things:feature.properties', 'feature properties', 'features/f/properties'],
      ['/features/f/properties/p', 'things:feature.property', 'feature property', 'features/f/properties/p'],
      ['/features/f/desiredProperties', 'things:feature', 'feature', 'features/f/desiredProperties'],
    ]);
  });

  it('names each part of a policy as Ditto does', async () => {
    const ns = uniqueNamespace();
    const owner = `local:${uniqueName('owner')}`;
    const auth = await bearer(owner.slice('local:'.length));
    const policyId = `${ns}:p`;
    const base = `/api/2/policies/${policyId}`;
    expect((await putJson(gateway, base, auth, ownerPolicy(owner))).status).toBe(201);
    await expectNotFound(base, auth, `Policy with ID '${policyId}'`, [
      ['/entries/NOPE', 'policies:entry', 'policy entry', 'entries/NOPE'],
      ['/entries/NOPE/subjects', 'policies:entry', 'policy entry', 'entries/NOPE/subjects'],
      ['/entries/OWNER/subjects/local:nobody', 'policies:subject', 'subject', 'entries/OWNER/subjects/local:nobody'],
      ['/entries/OWNER/resources/thing:%2Fnothing', 'policies:resource', 'resource', 'entries/OWNER/resources/thing:/nothing'],
    ]);
  });
});
