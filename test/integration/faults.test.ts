/**
 * Faults: DynamoDB going away and coming back during traffic, and a handler failing unexpectedly.
 * This file runs its own DynamoDB Local (persisted to a temp folder) so it can stop and restart it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resetConfig } from '../../lambdas/config';
import { TABLES, type TableKey } from '../../lambdas/store/schema';
import { createTables, type LocalDynamo, startDynamoDbLocal } from '../../local/dynamodb';
import { type LocalGateway, startGateway } from '../../local/gateway';
import { freePort } from '../../local/ports';
import { bearer, http, putJson, sleep, TestClient, uniqueName, uniqueNamespace } from '../support/harness';

let dynamo: LocalDynamo;
let gateway: LocalGateway;
let dbPath: string;
let port: number;
const names = Object.fromEntries((Object.keys(TABLES) as TableKey[]).map((k) => [k, `faults-${k}`])) as Record<TableKey, string>;

beforeAll(async () => {
  dbPath = mkdtempSync(join(tmpdir(), 'faults-ddb-'));
  port = await freePort();
  dynamo = await startDynamoDbLocal({ port, dbPath });
  await createTables(dynamo.endpoint, names);
  for (const k of Object.keys(TABLES) as TableKey[]) process.env[TABLES[k].envName] = names[k];
  gateway = await startGateway({ port: 0, dynamodbEndpoint: dynamo.endpoint });
}, 60_000);
afterAll(async () => {
  await gateway.stop();
  await dynamo.stop();
  rmSync(dbPath, { recursive: true, force: true });
});

describe('DynamoDB outage', () => {
  it('answers 503 while DynamoDB is down and recovers without a restart', async () => {
    const ns = uniqueNamespace();
    const owner = await bearer(uniqueName('owner'));
    expect((await putJson(gateway, `/api/2/things/${ns}:t`, owner, {})).status).toBe(201);
    const client = await TestClient.connect(gateway.wsUrl, { auth: owner });
    await client.subscribe();
    await sleep(2100); // let the thing cache expire so requests must reach DynamoDB

    await dynamo.stop();
    const started = Date.now();
    const down = await http(gateway, 'POST', `/api/2/things/${ns}:t/inbox/messages/x?timeout=0`, { auth: owner, body: 'x' });
    expect(down.status).toBe(503);
    expect(down.json()).toMatchObject({ status: 503, error: 'gateway:service.unavailable' });
    expect(Date.now() - started).toBeLessThan(10_000);
    client.send({ topic: `${ns}/t/things/live/messages/x`, path: '/inbox/messages/x', headers: { 'correlation-id': 'during-outage' }, value: 1 });
    expect(await client.nextJson(15_000)).toMatchObject({
      status: 503,
      headers: { 'correlation-id': 'during-outage' },
      value: { error: 'gateway:service.unavailable' },
    });
    client.send('START-SEND-MESSAGES');
    expect(await client.nextJson(15_000)).toMatchObject({ status: 503 });

    dynamo = await startDynamoDbLocal({ port, dbPath });
    const up = await http(gateway, 'POST', `/api/2/things/${ns}:t/inbox/messages/x?timeout=0`, {
      auth: owner,
      body: '"back"',
      headers: { 'content-type': 'application/json' },
    });
    expect(up.status).toBe(202);
    expect(await client.nextJson()).toMatchObject({ value: 'back' }); // the subscription survived in the persisted table
    await client.close();
  }, 60_000);
});

describe('unexpected handler errors', () => {
  it('logs the error with the correlation-id, answers a 500 error envelope and keeps serving', async () => {
    const ns = uniqueNamespace();
    const owner = await bearer(uniqueName('owner'));
    expect((await putJson(gateway, `/api/2/things/${ns}:t`, owner, {})).status).toBe(201);
    const client = await TestClient.connect(gateway.wsUrl, { auth: owner });
    const errors: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => errors.push(args.map(String).join(' '));
    // A misconfiguration the code cannot anticipate: the correlations table is missing.
    const table = process.env.CORRELATIONS_TABLE;
    process.env.CORRELATIONS_TABLE = 'table-that-does-not-exist';
    resetConfig();
    try {
      client.send({ topic: `${ns}/t/things/live/messages/x`, path: '/inbox/messages/x', headers: { 'correlation-id': 'will-fail' }, value: 1 });
      expect(await client.nextJson()).toMatchObject({
        status: 500,
        headers: { 'correlation-id': 'will-fail' },
        value: { status: 500, error: 'gateway:internalerror' },
      });
      expect(errors.some((e) => e.includes('will-fail') && e.includes('unhandled error'))).toBe(true);
    } finally {
      console.error = original;
      process.env.CORRELATIONS_TABLE = table;
      resetConfig();
    }
    // Still serving, on the same connection.
    client.send({ topic: `${ns}/t/things/live/messages/x`, path: '/inbox/messages/x', headers: { 'response-required': false }, value: 1 });
    await client.subscribe();
    await client.close();
  });
});
