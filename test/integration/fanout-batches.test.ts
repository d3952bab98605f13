/** Large fan-outs split into batches (SQS on AWS, in-process locally): everyone gets the message exactly once. */
import type { LocalGateway } from '../../local/gateway';
import { bearer, http, Invocations, putJson, startTestGateway, TestClient, uniqueName, uniqueNamespace } from '../support/harness';

let gateway: LocalGateway;
const invocations = new Invocations();
beforeAll(async () => {
  process.env.FANOUT_BATCH_SIZE = '3'; // 11 or 12 recipients (the gone one may still be indexed): 3 posted inline, the rest in three batches
  gateway = await startTestGateway({ onInvoke: invocations.record });
});
afterAll(async () => {
  await gateway.stop();
  delete process.env.FANOUT_BATCH_SIZE;
});

it('delivers to every recipient exactly once across batches, also when one connection is gone', async () => {
  const ns = uniqueNamespace();
  const owner = await bearer(uniqueName('owner'));
  const device = await bearer(uniqueName('device'));
  const deviceSubject = `local:${JSON.parse(Buffer.from(device.split('.')[1]!, 'base64url').toString()).sub}`;
  await putJson(gateway, `/api/2/policies/${ns}:p`, owner, {
    entries: {
      OWNER: {
        subjects: { [`local:${JSON.parse(Buffer.from(owner.split('.')[1]!, 'base64url').toString()).sub}`]: { type: 't' } },
        resources: {
          'policy:/': { grant: ['READ', 'WRITE'], revoke: [] },
          'thing:/': { grant: ['READ', 'WRITE'], revoke: [] },
          'message:/': { grant: ['READ', 'WRITE'], revoke: [] },
        },
      },
      DEVICES: { subjects: { [deviceSubject]: { type: 't' } }, resources: { 'message:/': { grant: ['READ'], revoke: [] } } },
    },
  });
  expect((await putJson(gateway, `/api/2/things/${ns}:t`, owner, { policyId: `${ns}:p` })).status).toBe(201);
  const clients = await Promise.all(Array.from({ length: 12 }, () => TestClient.connect(gateway.wsUrl, { auth: device })));
  await Promise.all(clients.map((c) => c.subscribe()));
  clients[5]!.ws.terminate(); // gone before the message: its index item is stale
  const alive = clients.filter((_, i) => i !== 5);

  const res = await http(gateway, 'POST', `/api/2/things/${ns}:t/outbox/messages/alarm?timeout=0`, {
    auth: owner,
    body: '"fire"',
    headers: { 'content-type': 'application/json' },
  });
  expect(res.status).toBe(202);
  for (const c of alive) expect((await c.nextJson()).value).toBe('fire');
  // Exactly once: when the fan-out invocation (locally one SQS event with the three batches) has ended, nobody has a
  // second copy (a frame still in flight gets 50 ms).
  await invocations.until('fanout', 1);
  expect(await Promise.all(alive.map((c) => c.silentFor(50)))).toEqual(alive.map(() => true));
  await Promise.all(alive.map((c) => c.close()));
});
