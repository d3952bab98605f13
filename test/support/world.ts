/** A thing with a policy, its owner and users with chosen grants; message and responder helpers. */
import type { LocalGateway } from '../../local/gateway';
import { bearer, putJson, TestClient, uniqueName, uniqueNamespace } from './harness';

export type Grants = Record<string, { grant?: string[]; revoke?: string[] }>;
export interface World {
  ns: string;
  thingId: string;
  owner: string;
  ownerAuth: string;
  topic: (subject: string) => string;
  user: (name: string) => Promise<{ subject: string; auth: string; ws: () => Promise<TestClient> }>;
}

/** A thing whose policy gives `owner` everything and each extra subject the listed message resources. */
export const worldOn =
  (gatewayOf: () => LocalGateway) =>
  async (extra: Record<string, Grants> = {}, attributes: Record<string, unknown> = {}): Promise<World> => {
    const gateway = gatewayOf();
    const ns = uniqueNamespace();
    const thingId = `${ns}:device`;
    const owner = uniqueName('owner');
    const ownerAuth = await bearer(owner);
    const names: Record<string, string> = {};
    for (const key of Object.keys(extra)) names[key] = uniqueName(key);
    const entries: Record<string, unknown> = {
      OWNER: {
        subjects: { [`local:${owner}`]: { type: 't' } },
        resources: {
          'policy:/': { grant: ['READ', 'WRITE'], revoke: [] },
          'thing:/': { grant: ['READ', 'WRITE'], revoke: [] },
          'message:/': { grant: ['READ', 'WRITE'], revoke: [] },
        },
      },
    };
    for (const [key, grants] of Object.entries(extra)) {
      entries[key] = {
        subjects: { [`local:${names[key]}`]: { type: 't' } },
        resources: Object.fromEntries(Object.entries(grants).map(([r, g]) => [r, { grant: g.grant ?? [], revoke: g.revoke ?? [] }])),
      };
    }
    expect((await putJson(gateway, `/api/2/policies/${ns}:policy`, ownerAuth, { entries })).status).toBe(201);
    expect((await putJson(gateway, `/api/2/things/${thingId}`, ownerAuth, { policyId: `${ns}:policy`, attributes })).status).toBe(201);
    return {
      ns,
      thingId,
      owner,
      ownerAuth,
      topic: (subject) => `${ns}/device/things/live/messages/${subject}`,
      user: async (key) => {
        const name = key === 'owner' ? owner : names[key]!;
        const auth = await bearer(name);
        return { subject: `local:${name}`, auth, ws: () => TestClient.connect(gateway.wsUrl, { auth }) };
      },
    };
  };

export const message = (
  w: World,
  subject: string,
  headers: Record<string, unknown> = {},
  value: unknown = { on: true },
  path = `/inbox/messages/${subject}`,
) => ({
  topic: w.topic(subject),
  path,
  headers: { 'content-type': 'application/json', ...headers },
  value,
});

/** A device that answers every message it gets with `status` and an echo of the value. */
export function autoRespond(device: TestClient, status = 200, extra: (m: Record<string, any>) => unknown = (m) => ({ echo: m.value })) {
  device.ws.on('message', (data) => {
    const text = data.toString();
    if (!text.startsWith('{')) return;
    const m = JSON.parse(text) as Record<string, any>;
    if (m.status !== undefined || !String(m.topic).includes('/messages/')) return;
    device.send({
      topic: m.topic,
      path: m.path,
      headers: { 'correlation-id': m.headers['correlation-id'], 'content-type': 'application/json' },
      value: extra(m),
      status,
    });
  });
}
