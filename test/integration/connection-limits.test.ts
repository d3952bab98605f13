/**
 * Managing connections at their limits: at most MAX_CONNECTIONS exist, an id taken meanwhile is a conflict,
 * concurrent replacements all land, and a host that does not resolve is refused with its reason. This file has
 * tables of its own (test/support/file-tables.ts): every connection in them is one it created.
 */
import crypto from 'node:crypto';
import type { LocalGateway } from '../../local/gateway';
import { MAX_CONNECTIONS } from '../../lambdas/targets/manage';
import { basic, http, putJson, startTestGateway } from '../support/harness';

const DEVOPS = basic('devops', 'foobar');

const connection = (address = 'POST:/x', uri = 'http://127.0.0.1:9') => ({
  connectionType: 'http-push',
  connectionStatus: 'open',
  uri,
  sources: [],
  // A subject no policy names: these connections never receive a message.
  targets: [{ address, topics: ['_/_/things/live/messages'], authorizationContext: ['local:nobody-at-all'] }],
});

let gateway: LocalGateway;
beforeAll(async () => {
  gateway = await startTestGateway();
});
afterAll(() => gateway.stop());

const post = (body: unknown) => http(gateway, 'POST', '/api/2/connections', { auth: DEVOPS, body: JSON.stringify(body) });
const ids = async () => (await http(gateway, 'GET', '/api/2/connections?ids-only=true', { auth: DEVOPS })).json() as string[];
const description = (res: { json: () => unknown }) => (res.json() as { description: string }).description;

it('refuses a uri whose host does not resolve, naming the resolver error', async () => {
  const res = await post(connection('POST:/x', 'http://no-such-host.invalid:80'));
  expect(res.status).toBe(400);
  expect(res.json()).toMatchObject({ error: 'connectivity:connection.configuration.invalid' });
  expect(description(res)).toMatch(/^The host of the uri could not be resolved \((ENOTFOUND|EAI_AGAIN)\): it is checked before the connection is saved\.$/);
});

it('answers a POST whose generated id was taken meanwhile with the connection conflict error', async () => {
  const taken = crypto.randomUUID();
  // The id generator is node's: both POSTs draw the same id, as two containers would in a (practically impossible) collision.
  const spy = jest.spyOn(crypto, 'randomUUID').mockReturnValue(taken);
  try {
    expect((await post(connection())).status).toBe(201);
    const second = await post(connection());
    expect(second.status).toBe(409);
    expect(second.json()).toMatchObject({
      status: 409,
      error: 'connectivity:connection.conflict',
      message: `The Connection with ID '${taken}' already exists.`,
    });
  } finally {
    spy.mockRestore();
  }
  expect((await http(gateway, 'DELETE', `/api/2/connections/${taken}`, { auth: DEVOPS })).status).toBe(204);
});

it('lands every one of concurrent replacements of a connection (each reads again after a revision conflict)', async () => {
  const id = 'concurrent-replacements';
  expect((await putJson(gateway, `/api/2/connections/${id}`, DEVOPS, { ...connection(), id })).status).toBe(201);
  const addresses = Array.from({ length: 5 }, (_, i) => `POST:/replacement/${i}`);
  const results = await Promise.all(addresses.map((a) => putJson(gateway, `/api/2/connections/${id}`, DEVOPS, { ...connection(a), id })));
  expect(results.map((r) => r.status)).toEqual([204, 204, 204, 204, 204]);
  const stored = (await http(gateway, 'GET', `/api/2/connections/${id}`, { auth: DEVOPS })).json() as { targets: { address: string }[] };
  expect(addresses).toContain(stored.targets[0]!.address);
  expect((await http(gateway, 'DELETE', `/api/2/connections/${id}`, { auth: DEVOPS })).status).toBe(204);
});

it(`accepts the ${MAX_CONNECTIONS}th connection and refuses one more (POST or PUT of a new id), but replaces one at the limit`, async () => {
  expect(MAX_CONNECTIONS).toBe(100);
  const existing = (await ids()).length;
  for (let i = existing; i < MAX_CONNECTIONS - 1; i++) expect((await post(connection())).status).toBe(201);
  expect(await ids()).toHaveLength(MAX_CONNECTIONS - 1);
  // The 100th, by PUT of a new id.
  expect((await putJson(gateway, '/api/2/connections/the-last-one', DEVOPS, { ...connection(), id: 'the-last-one' })).status).toBe(201);
  expect(await ids()).toHaveLength(MAX_CONNECTIONS);

  const refusal = { status: 400, error: 'connectivity:connection.configuration.invalid', description: 'At most 100 connections can exist; delete one first.' };
  expect((await post(connection())).json()).toMatchObject(refusal);
  expect((await putJson(gateway, '/api/2/connections/one-too-many', DEVOPS, { ...connection(), id: 'one-too-many' })).json()).toMatchObject(refusal);
  expect(await ids()).toHaveLength(MAX_CONNECTIONS);

  // A replacement adds none.
  expect((await putJson(gateway, '/api/2/connections/the-last-one', DEVOPS, { ...connection('POST:/y'), id: 'the-last-one' })).status).toBe(204);
  // Room again after a delete.
  expect((await http(gateway, 'DELETE', '/api/2/connections/the-last-one', { auth: DEVOPS })).status).toBe(204);
  expect((await putJson(gateway, '/api/2/connections/one-too-many', DEVOPS, { ...connection(), id: 'one-too-many' })).status).toBe(201);
});
