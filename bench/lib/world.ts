/** Benchmark fixtures: things and policies over the real HTTP API, many real WebSocket clients. */
import { randomUUID } from 'node:crypto';
import { WebSocket } from 'ws';
import { devToken } from '../../local/dev-auth';

export interface Fixture {
  readonly thingId: string;
  readonly ownerAuth: string;
}

export async function createThing(httpUrl: string, thingId: string, owner: string, readers: readonly string[] = []): Promise<Fixture> {
  const ownerAuth = `Bearer ${await devToken(owner)}`;
  const all = { grant: ['READ', 'WRITE'], revoke: [] };
  const entries: Record<string, unknown> = {
    OWNER: { subjects: { [`local:${owner}`]: { type: 'bench' } }, resources: { 'policy:/': all, 'thing:/': all, 'message:/': all } },
  };
  if (readers.length > 0) {
    entries.READERS = {
      subjects: Object.fromEntries(readers.map((r) => [r, { type: 'bench' }])),
      resources: { 'message:/': { grant: ['READ'], revoke: [] } },
    };
  }
  const put = async (path: string, body: unknown) => {
    const res = await fetch(`${httpUrl}${path}`, {
      method: 'PUT',
      headers: { authorization: ownerAuth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status >= 300) throw new Error(`PUT ${path}: ${res.status} ${await res.text()}`);
  };
  await put(`/api/2/policies/${thingId}`, { entries });
  await put(`/api/2/things/${thingId}`, { policyId: thingId });
  return { thingId, ownerAuth };
}

let lastRequestAt = 0;
/** When the last WebSocket request went out (Date.now()): its timeout check runs DEFAULT_TIMEOUT_MS later. */
export const lastRequestSentAt = (): number => lastRequestAt;

export class BenchClient {
  private handlers: ((text: string) => void)[] = [];
  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const text = data.toString();
      for (const h of this.handlers) h(text);
    });
  }
  /** Adds a frame handler; the returned function removes it. */
  onMessage(h: (text: string) => void): () => void {
    this.handlers.push(h);
    return () => {
      this.handlers = this.handlers.filter((x) => x !== h);
    };
  }

  /** Sends a Ditto message and resolves when the frame carrying its correlation-id comes back. */
  request(topic: string, path: string, value: unknown): Promise<void> {
    const correlationId = randomUUID();
    lastRequestAt = Date.now();
    return new Promise<void>((resolve) => {
      const off = this.onMessage((text) => {
        if (text.includes(correlationId)) {
          off();
          resolve();
        }
      });
      this.ws.send(JSON.stringify({ topic, path, headers: { 'correlation-id': correlationId, 'content-type': 'application/json' }, value }));
    });
  }
  async subscribe(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no START ACK')), 30_000);
      const h = (t: string) => {
        if (t === 'START-SEND-MESSAGES:ACK') {
          clearTimeout(timer);
          this.handlers = this.handlers.filter((x) => x !== h);
          resolve();
        }
      };
      this.handlers.push(h);
      this.ws.send('START-SEND-MESSAGES');
    });
  }
  close(): void {
    this.ws.terminate();
  }
}

export async function connect(wsUrl: string, subjectName: string): Promise<BenchClient> {
  const token = await devToken(subjectName);
  const ws = new WebSocket(`${wsUrl}?access_token=${token}`, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_q, r) => reject(new Error(`HTTP ${r.statusCode}`)));
  });
  return new BenchClient(ws);
}

/** Connects and subscribes `names.length` clients, `parallel` at a time. */
export async function connectMany(
  wsUrl: string,
  names: readonly string[],
  parallel = 100,
  onProgress?: (done: number, total: number) => void,
  subscribe = true,
): Promise<BenchClient[]> {
  const out: BenchClient[] = new Array(names.length);
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, names.length) }, async () => {
      while (next < names.length) {
        const i = next++;
        const c = await connect(wsUrl, names[i]!);
        if (subscribe) await c.subscribe();
        out[i] = c;
        onProgress?.(++done, names.length);
      }
    }),
  );
  return out;
}

/** A device that answers every message with status 200 and the value it got. */
export function respondToAll(device: BenchClient): void {
  device.onMessage((text) => {
    if (!text.startsWith('{')) return;
    const m = JSON.parse(text) as { topic: string; path: string; status?: number; headers: Record<string, unknown> };
    if (m.status !== undefined) return;
    device.ws.send(
      JSON.stringify({
        topic: m.topic,
        path: m.path,
        headers: { 'correlation-id': m.headers['correlation-id'], 'content-type': 'application/json' },
        value: { ok: true },
        status: 200,
      }),
    );
  });
}
