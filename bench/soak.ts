/**
 * `npm run soak [-- --seconds 60 --connections 500 --rate 50 --recipients 3]`: a bounded soak test through the
 * local runtime, started as its own process (`npm start`), with real WebSocket clients. Counts per
 * message that every authorised recipient got it exactly once and every issuer exactly one response.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../local/ports';
import { nowMs, round, summarize } from './lib/stats';
import { connectMany, createThing, respondToAll } from './lib/world';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const SECONDS = arg('seconds', 60);
const CONNECTIONS = arg('connections', 500);
const RATE = arg('rate', 50); // messages per second, one issuer connection per message per second
const ISSUERS = RATE;
/** Authorised recipients per message (one of them answers). */
const DEVICES_PER_THING = arg('recipients', 3);
const THINGS = Math.max(1, Math.floor((CONNECTIONS - ISSUERS) / DEVICES_PER_THING));

async function startRuntime(): Promise<{ child?: ChildProcess; httpUrl: string; wsUrl: string }> {
  // SOAK_PORT: drive an already running `npm start` (e.g. one started under a profiler) instead.
  if (process.env.SOAK_PORT) return { httpUrl: `http://127.0.0.1:${process.env.SOAK_PORT}`, wsUrl: `ws://127.0.0.1:${process.env.SOAK_PORT}/ws/2` };
  const port = await freePort();
  const child = spawn(process.execPath, [join(__dirname, '..', 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(__dirname, '..', 'local', 'start.ts')], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`local runtime did not start: ${out}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready.')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => reject(new Error(`local runtime exited (${code}): ${out}`)));
  });
  return { child, httpUrl: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}/ws/2` };
}

async function main(): Promise<void> {
  console.log(
    `Soak: ${ISSUERS + THINGS * DEVICES_PER_THING} connections (${ISSUERS} issuers, ${THINGS} things x ${DEVICES_PER_THING} devices), ${RATE} messages/s with responses for ${SECONDS} s`,
  );
  const runtime = await startRuntime();
  const run = randomUUID().slice(0, 6);
  try {
    const thingIds = Array.from({ length: THINGS }, (_, i) => `soak.r${run}:thing-${i}`);
    const fixtures = await Promise.all(thingIds.map((id, i) => createThing(runtime.httpUrl, id, `soak-app-${run}`, [`local:soak-dev-${run}-${i}`])));
    const deviceNames = thingIds.flatMap((_, i) => Array.from({ length: DEVICES_PER_THING }, () => `soak-dev-${run}-${i}`));
    const devices = await connectMany(runtime.wsUrl, deviceNames, 50);
    // Issuers only send: they do not subscribe (START-SEND-MESSAGES), so they receive responses only.
    const issuers = await connectMany(
      runtime.wsUrl,
      Array.from({ length: ISSUERS }, () => `soak-app-${run}`),
      50,
      undefined,
      false,
    );
    console.log(`  connected ${devices.length + issuers.length} clients`);

    const deliveries = new Map<string, Map<number, number>>(); // message id -> connection index -> count
    const responses = new Map<string, number>();
    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    const record = (client: number, text: string) => {
      if (!text.startsWith('{')) return;
      const m = JSON.parse(text) as { status?: number; headers: Record<string, string>; value?: unknown; topic: string; path: string };
      const id = m.headers['correlation-id'];
      if (!id || m.status !== undefined) return;
      let perClient = deliveries.get(id);
      if (!perClient) {
        perClient = new Map();
        deliveries.set(id, perClient);
      }
      perClient.set(client, (perClient.get(client) ?? 0) + 1);
    };
    devices.forEach((d, i) => {
      d.onMessage((text) => record(i, text));
      if (i % DEVICES_PER_THING === 0) respondToAll(d); // one responder per thing
    });
    issuers.forEach((c, j) => {
      c.onMessage((text) => {
        record(devices.length + j, text);
        if (!text.startsWith('{')) return;
        const m = JSON.parse(text) as { status?: number; headers: Record<string, string> };
        if (m.status === undefined) return;
        const id = m.headers['correlation-id']!;
        responses.set(id, (responses.get(id) ?? 0) + 1);
        const t = sentAt.get(id);
        if (t !== undefined && responses.get(id) === 1) latencies.push(nowMs() - t);
      });
    });

    const expected = new Map<string, number[]>(); // message id -> expected recipient connection indexes
    const deadline = Date.now() + SECONDS * 1000;
    let seq = 0;
    while (Date.now() < deadline) {
      const tickStart = Date.now();
      for (let j = 0; j < ISSUERS; j++) {
        const thing = (seq * ISSUERS + j) % THINGS;
        const [ns, name] = fixtures[thing]!.thingId.split(':');
        const id = `m-${j}-${seq}`;
        const readers = Array.from({ length: DEVICES_PER_THING }, (_, d) => thing * DEVICES_PER_THING + d);
        expected.set(id, readers);
        sentAt.set(id, nowMs());
        issuers[j]!.ws.send(
          JSON.stringify({
            topic: `${ns}/${name}/things/live/messages/soak`,
            path: '/inbox/messages/soak',
            headers: { 'correlation-id': id, 'content-type': 'application/json', timeout: '20s' },
            value: { seq },
          }),
        );
      }
      seq++;
      process.stdout.write(`\r  sent ${seq * ISSUERS} messages, ${Math.max(0, Math.round((deadline - Date.now()) / 1000))} s left   `);
      await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - tickStart))));
    }
    console.log('\n  draining…');
    await new Promise((r) => setTimeout(r, 10_000));

    let expectedDeliveries = 0;
    let delivered = 0;
    let lost = 0;
    let duplicated = 0;
    for (const [id, readers] of expected) {
      const got = deliveries.get(id) ?? new Map<number, number>();
      expectedDeliveries += readers.length;
      for (const r of readers) {
        const n = got.get(r) ?? 0;
        if (n === 0) lost++;
        else delivered++;
        if (n > 1) duplicated += n - 1;
      }
      for (const r of got.keys()) if (!readers.includes(r)) duplicated++; // delivered to someone not entitled
    }
    const sent = expected.size;
    const answered = [...expected.keys()].filter((id) => responses.get(id) === 1).length;
    const missingResponses = [...expected.keys()].filter((id) => !responses.has(id)).length;
    const duplicateResponses = [...responses.values()].reduce((s, n) => s + Math.max(0, n - 1), 0);
    const health = (await (await fetch(`${runtime.httpUrl}/health`)).json()) as { memory: { rssBytes: number; heapUsedBytes: number }; connections: number };
    const s = summarize(latencies);
    const report = {
      seconds: SECONDS,
      ratePerSecond: RATE,
      recipientsPerMessage: DEVICES_PER_THING,
      connections: devices.length + issuers.length,
      sent,
      expectedDeliveries,
      delivered,
      lost,
      duplicated,
      responses: { exactlyOne: answered, missing: missingResponses, duplicates: duplicateResponses },
      roundTripMs: { p50: round(s.p50), p95: round(s.p95), p99: round(s.p99), max: round(s.max) },
      gatewayMemoryMiB: { rss: round(health.memory.rssBytes / 2 ** 20, 1), heapUsed: round(health.memory.heapUsedBytes / 2 ** 20, 1) },
      gatewayConnections: health.connections,
    };
    console.log(JSON.stringify(report, null, 2));
    writeFileSync(join(__dirname, 'soak-results.json'), `${JSON.stringify(report, null, 2)}\n`);
    for (const c of [...devices, ...issuers]) c.close();
    if (lost > 0 || duplicated > 0 || missingResponses > 0 || duplicateResponses > 0) process.exitCode = 1;
  } finally {
    runtime.child?.kill('SIGINT');
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
