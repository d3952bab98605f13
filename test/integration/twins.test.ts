import fc from 'fast-check';
import type { LocalGateway } from '../../local/gateway';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { basic, bearer, ddb, http, putJson, startTestGateway, tableName, uniqueName, uniqueNamespace } from '../support/harness';

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
          description: 'Check the path of the requested resource and your permissions.',
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

/** Policy `${ns}:p` of a fresh owner, with a subject that may READ the whole thing and policy but WRITE nothing. */
async function readerSetup(): Promise<{ ns: string; owner: string; auth: string; reader: string; policy: ReturnType<typeof ownerPolicy> }> {
  const ns = uniqueNamespace();
  const owner = uniqueName('owner');
  const readerName = uniqueName('reader');
  const auth = await bearer(owner);
  const policy = ownerPolicy(`local:${owner}`, {
    READER: {
      subjects: { [`local:${readerName}`]: { type: 't' } },
      resources: { 'thing:/': { grant: ['READ'], revoke: [] }, 'policy:/': { grant: ['READ'], revoke: [] } },
    },
  });
  expect((await putJson(gateway, `/api/2/policies/${ns}:p`, auth, policy)).status).toBe(201);
  return { ns, owner, auth, reader: await bearer(readerName), policy };
}

describe("a part that may not be changed answers 403 with Ditto's error code and text for that kind of part", () => {
  type Case = readonly [path: string, body: string, code: string, label: string, pointer: string];
  /** PUTs each path below `base` and expects Ditto's not-modifiable error for that part of `entity`. */
  async function expectNotModifiable(base: string, auth: string, entity: string, cases: readonly Case[]): Promise<void> {
    for (const [path, body, code, label, pointer] of cases) {
      const res = await http(gateway, 'PUT', `${base}${path}`, { auth, body, headers: { 'content-type': 'application/json' } });
      expect({ path, status: res.status, body: res.json() }).toEqual({
        path,
        status: 403,
        body: {
          status: 403,
          error: `${code}.notmodifiable`,
          message: `The ${label} '${pointer}' of the ${entity} could not be modified as the requester had insufficient permissions to modify it.`,
          description: 'Check if you have sufficient permissions to modify the resource.',
        },
      });
    }
  }

  it('names each part of a thing as Ditto does, and leaves the thing unchanged', async () => {
    const { ns, auth, reader } = await readerSetup();
    const thingId = `${ns}:t`;
    const base = `/api/2/things/${thingId}`;
    const thing = { thingId, policyId: `${ns}:p`, attributes: { a: 1 }, features: { f: { properties: { p: 1 } } } };
    expect((await putJson(gateway, base, auth, thing)).status).toBe(201);
    await expectNotModifiable(base, reader, `Thing with ID '${thingId}'`, [
      ['/policyId', JSON.stringify(`${ns}:p`), 'things:policyId', 'policy ID', 'policyId'],
      ['/attributes', '{}', 'things:attributes', 'attributes', 'attributes'],
      ['/attributes/a', '2', 'things:attribute', 'attribute', 'attributes/a'],
      ['/features', '{}', 'things:features', 'features', 'features'],
      ['/features/f', '{}', 'things:feature', 'feature', 'features/f'],
      ['/features/f/properties', '{}', 'things:feature.properties', 'feature properties', 'features/f/properties'],
      ['/features/f/properties/p', '2', 'things:feature.property', 'feature property', 'features/f/properties/p'],
    ]);
    expect((await http(gateway, 'GET', base, { auth })).json()).toEqual(thing);
  });

  it('names each part of a policy as Ditto does', async () => {
    const { ns, owner, reader } = await readerSetup();
    const policyId = `${ns}:p`;
    await expectNotModifiable(`/api/2/policies/${policyId}`, reader, `Policy with ID '${policyId}'`, [
      ['/entries/OWNER', JSON.stringify(ownerPolicy(`local:${owner}`).entries.OWNER), 'policies:entry', 'policy entry', 'entries/OWNER'],
      ['/entries/OWNER/subjects', '{}', 'policies:subjects', 'subjects', 'entries/OWNER/subjects'],
      ['/entries/OWNER/subjects/local:x', '{"type":"t"}', 'policies:subject', 'subject', 'entries/OWNER/subjects/local:x'],
      ['/entries/OWNER/resources', '{}', 'policies:resources', 'resources', 'entries/OWNER/resources'],
      ['/entries/OWNER/resources/thing:%2Fx', '{"grant":["READ"],"revoke":[]}', 'policies:resource', 'resource', 'entries/OWNER/resources/thing:/x'],
    ]);
  });
});

describe('sub-resources: permissions, ids and conditions', () => {
  const json = { 'content-type': 'application/json' };

  it("reads a thing's policyId, and hides it (404 things:policyId.notfound) from a subject that may read only the attributes", async () => {
    const ns = uniqueNamespace();
    const owner = uniqueName('owner');
    const viewer = uniqueName('viewer');
    const auth = await bearer(owner);
    const policy = ownerPolicy(`local:${owner}`, {
      VIEWER: { subjects: { [`local:${viewer}`]: { type: 't' } }, resources: { 'thing:/attributes': { grant: ['READ'], revoke: [] } } },
    });
    expect((await putJson(gateway, `/api/2/policies/${ns}:p`, auth, policy)).status).toBe(201);
    expect((await putJson(gateway, `/api/2/things/${ns}:t`, auth, { policyId: `${ns}:p`, attributes: { room: 'hall' } })).status).toBe(201);
    const own = await http(gateway, 'GET', `/api/2/things/${ns}:t/policyId`, { auth });
    expect([own.status, own.json()]).toEqual([200, `${ns}:p`]);
    const viewerAuth = await bearer(viewer);
    expect((await http(gateway, 'GET', `/api/2/things/${ns}:t/attributes/room`, { auth: viewerAuth })).json()).toBe('hall');
    expect((await http(gateway, 'GET', `/api/2/things/${ns}:t/policyId`, { auth: viewerAuth })).json()).toEqual({
      status: 404,
      error: 'things:policyId.notfound',
      message: `The policy ID 'policyId' of the Thing with ID '${ns}:t' could not be found or the requester had insufficient permissions to access it.`,
      description: 'Check the path of the requested resource and your permissions.',
    });
  });

  it('answers 404 for the thing or policy itself when a part of a missing one is asked for', async () => {
    const ns = uniqueNamespace();
    const auth = await bearer(uniqueName('owner'));
    expect((await http(gateway, 'GET', `/api/2/things/${ns}:none/attributes`, { auth })).json()).toMatchObject({
      status: 404,
      error: 'things:thing.notfound',
      message: `The Thing with ID '${ns}:none' could not be found or requester had insufficient permissions to access it.`,
    });
    expect((await http(gateway, 'PUT', `/api/2/things/${ns}:none/attributes/a`, { auth, body: '1', headers: json })).json()).toMatchObject({
      status: 404,
      error: 'things:thing.notfound',
    });
    expect((await http(gateway, 'GET', `/api/2/policies/${ns}:none/entries/A`, { auth })).json()).toMatchObject({
      status: 404,
      error: 'policies:policy.notfound',
      message: `The Policy with ID '${ns}:none' could not be found or requester had insufficient permissions to access it.`,
    });
    expect((await http(gateway, 'GET', `/api/2/things/${ns}:none`, { auth })).status).toBe(404);
  });

  it('checks policy parts on policy:/ and thing parts on thing:/ resources', async () => {
    const ns = uniqueNamespace();
    const admin = uniqueName('admin');
    const user = uniqueName('user');
    const adminAuth = await bearer(admin);
    const userAuth = await bearer(user);
    // The admin manages the policy but has no rights on the thing; the user the other way round.
    const policy = {
      entries: {
        ADMIN: { subjects: { [`local:${admin}`]: { type: 't' } }, resources: { 'policy:/': { grant: ['READ', 'WRITE'], revoke: [] } } },
        USER: { subjects: { [`local:${user}`]: { type: 't' } }, resources: { 'thing:/': { grant: ['READ', 'WRITE'], revoke: [] } } },
      },
    };
    expect((await putJson(gateway, `/api/2/policies/${ns}:p`, adminAuth, policy)).status).toBe(201);
    expect((await putJson(gateway, `/api/2/things/${ns}:t`, userAuth, { policyId: `${ns}:p` })).status).toBe(201);

    expect((await http(gateway, 'GET', `/api/2/policies/${ns}:p/entries/USER/subjects`, { auth: adminAuth })).json()).toEqual({
      [`local:${user}`]: { type: 't' },
    });
    const added = await http(gateway, 'PUT', `/api/2/policies/${ns}:p/entries/USER/subjects/local:helper`, {
      auth: adminAuth,
      body: '{"type":"t"}',
      headers: json,
    });
    expect(added.status).toBe(201);
    expect((await http(gateway, 'GET', `/api/2/policies/${ns}:p/entries/USER/subjects`, { auth: userAuth })).json()).toMatchObject({
      status: 404,
      error: 'policies:policy.notfound',
    });

    expect((await http(gateway, 'PUT', `/api/2/things/${ns}:t/attributes/a`, { auth: userAuth, body: '1', headers: json })).status).toBe(201);
    expect((await http(gateway, 'GET', `/api/2/things/${ns}:t/attributes`, { auth: userAuth })).json()).toEqual({ a: 1 });
    expect((await http(gateway, 'GET', `/api/2/things/${ns}:t/attributes`, { auth: adminAuth })).json()).toMatchObject({
      status: 404,
      error: 'things:thing.notfound',
    });
  });

  it('lets a subject with rights on one policy entry manage that entry only; the others do not exist for it', async () => {
    const ns = uniqueNamespace();
    const owner = uniqueName('owner');
    const deviceAdmin = uniqueName('devadmin');
    const auth = await bearer(owner);
    const devices = {
      subjects: { [`local:${deviceAdmin}`]: { type: 't' } },
      resources: { 'policy:/entries/DEVICES': { grant: ['READ', 'WRITE'], revoke: [] }, 'message:/': { grant: ['WRITE'], revoke: [] } },
    };
    const policy = ownerPolicy(`local:${owner}`, { DEVICES: devices });
    expect((await putJson(gateway, `/api/2/policies/${ns}:p`, auth, policy)).status).toBe(201);
    const base = `/api/2/policies/${ns}:p/entries`;
    const devAuth = await bearer(deviceAdmin);
    expect((await http(gateway, 'GET', `${base}/DEVICES/resources`, { auth: devAuth })).json()).toEqual(devices.resources);
    expect((await http(gateway, 'PUT', `${base}/DEVICES/subjects/local:sensor`, { auth: devAuth, body: '{"type":"device"}', headers: json })).status).toBe(201);
    expect((await http(gateway, 'GET', `${base}/OWNER`, { auth: devAuth })).json()).toMatchObject({ status: 404, error: 'policies:entry.notfound' });
    expect((await http(gateway, 'GET', `${base}/OWNER/subjects`, { auth: devAuth })).json()).toMatchObject({
      status: 404,
      error: 'policies:subjects.notfound',
    });
    const intrude = await http(gateway, 'PUT', `${base}/OWNER/subjects/local:sensor`, { auth: devAuth, body: '{"type":"device"}', headers: json });
    expect(intrude.json()).toMatchObject({ status: 404, error: 'policies:subject.notfound' });
    expect(Object.keys((await http(gateway, 'GET', `${base}/OWNER/subjects`, { auth })).json() as object)).toEqual([`local:${owner}`]);
    expect(Object.keys((await http(gateway, 'GET', `${base}/DEVICES/subjects`, { auth })).json() as object).sort()).toEqual(
      [`local:${deviceAdmin}`, 'local:sensor'].sort(),
    );
  });

  it('adds a new policy entry (201), but neither changes nor deletes subjects or resources of an entry that does not exist (404 policies:entry.notfound)', async () => {
    const ns = uniqueNamespace();
    const owner = uniqueName('owner');
    const auth = await bearer(owner);
    expect((await putJson(gateway, `/api/2/policies/${ns}:p`, auth, ownerPolicy(`local:${owner}`))).status).toBe(201);
    const base = `/api/2/policies/${ns}:p/entries`;
    const entry = { subjects: { 'local:d': { type: 'device' } }, resources: { 'message:/': { grant: ['WRITE'], revoke: [] } } };
    const created = await http(gateway, 'PUT', `${base}/NEW`, { auth, body: JSON.stringify(entry), headers: json });
    expect(created.status).toBe(201);
    expect(created.json()).toEqual(entry);
    for (const [method, path, body, pointer] of [
      ['PUT', '/NOPE/subjects/local:d', '{"type":"device"}', 'entries/NOPE/subjects/local:d'],
      ['PUT', '/NOPE/resources/message:%2F', '{"grant":["WRITE"],"revoke":[]}', 'entries/NOPE/resources/message:/'],
      ['PUT', '/NOPE/subjects', '{"local:d":{"type":"device"}}', 'entries/NOPE/subjects'],
      ['DELETE', '/NOPE/subjects', undefined, 'entries/NOPE/subjects'],
      ['DELETE', '/NOPE/resources/message:%2F', undefined, 'entries/NOPE/resources/message:/'],
    ] as const) {
      const res = await http(gateway, method, `${base}${path}`, { auth, ...(body === undefined ? {} : { body, headers: json }) });
      expect({ method, path, body: res.json() }).toEqual({
        method,
        path,
        body: {
          status: 404,
          error: 'policies:entry.notfound',
          message: `The policy entry '${pointer}' of the Policy with ID '${ns}:p' could not be found or the requester had insufficient permissions to access it.`,
          description: 'Check the path of the requested resource and your permissions.',
        },
      });
    }
    expect(Object.keys((await http(gateway, 'GET', base, { auth })).json() as object).sort()).toEqual(['NEW', 'OWNER']);
  });

  it('answers a GET of a part with 304 when If-None-Match names its current revision', async () => {
    const ns = uniqueNamespace();
    const owner = uniqueName('owner');
    const auth = await bearer(owner);
    expect((await putJson(gateway, `/api/2/things/${ns}:t`, auth, { attributes: { a: 1 } })).status).toBe(201);
    for (const path of [`/api/2/things/${ns}:t/attributes`, `/api/2/policies/${ns}:t/entries/DEFAULT`]) {
      const read = await http(gateway, 'GET', path, { auth });
      expect(read.status).toBe(200);
      const etag = read.headers.get('etag')!;
      const again = await http(gateway, 'GET', path, { auth, headers: { 'if-none-match': etag } });
      expect({ path, status: again.status, etag: again.headers.get('etag') }).toEqual({ path, status: 304, etag });
    }
  });

  it('moves a thing to another policy through its policyId (204) only where the caller may WRITE the thing', async () => {
    const ns = uniqueNamespace();
    const owner = uniqueName('owner');
    const auth = await bearer(owner);
    expect((await putJson(gateway, `/api/2/things/${ns}:t`, auth, {})).status).toBe(201);
    expect((await putJson(gateway, `/api/2/policies/${ns}:mine`, auth, ownerPolicy(`local:${owner}`))).status).toBe(201);
    const foreign = {
      entries: {
        ADMIN: { subjects: { 'local:someone-else': { type: 't' } }, resources: { 'policy:/': { grant: ['READ', 'WRITE'], revoke: [] } } },
        GUEST: { subjects: { [`local:${owner}`]: { type: 't' } }, resources: { 'thing:/': { grant: ['READ'], revoke: [] } } },
      },
    };
    expect((await putJson(gateway, `/api/2/policies/${ns}:foreign`, await bearer('someone-else'), foreign)).status).toBe(201);
    const path = `/api/2/things/${ns}:t/policyId`;
    expect((await http(gateway, 'PUT', path, { auth, body: JSON.stringify(`${ns}:foreign`), headers: json })).json()).toMatchObject({
      status: 403,
      error: 'things:thing.notmodifiable',
    });
    expect((await http(gateway, 'GET', path, { auth })).json()).toBe(`${ns}:t`);
    const moved = await http(gateway, 'PUT', path, { auth, body: JSON.stringify(`${ns}:mine`), headers: json });
    expect(moved.status).toBe(204);
    expect((await http(gateway, 'GET', path, { auth })).json()).toBe(`${ns}:mine`);
  });

  it('gives up with 412 after bounded retries when its change keeps losing the race on the revision', async () => {
    const ns = uniqueNamespace();
    const owner = uniqueName('owner');
    const auth = await bearer(owner);
    expect((await putJson(gateway, `/api/2/things/${ns}:t`, auth, {})).status).toBe(201);
    // A stored item without a revision never matches the revision a change is conditioned on: every write conflicts.
    const removeRevision = (table: 'things' | 'policies', key: Record<string, string>) =>
      ddb().send(new UpdateCommand({ TableName: tableName(table), Key: key, UpdateExpression: 'REMOVE revision' }));
    await removeRevision('things', { thingId: `${ns}:t` });
    await removeRevision('policies', { policyId: `${ns}:t` });
    expect((await http(gateway, 'PUT', `/api/2/things/${ns}:t/attributes/a`, { auth, body: '1', headers: json })).json()).toEqual({
      status: 412,
      error: 'things:precondition.failed',
      message: `The Thing with ID '${ns}:t' was modified concurrently.`,
      description: 'Read the Thing again and retry your change.',
    });
    expect(
      (
        await http(gateway, 'PUT', `/api/2/policies/${ns}:t/entries/X`, { auth, body: JSON.stringify(ownerPolicy('local:x').entries.OWNER), headers: json })
      ).json(),
    ).toMatchObject({
      status: 412,
      error: 'policies:precondition.failed',
      message: `The Policy with ID '${ns}:t' was modified concurrently.`,
    });
  });
});

describe('whole things and policies: what is accepted, what is refused and why', () => {
  const longKey = 'k'.repeat(150);

  it.each([
    ['a non-object body', [1], 'A thing must be a JSON object.'],
    ['an unknown field', { colour: 'red' }, "Unknown field 'colour'."],
    ['an unknown field with a long name (quoted shortened)', { [longKey]: 1 }, `Unknown field '${'k'.repeat(100)}'.`],
    ['a body id that differs', { thingId: 'ns:other' }, "The thingId in the body does not match the one in the URL ('ns:ok')."],
    ['a policyId that is not a string', { policyId: 7 }, "The 'policyId' must be a string."],
    ['attributes that are not an object', { attributes: [1] }, "The 'attributes' must be a JSON object."],
    ['features that are not an object', { features: 'on' }, "The 'features' must be a JSON object."],
  ])('rejects a thing with %s, saying why (400 things:thing.invalid)', async (_n, body, description) => {
    const res = await putJson(gateway, '/api/2/things/ns:ok', basic('ditto', 'ditto'), body);
    expect(res.json()).toEqual({ status: 400, error: 'things:thing.invalid', message: 'The Thing is not valid.', description });
  });

  it("rejects a thing larger than Ditto's 100 kB limit (413 things:thing.toolarge) and stores nothing", async () => {
    const ns = uniqueNamespace();
    const auth = await bearer(uniqueName('owner'));
    const res = await putJson(gateway, `/api/2/things/${ns}:big`, auth, { attributes: { blob: 'x'.repeat(100 * 1024) } });
    expect(res.json()).toMatchObject({ status: 413, error: 'things:thing.toolarge' });
    expect((await http(gateway, 'GET', `/api/2/things/${ns}:big`, { auth })).status).toBe(404);
  });

  it("accepts Ditto's thing fields: its own thingId and a definition", async () => {
    const ns = uniqueNamespace();
    const auth = await bearer(uniqueName('owner'));
    const res = await putJson(gateway, `/api/2/things/${ns}:t`, auth, { thingId: `${ns}:t`, definition: 'com.acme:lamp:1.0.0', attributes: { a: 1 } });
    expect(res.status).toBe(201);
    expect(res.json()).toMatchObject({ thingId: `${ns}:t`, attributes: { a: 1 } });
  });

  it('returns all of a thing that has attributes and features', async () => {
    const ns = uniqueNamespace();
    const auth = await bearer(uniqueName('owner'));
    const thing = { thingId: `${ns}:t`, policyId: `${ns}:t`, attributes: { a: 1 }, features: { f: { properties: { on: true } } } };
    expect((await putJson(gateway, `/api/2/things/${ns}:t`, auth, { attributes: thing.attributes, features: thing.features })).json()).toEqual(thing);
    expect((await http(gateway, 'GET', `/api/2/things/${ns}:t`, { auth })).json()).toEqual(thing);
  });

  it("refuses an inline _policy on an existing thing, pointing to the policy's own resource", async () => {
    const ns = uniqueNamespace();
    const owner = uniqueName('owner');
    const auth = await bearer(owner);
    expect((await putJson(gateway, `/api/2/things/${ns}:t`, auth, {})).status).toBe(201);
    expect((await putJson(gateway, `/api/2/things/${ns}:t`, auth, { _policy: ownerPolicy(`local:${owner}`) })).json()).toEqual({
      status: 400,
      error: 'things:thing.invalid',
      message: 'The Thing is not valid.',
      description: "'_policy' creates a thing's policy and is only accepted when the thing is created; change the policy at /api/2/policies/{policyId}.",
    });
  });

  it('moves a thing to another policy by replacing it only when that policy exists and lets the caller WRITE the thing', async () => {
    const ns = uniqueNamespace();
    const owner = uniqueName('owner');
    const auth = await bearer(owner);
    expect((await putJson(gateway, `/api/2/things/${ns}:t`, auth, { attributes: { a: 1 } })).status).toBe(201);
    const foreign = {
      entries: {
        ADMIN: { subjects: { 'local:someone-else': { type: 't' } }, resources: { 'policy:/': { grant: ['READ', 'WRITE'], revoke: [] } } },
        GUEST: { subjects: { [`local:${owner}`]: { type: 't' } }, resources: { 'thing:/': { grant: ['READ'], revoke: [] } } },
      },
    };
    expect((await putJson(gateway, `/api/2/policies/${ns}:foreign`, await bearer('someone-else'), foreign)).status).toBe(201);
    expect((await putJson(gateway, `/api/2/policies/${ns}:mine`, auth, ownerPolicy(`local:${owner}`))).status).toBe(201);
    const path = `/api/2/things/${ns}:t`;
    expect((await putJson(gateway, path, auth, { policyId: `${ns}:missing` })).json()).toEqual({
      status: 400,
      error: 'things:thing.invalid',
      message: 'The Thing is not valid.',
      description: `The policy '${ns}:missing' does not exist.`,
    });
    expect((await putJson(gateway, path, auth, { policyId: `${ns}:foreign` })).json()).toMatchObject({ status: 403, error: 'things:thing.notmodifiable' });
    expect((await http(gateway, 'GET', path, { auth })).json()).toEqual({ thingId: `${ns}:t`, policyId: `${ns}:t`, attributes: { a: 1 } });
    expect((await putJson(gateway, path, auth, { policyId: `${ns}:mine` })).status).toBe(204);
    expect((await http(gateway, 'GET', path, { auth })).json()).toEqual({ thingId: `${ns}:t`, policyId: `${ns}:mine` });
  });

  it('creates a thing under a named policy only where the caller may WRITE things, and never adopts a taken id for an inline policy', async () => {
    const ns = uniqueNamespace();
    const owner = uniqueName('owner');
    const auth = await bearer(owner);
    const foreign = {
      entries: {
        ADMIN: { subjects: { 'local:someone-else': { type: 't' } }, resources: { 'policy:/': { grant: ['READ', 'WRITE'], revoke: [] } } },
        GUEST: { subjects: { [`local:${owner}`]: { type: 't' } }, resources: { 'thing:/': { grant: ['READ'], revoke: [] } } },
      },
    };
    expect((await putJson(gateway, `/api/2/policies/${ns}:foreign`, await bearer('someone-else'), foreign)).status).toBe(201);
    expect((await putJson(gateway, `/api/2/things/${ns}:a`, auth, { policyId: `${ns}:foreign` })).json()).toMatchObject({
      status: 403,
      error: 'things:thing.notmodifiable',
    });
    expect((await putJson(gateway, `/api/2/policies/${ns}:mine`, auth, ownerPolicy(`local:${owner}`))).status).toBe(201);
    const inline = ownerPolicy(`local:${owner}`);
    expect((await putJson(gateway, `/api/2/things/${ns}:b`, auth, { policyId: `${ns}:mine`, _policy: inline })).json()).toEqual({
      status: 400,
      error: 'things:thing.notcreatable',
      message: `The Thing with ID '${ns}:b' could not be created because creation of its implicit Policy ID '${ns}:mine' failed.`,
      description: "If you want to use an existing Policy, specify it as 'policyId' in the Thing JSON you create.",
    });
    for (const id of ['a', 'b']) expect((await http(gateway, 'GET', `/api/2/things/${ns}:${id}`, { auth })).status).toBe(404);
  });

  it('lets a reader neither delete a thing nor its policy (403 notmodifiable), and hides a policy from a stranger who tries to replace it (404)', async () => {
    const { ns, auth, reader, policy } = await readerSetup();
    expect((await putJson(gateway, `/api/2/things/${ns}:t`, auth, { policyId: `${ns}:p` })).status).toBe(201);
    expect((await http(gateway, 'DELETE', `/api/2/things/${ns}:t`, { auth: reader })).json()).toMatchObject({
      status: 403,
      error: 'things:thing.notmodifiable',
    });
    expect((await http(gateway, 'DELETE', `/api/2/policies/${ns}:p`, { auth: reader })).json()).toMatchObject({
      status: 403,
      error: 'policies:policy.notmodifiable',
    });
    const stranger = await bearer(uniqueName('stranger'));
    expect((await putJson(gateway, `/api/2/policies/${ns}:p`, stranger, ownerPolicy('local:stranger'))).json()).toMatchObject({
      status: 404,
      error: 'policies:policy.notfound',
    });
    expect((await http(gateway, 'GET', `/api/2/things/${ns}:t`, { auth })).status).toBe(200);
    expect((await http(gateway, 'GET', `/api/2/policies/${ns}:p`, { auth })).json()).toEqual({ policyId: `${ns}:p`, ...policy });
  });

  it('answers a GET of a policy with 304 when If-None-Match names its current revision', async () => {
    const ns = uniqueNamespace();
    const owner = uniqueName('owner');
    const auth = await bearer(owner);
    expect((await putJson(gateway, `/api/2/policies/${ns}:p`, auth, ownerPolicy(`local:${owner}`))).status).toBe(201);
    const res = await http(gateway, 'GET', `/api/2/policies/${ns}:p`, { auth, headers: { 'if-none-match': '"rev:1"' } });
    expect([res.status, res.headers.get('etag')]).toEqual([304, '"rev:1"']);
  });
});

describe('racing creations of one thing', () => {
  it('leaves no orphan policy behind for the creations that lost, and never deletes a named policy', async () => {
    const ns = uniqueNamespace();
    const owner = uniqueName('owner');
    const auth = await bearer(owner);
    const inline = ownerPolicy(`local:${owner}`);
    // Each creation brings its own inline policy under its own id; one thing id for all.
    const racers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => putJson(gateway, `/api/2/things/${ns}:t`, auth, { policyId: `${ns}:p${i}`, _policy: inline })),
    );
    const statuses = racers.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    const winner = statuses.indexOf(201);
    expect((await http(gateway, 'GET', `/api/2/things/${ns}:t/policyId`, { auth })).json()).toBe(`${ns}:p${winner}`);
    const policies = await Promise.all(racers.map((_, i) => http(gateway, 'GET', `/api/2/policies/${ns}:p${i}`, { auth })));
    expect(policies.map((p) => p.status)).toEqual(statuses.map((s) => (s === 201 ? 200 : 404)));

    // Creations naming one existing policy: the losers must not take that policy with them.
    expect((await putJson(gateway, `/api/2/policies/${ns}:shared`, auth, inline)).status).toBe(201);
    const named = await Promise.all(Array.from({ length: 8 }, () => putJson(gateway, `/api/2/things/${ns}:u`, auth, { policyId: `${ns}:shared` })));
    expect(named.filter((r) => r.status === 201)).toHaveLength(1);
    expect((await http(gateway, 'GET', `/api/2/policies/${ns}:shared`, { auth })).status).toBe(200);
    expect((await http(gateway, 'GET', `/api/2/things/${ns}:u`, { auth })).status).toBe(200);
  });
});
