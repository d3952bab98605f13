/** API Gateway throttles @connections calls (429 LimitExceededException): fan-out retries within the invocation. */
import type { LocalGateway } from '../../local/gateway';
import { bearer, http, putJson, startTestGateway, TestClient, uniqueName, uniqueNamespace } from '../support/harness';

let gateway: LocalGateway;
beforeAll(async () => {
  // 200 posts/s with a burst of 5: a fan-out to 30 recipients is throttled almost at once.
  gateway = await startTestGateway({ connectionsThrottle: { rate: 200, burst: 5 } });
});
afterAll(async () => gateway.stop());

it('delivers every message of a throttled fan-out (jittered retries within the remaining time)', async () => {
  const name = uniqueName();
  const auth = await bearer(name);
  const thingId = `${uniqueNamespace()}:t`;
  expect((await putJson(gateway, `/api/2/things/${thingId}`, auth, {})).status).toBe(201);
  const clients = await Promise.all(Array.from({ length: 30 }, () => TestClient.connect(gateway.wsUrl, { auth })));
  for (const c of clients) await c.subscribe();
  const res = await http(gateway, 'POST', `/api/2/things/${thingId}/inbox/messages/wake?timeout=0`, {
    auth,
    body: '1',
    headers: { 'content-type': 'application/json' },
  });
  expect(res.status).toBe(202);
  const got = await Promise.all(clients.map((c) => c.nextJson(8000)));
  expect(got.every((m) => m.path === '/inbox/messages/wake')).toBe(true);
  await Promise.all(clients.map((c) => c.close()));
});
