/**
 * `npm run bench [-- --quick] [--only a,b]`: latency, fan-out, scaling against a scan-every-connection
 * baseline, DynamoDB work per message, policy amplification, cold start and cost, against the local
 * runtime (DynamoDB Local + the local gateway running the real handlers). Writes bench/results.json
 * and one SVG per scenario; `--only` runs the named scenarios after the warm-up and writes nothing.
 */
import '../local/env'; // first: the local runtime's environment before any handler loads
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BatchWriteCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { getConfig } from '../lambdas/config';
import { compilePolicy, isReader, MAX_POLICY_SUBJECTS } from '../lambdas/core/policy';
import { DEFAULT_TIMEOUT_MS, selectRecipients } from '../lambdas/core/messages';
import { documentClient, nowSeconds } from '../lambdas/store/client';
import { QUERY_CONCURRENCY, SessionsRepository } from '../lambdas/store/sessions';
import { TABLES, type TableKey } from '../lambdas/store/schema';
import { createTables, startDynamoDbLocal } from '../local/dynamodb';
import { type LocalGateway, startGateway } from '../local/gateway';
import { buildLambdas } from '../scripts/build-lambdas';
import { Meter } from './lib/meter';
import { measurePolicyCost } from './lib/policy-cost';
import * as P from './lib/prices';
import { nowMs, progress, round, summarize, table } from './lib/stats';
import { barChart } from './lib/svg';
import { type BenchClient, connect, connectMany, createThing, type Fixture, lastRequestSentAt, respondToAll } from './lib/world';

/** Scenarios in run order; `cost` is computed from dynamodb, fanout and scaling. */
const SCENARIOS: Record<string, (gateway: LocalGateway, dynamoEndpoint: string) => Promise<void> | void> = {
  latency: (g) => latency(g.httpUrl, g.wsUrl),
  dynamodb: (g) => dynamoWork(g.httpUrl, g.wsUrl),
  fanout: (g) => fanOut(g.httpUrl, g.wsUrl),
  scaling: (g, endpoint) => scaling(endpoint, g),
  coldstart: () => coldStart(),
  policy: () => policyCost(),
  amplification: (g) => amplification(g),
  cost: () => cost(),
};
const quick = process.argv.includes('--quick');
const only = parseOnly();
const OUT = __dirname;
const MEMORY_GB = 0.5;
const results: Record<string, unknown> = {
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: round(totalmem() / 2 ** 30, 1), node: process.version },
  mode: quick ? 'quick' : 'full',
  startedAt: new Date().toISOString(),
};
const invocations: Record<string, number[]> = {};
const handlerMs: Record<string, number> = {};
const meter = new Meter();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `--only a,b`: the scenarios to run, or undefined for all of them. */
function parseOnly(): string[] | undefined {
  const i = process.argv.indexOf('--only');
  if (i < 0) return undefined;
  const names = (process.argv[i + 1] ?? '').split(',').filter(Boolean);
  const valid = names.length > 0 && names.every((n) => n in SCENARIOS);
  const costReady = !names.includes('cost') || ['dynamodb', 'fanout', 'scaling'].every((n) => names.includes(n));
  if (valid && costReady) return names;
  console.error(`--only takes a comma-separated list of: ${Object.keys(SCENARIOS).join(', ')} (cost also needs dynamodb,fanout,scaling)`);
  process.exit(2);
}

/** Writes a result file, except in --only mode: a partial run must not replace the full results. */
function save(file: string, text: string): void {
  if (!only) writeFileSync(join(OUT, file), text);
}

async function main(): Promise<void> {
  const t0 = Date.now();
  console.log(
    `Benchmark (${quick ? 'quick' : 'full'}${only ? `, only ${only.join(', ')}` : ''}) on ${cpus().length} cores, ${results.machine && (results.machine as { cpuModel?: string }).cpuModel}`,
  );
  const dynamo = await startDynamoDbLocal();
  const names = Object.fromEntries((Object.keys(TABLES) as TableKey[]).map((k) => [k, `bench-${k}`])) as Record<TableKey, string>;
  for (const k of Object.keys(TABLES) as TableKey[]) process.env[TABLES[k].envName] = names[k];
  await createTables(dynamo.endpoint, names);
  process.env.FANOUT_CONCURRENCY ??= '128';
  const gateway = await startGateway({
    port: 0,
    dynamodbEndpoint: dynamo.endpoint,
    onInvoke: (route, ms) => {
      invocations[route] ??= [];
      invocations[route].push(ms);
    },
  });
  meter.install();
  try {
    await warmUp(gateway.httpUrl, gateway.wsUrl);
    for (const [name, run] of Object.entries(SCENARIOS)) if (!only || only.includes(name)) await run(gateway, dynamo.endpoint);
  } finally {
    await gateway.stop();
    await dynamo.stop();
  }
  results.seconds = Math.round((Date.now() - t0) / 1000);
  save('results.json', `${JSON.stringify(results, null, 2)}\n`);
  console.log(only ? `\nDone in ${results.seconds} s (--only: no files written).` : `\nWrote bench/results.json and bench/*.svg in ${results.seconds} s.`);
}

/** DynamoDB Local runs on a JVM: its first thousand requests are several times slower than the rest. */
async function warmUp(httpUrl: string, wsUrl: string): Promise<void> {
  const fixture = await createThing(httpUrl, `bench.warmup:${randomUUID().slice(0, 8)}`, 'bench-warm');
  const device = await connect(wsUrl, 'bench-warm');
  await device.subscribe();
  respondToAll(device);
  const issuer = await connect(wsUrl, 'bench-warm');
  const n = quick ? 300 : 1500;
  const tick = progress('warming up DynamoDB Local');
  for (let i = 0; i < n; i++) {
    await send(i % 2 === 0 ? 'ws' : 'http', fixture, issuer, httpUrl);
    tick(i + 1, n);
  }
  device.close();
  issuer.close();
}

/** Prints a scenario's table, keeps its rows for results.json and draws its chart. */
function report(key: string, rows: Record<string, unknown>[], file: string, chart: Parameters<typeof barChart>[0]): void {
  console.log(table(rows));
  results[key] = rows;
  save(file, barChart(chart));
}

// 1. Round-trip latency: application -> device -> response.
async function latency(httpUrl: string, wsUrl: string): Promise<void> {
  console.log('\n1. Round-trip latency (application -> device -> response)');
  const fixture = await createThing(httpUrl, `bench.latency:${randomUUID().slice(0, 8)}`, 'bench-app');
  // The device shares the owner's subject (READ); issuers are other, unsubscribed connections of it.
  const owner = await connect(wsUrl, 'bench-app');
  await owner.subscribe();
  respondToAll(owner);

  const perIssuer = quick ? 10 : 100;
  const rows: Record<string, unknown>[] = [];
  for (const transport of ['ws', 'http'] as const) {
    for (const concurrency of [1, 10, 50]) {
      const samples: number[] = [];
      const tick = progress(`${transport} x${concurrency}`);
      const total = perIssuer * concurrency;
      const issuers = transport === 'ws' ? await Promise.all(Array.from({ length: concurrency }, () => connect(wsUrl, 'bench-app'))) : [];
      const start = nowMs();
      await Promise.all(
        Array.from({ length: concurrency }, async (_, i) => {
          for (let n = 0; n < perIssuer; n++) {
            const t = nowMs();
            await send(transport, fixture, issuers[i] ?? owner, httpUrl);
            samples.push(nowMs() - t);
            tick(samples.length, total);
          }
        }),
      );
      const seconds = (nowMs() - start) / 1000;
      for (const c of issuers) c.close();
      const s = summarize(samples);
      rows.push({
        transport: transport === 'ws' ? 'WS->WS' : 'HTTP->WS',
        issuers: concurrency,
        n: s.count,
        p50_ms: round(s.p50),
        p95_ms: round(s.p95),
        p99_ms: round(s.p99),
        per_s: round(s.count / seconds, 0),
      });
    }
  }
  owner.close();
  report('latency', rows, 'latency.svg', {
    title: 'Round trip application -> device -> response (local)',
    categories: rows.map((r) => `${r.transport} x${r.issuers}`),
    series: [
      { name: 'p50 ms', values: rows.map((r) => r.p50_ms as number) },
      { name: 'p95 ms', values: rows.map((r) => r.p95_ms as number) },
      { name: 'p99 ms', values: rows.map((r) => r.p99_ms as number) },
    ],
    unit: 'ms',
  });
}

// 4. DynamoDB work per message and sequential round trips before the first delivery.
async function dynamoWork(httpUrl: string, wsUrl: string): Promise<void> {
  console.log('\n4. DynamoDB work per message');
  const rows: Record<string, unknown>[] = [];
  const device = await connect(wsUrl, 'bench-dyn-app');
  await device.subscribe();
  respondToAll(device);
  const issuer = await connect(wsUrl, 'bench-dyn-app');
  const reps = quick ? 6 : 40;
  for (const k of Object.keys(invocations)) delete invocations[k]; // Lambda time for the cost model: sequential pairs only
  for (const kind of ['cold', 'warm'] as const) {
    for (const transport of ['ws', 'http'] as const) {
      const trips: number[] = [];
      const totals = { ops: 0, rcu: 0, wcu: 0, reads: 0, writes: 0 };
      let pollReads = 0;
      for (let i = 0; i < reps; i++) {
        // cold: a thing this container has never seen (thing and policy not cached)
        const thingId = `bench.dyn:${kind}-${transport}-${i}-${randomUUID().slice(0, 6)}`;
        const fixture = await createThing(httpUrl, thingId, 'bench-dyn-app');
        // cold: a fresh thing id was never read by this container (writes do not fill the read cache)
        if (kind === 'warm') await send(transport, fixture, issuer, httpUrl); // fills the cache
        meter.reset();
        await send(transport, fixture, issuer, httpUrl);
        await sleep(20);
        trips.push(meter.roundTripsBeforeFirstPost());
        const t = meter.totals();
        totals.ops += t.ops;
        totals.rcu += t.rcu;
        totals.wcu += t.wcu;
        totals.reads += (t.byOp.GetItem ?? 0) + (t.byOp.Query ?? 0);
        totals.writes += (t.byOp.PutItem ?? 0) + (t.byOp.UpdateItem ?? 0) + (t.byOp.BatchWriteItem ?? 0) + (t.byOp.DeleteItem ?? 0);
        // GetItems beyond the thing and policy (cold) are the waiting HTTP request's polls of its correlation
        if (transport === 'http') pollReads += Math.max(0, (t.byOp.GetItem ?? 0) - (kind === 'cold' ? 2 : 0));
      }
      rows.push({
        path: kind,
        transport: transport === 'ws' ? 'WS->WS' : 'HTTP->WS',
        round_trips_before_first_delivery: round(summarize(trips).p50, 0),
        ops_per_pair: round(totals.ops / reps, 1),
        reads: round(totals.reads / reps, 1),
        writes: round(totals.writes / reps, 1),
        rcu: round(totals.rcu / reps, 2),
        wcu: round(totals.wcu / reps, 2),
        ...(transport === 'http' ? { polling_reads: round(pollReads / reps, 1) } : { polling_reads: 0 }),
      });
    }
  }
  device.close();
  issuer.close();
  for (const [route, ms] of Object.entries(invocations)) handlerMs[route] = round(summarize(ms).p50);
  console.log(table(rows));
  console.log(
    `  handler time per invocation (p50): ${Object.entries(handlerMs)
      .map(([r, ms]) => `${r} ${ms} ms`)
      .join(', ')}`,
  );
  results.dynamodb = rows;
  results.handlerMs = handlerMs;
  save(
    'dynamodb.svg',
    barChart({
      title: 'DynamoDB work per request/response pair',
      categories: rows.map((r) => `${r.path} ${r.transport}`),
      series: [
        { name: 'sequential round trips', values: rows.map((r) => r.round_trips_before_first_delivery as number) },
        { name: 'operations', values: rows.map((r) => r.ops_per_pair as number) },
      ],
      unit: 'count',
    }),
  );
}

/** One request/response pair: over the WebSocket issuer, or over HTTP waiting for the device's answer. */
async function send(transport: 'ws' | 'http', fixture: { thingId: string; ownerAuth: string }, issuer: BenchClient, httpUrl: string): Promise<void> {
  const [ns, name] = fixture.thingId.split(':');
  if (transport === 'ws') return issuer.request(`${ns}/${name}/things/live/messages/ping`, '/inbox/messages/ping', 1);
  const res = await fetch(`${httpUrl}/api/2/things/${fixture.thingId}/inbox/messages/ping`, {
    method: 'POST',
    headers: { authorization: fixture.ownerAuth, 'content-type': 'application/json' },
    body: '1',
  });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`HTTP round trip failed: ${res.status}`);
}

// 2. Fan-out: one message to K recipients among M connected, subscribed clients.
async function fanOut(httpUrl: string, wsUrl: string): Promise<void> {
  console.log('\n2. Fan-out: one message to K authorised recipients among M connected clients');
  const ks = quick ? [1, 10, 100] : [1, 10, 100, 1000];
  const rows: Record<string, unknown>[] = [];
  for (const k of ks) {
    // M = 10·K where one local process can hold it: all M clients, the gateway and the handlers share
    // one Node process here, so the largest size is capped at 3,000 connections.
    const m = quick ? Math.min(10 * k, 500) : Math.min(10 * k, 3000);
    const groups = Math.min(k, 100); // K recipients over at most 100 reader subjects
    const run = randomUUID().slice(0, 6);
    const readerSubjects = Array.from({ length: groups }, (_, g) => `bench-r${run}-${g}`);
    const fixture = await createThing(
      httpUrl,
      `bench.fanout:k${k}-${run}`,
      `bench-fan-${run}`,
      readerSubjects.map((s) => `local:${s}`),
    );
    const names = [...Array.from({ length: k }, (_, i) => readerSubjects[i % groups]!), ...Array.from({ length: m - k }, (_, i) => `bench-n${run}-${i}`)];
    const clients = await connectMany(wsUrl, names, 100, progress(`K=${k} connect M=${m}`));
    const recipients = clients.slice(0, k);
    const reps = quick ? 3 : 5;
    const times: number[] = [];
    for (let r = 0; r < reps; r++) {
      let got = 0;
      const start = nowMs();
      const offs: (() => void)[] = [];
      const allIn = new Promise<number>((resolve) => {
        for (const c of recipients)
          offs.push(
            c.onMessage((text) => {
              if (text.includes(`"rep":${r}`) && ++got === k) resolve(nowMs() - start);
            }),
          );
      });
      const res = await fetch(`${httpUrl}/api/2/things/${fixture.thingId}/outbox/messages/alarm?timeout=0`, {
        method: 'POST',
        headers: { authorization: fixture.ownerAuth, 'content-type': 'application/json' },
        body: JSON.stringify({ rep: r }),
      });
      if (res.status !== 202) throw new Error(`fan-out send failed: ${res.status}`);
      times.push(await allIn);
      for (const off of offs) off();
    }
    for (const c of clients) c.close();
    await sleep(Math.min(3000, m / 2)); // let $disconnect clean up before the next size
    const s = summarize(times);
    rows.push({ K: k, M: m, last_delivery_p50_ms: round(s.p50), max_ms: round(s.max), deliveries_per_s: round(k / (s.p50 / 1000), 0) });
  }
  report('fanout', rows, 'fanout.svg', {
    title: 'Fan-out: time until the last of K recipients has the message',
    categories: rows.map((r) => `K=${r.K} M=${r.M}`),
    series: [{ name: 'p50 ms', values: rows.map((r) => r.last_delivery_p50_ms as number) }],
    unit: 'ms',
  });
}

/** Lets the earlier scenarios' $disconnect clean-ups finish: they would compete for DynamoDB Local. */
async function settle(gateway: { connectionCount(): number }): Promise<void> {
  for (let i = 0; i < 600 && gateway.connectionCount() > 0; i++) await sleep(100);
  await sleep(2000);
}

// 3. Routing against the common scan-every-connection design (built here only).
async function scaling(dynamoEndpoint: string, gateway: { connectionCount(): number }): Promise<void> {
  console.log('\n3. Routing cost against a scan-every-connection baseline (K = 10 recipients)');
  await settle(gateway);
  const sizes = quick ? [100, 1000] : [100, 1000, 10000];
  const rows: Record<string, unknown>[] = [];
  for (const m of sizes) {
    // Fresh session tables per size, so the scan sees exactly M connections and nothing else.
    const run = randomUUID().slice(0, 6);
    const tables = { ...getConfig().tables, connections: `bench-scale-${run}-connections`, subscriptions: `bench-scale-${run}-subscriptions` };
    await createTables(dynamoEndpoint, tables);
    const sessions = new SessionsRepository(documentClient, { connections: tables.connections, subscriptions: tables.subscriptions });
    const readers = Array.from({ length: 10 }, (_, i) => `local:scale-${run}-r${i}`);
    const enforcer = compilePolicy({
      policyId: 'bench:scale',
      entries: { R: { subjects: Object.fromEntries(readers.map((r) => [r, { type: 'b' }])), resources: { 'message:/': { grant: ['READ'], revoke: [] } } } },
    });
    const resource = 'message:/inbox/messages/x';
    const subjects = [...readers, ...Array.from({ length: m - readers.length }, (_, i) => `local:scale-${run}-n${i}`)];
    const tick = progress(`populate M=${m}`);
    const ttl = nowSeconds() + 3600;
    const items = subjects.map((s, i) => ({ connectionId: `scale-${run}-${i}`, subjects: [s], connectedAt: Date.now(), subscription: {}, ttl }));
    for (let i = 0; i < items.length; i += 25) {
      const batch = items.slice(i, i + 25);
      await Promise.all([
        documentClient().send(new BatchWriteCommand({ RequestItems: { [tables.connections]: batch.map((Item) => ({ PutRequest: { Item } })) } })),
        documentClient().send(
          new BatchWriteCommand({
            RequestItems: {
              [tables.subscriptions]: batch.map((c) => ({
                PutRequest: { Item: { subject: c.subjects[0], connectionId: c.connectionId, subjects: c.subjects, ttl } },
              })),
            },
          }),
        ),
      ]);
      tick(Math.min(i + 25, items.length), items.length);
    }
    const context = { thingId: 'bench:scale', namespace: 'bench', subject: 'x', direction: 'inbox' };
    const reps = 5;
    const measure = async (route: () => Promise<number>) => {
      await route(); // untimed: the first request on a new table is slow in DynamoDB Local
      const times: number[] = [];
      let read = 0;
      let rcu = 0;
      let found = 0;
      for (let r = 0; r < reps; r++) {
        meter.reset();
        const t = nowMs();
        found = await route();
        times.push(nowMs() - t);
        read = meter.totals().items;
        rcu = meter.totals().rcu;
      }
      return { ms: summarize(times).p50, read, rcu, found };
    };
    const ours = await measure(async () => {
      const r = enforcer.readers(resource, 'READ');
      return selectRecipients(await sessions.subscriptionsFor(r.granted), r, context).recipients.length;
    });
    // Baseline: the usual chat-sample design scans every connection and checks each one.
    const baseline = await measure(async () => {
      const r = enforcer.readers(resource, 'READ');
      let found = 0;
      let start: Record<string, unknown> | undefined;
      do {
        const page = await documentClient().send(new ScanCommand({ TableName: tables.connections, ...(start ? { ExclusiveStartKey: start } : {}) }));
        for (const c of (page.Items ?? []) as { subjects: string[]; subscription?: unknown; connectionId: string }[]) {
          if (c.subscription && isReader(r, c.subjects)) found++;
        }
        start = page.LastEvaluatedKey;
      } while (start);
      return found;
    });
    if (ours.found !== 10 || baseline.found !== 10) throw new Error(`routing found ${ours.found} / baseline ${baseline.found}, expected 10`);
    rows.push({
      M: m,
      ours_ms: round(ours.ms),
      baseline_ms: round(baseline.ms),
      time_ratio: round(baseline.ms / ours.ms, 1),
      ours_items_read: ours.read,
      baseline_items_read: baseline.read,
      items_ratio: round(baseline.read / Math.max(1, ours.read), 1),
      ours_rcu: round(ours.rcu, 1),
      baseline_rcu: round(baseline.rcu, 1),
    });
  }
  report('scaling', rows, 'scaling.svg', {
    title: 'Routing one message to K=10 among M connections',
    categories: rows.map((r) => `M=${r.M}`),
    series: [
      { name: 'index query (ms)', values: rows.map((r) => r.ours_ms as number) },
      { name: 'scan baseline (ms)', values: rows.map((r) => r.baseline_ms as number) },
      { name: 'index items read', values: rows.map((r) => r.ours_items_read as number) },
      { name: 'scan items read', values: rows.map((r) => r.baseline_items_read as number) },
    ],
    unit: 'ms / items',
    log: true,
  });
}

// 7. Policy amplification: the most routing work one policy may impose, and what it costs other users.
async function amplification(gateway: LocalGateway): Promise<void> {
  console.log(`\n7. Policy amplification: ${MAX_POLICY_SUBJECTS} reader subjects (the bound), ${QUERY_CONCURRENCY} index queries in flight`);
  await settle(gateway);
  // Earlier WebSocket requests' timeout checks (DEFAULT_TIMEOUT_MS after each) would share DynamoDB Local.
  await sleep(Math.max(0, lastRequestSentAt() + DEFAULT_TIMEOUT_MS + 500 - Date.now()));
  const { httpUrl, wsUrl } = gateway;
  const run = randomUUID().slice(0, 6);
  // The bound exactly: the owner (admin and sender, also a reader) plus 511 readers, one of them
  // connected; every other query finds nothing, the worst case for work per recipient.
  const subscriberName = `bench-amp${run}-sub`;
  const readers = [subscriberName, ...Array.from({ length: MAX_POLICY_SUBJECTS - 2 }, (_, i) => `bench-amp${run}-${i}`)];
  const worst = await createThing(
    httpUrl,
    `bench.amp:worst-${run}`,
    `bench-amp${run}-owner`,
    readers.map((r) => `local:${r}`),
  );
  const other = await createThing(httpUrl, `bench.amp:other-${run}`, `bench-amp${run}-other`); // 1 subject
  const subscriber = await connect(wsUrl, subscriberName);
  await subscriber.subscribe();
  let received = 0;
  subscriber.onMessage((text) => {
    if (text.includes(`worst-${run}`)) received++;
  });

  const reps = quick ? 8 : 20;
  const samples = quick ? 15 : 50;
  const worstAlone = await isolatedSends(httpUrl, worst, reps);
  const otherAlone = await isolatedSends(httpUrl, other, samples);
  const sender = `${MAX_POLICY_SUBJECTS}-subject sender`;
  const rows = [amplificationRow(sender, 'alone', worstAlone), amplificationRow('other user', 'alone', otherAlone)];
  let worstSent = 1 + reps;
  for (const streams of quick ? [1] : [1, 4]) {
    const during = await sendsUnderLoad(httpUrl, other, samples, () => fireAndForget(httpUrl, worst), streams);
    worstSent += during.load.times.length;
    const load = `during ${streams} stream${streams > 1 ? 's' : ''}`;
    rows.push(amplificationRow(sender, load, during.load, worstAlone), amplificationRow('other user', load, during.other, otherAlone));
  }
  for (let i = 0; i < 100 && received < worstSent; i++) await sleep(50);
  subscriber.close();
  if (received !== worstSent) throw new Error(`the subscriber got ${received} of ${worstSent} messages`);
  report('amplification', rows, 'amplification.svg', {
    title: `Fire-and-forget send latency: ${MAX_POLICY_SUBJECTS}-subject policy and another user (local)`,
    categories: rows.map((r) => `${r.who} ${r.load}`),
    series: [
      { name: 'p50 ms', values: rows.map((r) => r.p50_ms as number) },
      { name: 'p95 ms', values: rows.map((r) => r.p95_ms as number) },
    ],
    unit: 'ms',
    log: true,
  });
}

interface SendSamples {
  readonly times: readonly number[];
  /** Durations of all DynamoDB queries meanwhile (DynamoDB Local queueing shows here). */
  readonly queryMs: readonly number[];
  /** Event-loop utilisation of this process meanwhile: the gateway and every handler share it locally. */
  readonly busy: number;
  readonly work?: { readonly ops: number; readonly queries: number; readonly peakQueries: number; readonly rcu: number; readonly billedRcu: number };
}

const queryDurations = (): number[] => meter.calls.filter((c) => c.op === 'Query').map((c) => c.end - c.start);

/**
 * Sequential fire-and-forget sends with the DynamoDB work of each; the first (policy load) untimed.
 * DynamoDB Local reports 0 capacity for a query that finds nothing; DynamoDB bills at least 0.5 RRU
 * for any eventually consistent read, so `billedRcu` counts that minimum for each empty query.
 */
async function isolatedSends(httpUrl: string, fixture: Fixture, n: number): Promise<SendSamples> {
  await fireAndForget(httpUrl, fixture);
  const elu = performance.eventLoopUtilization();
  const times: number[] = [];
  const queryMs: number[] = [];
  const work = { ops: 0, queries: 0, peakQueries: 0, rcu: 0, billedRcu: 0 };
  for (let i = 0; i < n; i++) {
    meter.reset();
    times.push(await fireAndForget(httpUrl, fixture));
    const t = meter.totals();
    const empty = meter.calls.filter((c) => c.op === 'Query' && c.rcu === 0).length;
    work.ops += t.ops / n;
    work.queries += (t.byOp.Query ?? 0) / n;
    work.rcu += t.rcu / n;
    work.billedRcu += (t.rcu + 0.5 * empty) / n;
    work.peakQueries = Math.max(work.peakQueries, meter.peakInFlight('Query'));
    queryMs.push(...queryDurations());
  }
  return { times, queryMs, busy: performance.eventLoopUtilization(elu).utilization, work };
}

/** n sequential sends while `streams` loops run `load` back to back. */
async function sendsUnderLoad(
  httpUrl: string,
  fixture: Fixture,
  n: number,
  load: () => Promise<number>,
  streams: number,
): Promise<{ other: SendSamples; load: SendSamples }> {
  meter.reset();
  const elu = performance.eventLoopUtilization();
  let stop = false;
  const loadTimes: number[] = [];
  const loops = Array.from({ length: streams }, async () => {
    while (!stop) loadTimes.push(await load());
  });
  const times: number[] = [];
  try {
    for (let i = 0; i < n; i++) times.push(await fireAndForget(httpUrl, fixture));
  } finally {
    stop = true;
    await Promise.all(loops);
  }
  const shared = { queryMs: queryDurations(), busy: performance.eventLoopUtilization(elu).utilization };
  return { other: { times, ...shared }, load: { times: loadTimes, ...shared } };
}

function amplificationRow(who: string, load: string, s: SendSamples, alone: SendSamples = s): Record<string, unknown> {
  const sum = summarize(s.times);
  const w = s.work;
  return {
    who,
    load,
    sends: sum.count,
    p50_ms: round(sum.p50),
    p95_ms: round(sum.p95),
    p50_vs_alone: round(sum.p50 / summarize(alone.times).p50, 1),
    query_p50_ms: round(summarize(s.queryMs).p50),
    node_busy_pct: round(100 * s.busy, 0),
    ops_per_send: w ? round(w.ops, 1) : '',
    queries_per_send: w ? round(w.queries, 1) : '',
    peak_queries_in_flight: w ? w.peakQueries : '',
    rcu_per_send: w ? round(w.rcu, 1) : '',
    billed_rcu_per_send: w ? round(w.billedRcu, 1) : '',
  };
}

/** One fire-and-forget HTTP send (`?timeout=0`, 202 once routed); returns its latency in ms. */
async function fireAndForget(httpUrl: string, fixture: Fixture): Promise<number> {
  const t = nowMs();
  const res = await fetch(`${httpUrl}/api/2/things/${fixture.thingId}/outbox/messages/amp?timeout=0`, {
    method: 'POST',
    headers: { authorization: fixture.ownerAuth, 'content-type': 'application/json' },
    body: '1',
  });
  await res.arrayBuffer();
  if (res.status !== 202) throw new Error(`fire-and-forget send failed: ${res.status}`);
  return nowMs() - t;
}

// 5. Cold start: bundle sizes and module initialisation in a fresh Node process.
async function coldStart(): Promise<void> {
  console.log('\n5. Cold start: bundle size and module initialisation');
  const bundles = await buildLambdas();
  const rows: Record<string, unknown>[] = [];
  for (const b of bundles) {
    const inits: number[] = [];
    for (let i = 0; i < (quick ? 3 : 7); i++) {
      const script = `const t=process.hrtime.bigint();require(${JSON.stringify(b.file)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
      // As a standard Lambda container: one invocation at a time (no InvokeStore), Powertools not in dev mode.
      const { AWS_LAMBDA_MAX_CONCURRENCY: _concurrency, POWERTOOLS_DEV: _dev, ...env } = process.env;
      const out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
      if (out.status !== 0) throw new Error(`init of ${b.handler} failed: ${out.stderr}`);
      inits.push(Number(out.stdout));
    }
    rows.push({ handler: b.handler, bundle_kib: round(b.bytes / 1024, 1), init_p50_ms: round(summarize(inits).p50, 1) });
  }
  report('coldStart', rows, 'coldstart.svg', {
    title: 'Lambda bundles: size and module initialisation',
    categories: rows.map((r) => String(r.handler)),
    series: [
      { name: 'bundle KiB', values: rows.map((r) => r.bundle_kib as number) },
      { name: 'init ms', values: rows.map((r) => r.init_p50_ms as number) },
    ],
    unit: 'KiB / ms',
  });
}

// Policy evaluation cost (pure, no I/O): a 20-entry policy with 100 subjects.
function policyCost(): void {
  console.log('\nPolicy evaluation (20 entries, 100 subjects, 80 resources)');
  const r = measurePolicyCost(quick ? 50_000 : 300_000);
  console.log(
    table([
      {
        compile_us: r.compileUs,
        may_per_s: r.mayPerSecond,
        readers_cached_per_s: r.readersCachedPerSecond,
        compile_plus_readers_per_s: r.readersUncachedPerSecond,
        isReader_per_s: r.isReaderPerSecond,
      },
    ]),
  );
  results.policy = r;
}

// 6. Cost per million request/response pairs and per million fan-out deliveries.
function cost(): void {
  console.log('\n6. Cost (AWS list prices, us-east-1)');
  const defaultMs = handlerMs.$default ?? 0;
  const httpMs = handlerMs['http-api'] ?? 0;
  const dyn = (results.dynamodb as Record<string, number | string>[]).filter((r) => r.path === 'warm');
  const wsDyn = dyn.find((r) => r.transport === 'WS->WS')!;
  const httpDyn = dyn.find((r) => r.transport === 'HTTP->WS')!;
  const lambdaCost = (ms: number) => (Math.max(1, Math.ceil(ms)) / 1000) * MEMORY_GB * P.LAMBDA_ARM_PER_GB_SECOND;
  const perMillion = (x: number) => x * 1e6;
  const dynamoCost = (r: Record<string, number | string>) =>
    ((r.rcu as number) * P.DYNAMODB_PER_MILLION_RRU) / 1e6 + ((r.wcu as number) * P.DYNAMODB_PER_MILLION_WRU) / 1e6;
  // WS->WS: 2 inbound + 2 outbound messages; 2 ws-default invocations; 1 timeout check. The check's SQS
  // requests as they really fall: one SendMessage, and Lambda's poller receives and deletes in batches
  // of up to 10 (batchSize), so per check 1 + 2/b requests and 1/b ws-timeout invocations, b = checks
  // per batch (1 at low traffic, up to 10 when busy). The empty long polls of the event source mapping
  // (a fixed ~$0.26/month, not per message) are left out.
  const timeoutCheckMs = 5;
  const wsPairWithBatch = (b: number) => ({
    apiGateway: (4 * P.APIGW_WS_PER_MILLION_MESSAGES) / 1e6,
    lambda: (2 + 1 / b) * (P.LAMBDA_PER_MILLION_REQUESTS / 1e6) + 2 * lambdaCost(defaultMs) + lambdaCost(timeoutCheckMs) / b,
    // + the timeout check's eventually consistent read of the (answered) correlation: 0.5 RRU
    dynamodb: dynamoCost(wsDyn) + (0.5 * P.DYNAMODB_PER_MILLION_RRU) / 1e6,
    sqs: ((1 + 2 / b) * P.SQS_PER_MILLION_REQUESTS) / 1e6,
  });
  const wsPair = wsPairWithBatch(1);
  // HTTP->WS: 1 HTTP request; 1 outbound + 1 inbound WS message; http-api (waits) + ws-default invocations.
  const httpPair = {
    apiGateway: P.APIGW_HTTP_PER_MILLION_REQUESTS / 1e6 + (2 * P.APIGW_WS_PER_MILLION_MESSAGES) / 1e6,
    lambda: 2 * (P.LAMBDA_PER_MILLION_REQUESTS / 1e6) + lambdaCost(httpMs) + lambdaCost(defaultMs),
    dynamodb: dynamoCost(httpDyn),
    sqs: 0,
  };
  // The waiting http-api invocation is billed for the device's answer time, and polls the correlation
  // (one strongly consistent read each) on the schedule of lambdas/routing/respond.ts.
  const pollsWithin = (ms: number) => {
    let t = 0;
    let polls = 0;
    for (const d of [5, 10, 15, 25, 40, 60, 100, 150]) {
      t += d;
      if (t <= ms + d) polls++;
    }
    for (; t < ms; t += 250) polls++;
    return Math.max(1, polls);
  };
  const httpPairAnsweredAfter = (ms: number) => ({
    ...httpPair,
    lambda: httpPair.lambda + lambdaCost(httpMs + ms) - lambdaCost(httpMs),
    dynamodb: httpPair.dynamodb + ((pollsWithin(ms) - 1) * P.DYNAMODB_PER_MILLION_RRU) / 1e6,
  });
  const fan = (results.fanout as Record<string, number>[]).at(-1)!;
  // Per delivery: one outbound WS message; the sender's invocation and queries amortised over K.
  const perDelivery = P.APIGW_WS_PER_MILLION_MESSAGES / 1e6 + (P.LAMBDA_PER_MILLION_REQUESTS / 1e6 + lambdaCost(fan.last_delivery_p50_ms)) / fan.K;
  const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
  const largest = (results.scaling as Record<string, number>[]).at(-1)!;
  const routingReads = (rcu: number) => (rcu * P.DYNAMODB_PER_MILLION_RRU) / 1e6;
  const rows = [
    { what: 'WS->WS request/response pair', ...mapValues(wsPair, perMillion), total_usd_per_million: round(perMillion(sum(wsPair)), 2) },
    {
      what: 'WS->WS pair, timeout checks 10 per batch',
      ...mapValues(wsPairWithBatch(10), perMillion),
      total_usd_per_million: round(perMillion(sum(wsPairWithBatch(10))), 2),
    },
    { what: 'HTTP->WS request/response pair', ...mapValues(httpPair, perMillion), total_usd_per_million: round(perMillion(sum(httpPair)), 2) },
    ...[10, 500, 2000, 10_000].map((ms) => {
      const pair = httpPairAnsweredAfter(ms);
      return {
        what: `HTTP->WS pair, device answers after ${ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`}`,
        ...mapValues(pair, perMillion),
        total_usd_per_million: round(perMillion(sum(pair)), 2),
      };
    }),
    { what: `fan-out delivery (K=${fan.K})`, apiGateway: '', lambda: '', dynamodb: '', sqs: '', total_usd_per_million: round(perMillion(perDelivery), 2) },
    {
      what: `recipient lookup, index (M=${largest.M})`,
      apiGateway: '',
      lambda: '',
      dynamodb: round(perMillion(routingReads(largest.ours_rcu)), 3),
      sqs: '',
      total_usd_per_million: round(perMillion(routingReads(largest.ours_rcu)), 2),
    },
    {
      what: `recipient lookup, scan baseline (M=${largest.M})`,
      apiGateway: '',
      lambda: '',
      dynamodb: round(perMillion(routingReads(largest.baseline_rcu)), 3),
      sqs: '',
      total_usd_per_million: round(perMillion(routingReads(largest.baseline_rcu)), 2),
    },
  ];
  console.log(table(rows));
  console.log(
    `  (measured handler time: $default ${round(defaultMs)} ms, http-api ${round(httpMs)} ms incl. waiting; ${MEMORY_GB * 1024} MB arm64; connection minutes extra: $${P.APIGW_WS_PER_MILLION_CONNECTION_MINUTES} per million, ~$0.011 per device-month)`,
  );
  results.cost = { region: P.PRICE_REGION, memoryMb: MEMORY_GB * 1024, handlerMs: { $default: round(defaultMs), 'http-api': round(httpMs) }, rows };
  save(
    'cost.svg',
    barChart({
      title: 'AWS cost in USD per million (us-east-1 list prices)',
      categories: rows.map((r) => r.what),
      series: [{ name: 'USD per million', values: rows.map((r) => r.total_usd_per_million) }],
      unit: 'USD',
      log: true,
    }),
  );
}

function mapValues(o: Record<string, number>, f: (v: number) => number): Record<string, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, round(f(v), 3)]));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
