/** Test harness: the local gateway on a free port over the run's DynamoDB Local, plus real clients. */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { WebSocket } from 'ws';
import { TABLES, type TableKey } from '../../lambdas/store/schema';
import { devToken } from '../../local/dev-auth';
import { type GatewayOptions, type LocalGateway, startGateway } from '../../local/gateway';

export async function startTestGateway(options: Partial<GatewayOptions> = {}): Promise<LocalGateway> {
  const endpoint = process.env.TEST_DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('TEST_DYNAMODB_ENDPOINT is not set: run through jest (globalSetup starts DynamoDB Local).');
  return startGateway({ port: 0, dynamodbEndpoint: endpoint, ...options });
}

/** The run's DynamoDB Local, for tests that look into the tables. */
export const ddb = (): DynamoDBDocumentClient => DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: process.env.TEST_DYNAMODB_ENDPOINT }));
/** This test file's name of a table (see file-tables.ts). */
export const tableName = (key: TableKey): string => process.env[TABLES[key].envName] ?? key;

/** A unique namespace per test keeps tests independent on a shared database. */
export const uniqueNamespace = (): string => `test.n${randomUUID().replace(/-/g, '').slice(0, 12)}`;
export const uniqueName = (prefix = 'user'): string => `${prefix}-${randomUUID().slice(0, 8)}`;

export const bearer = async (name: string): Promise<string> => `Bearer ${await devToken(name)}`;
export const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

export interface HttpResult {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: () => unknown;
}

export async function http(
  gateway: LocalGateway,
  method: string,
  path: string,
  init: { auth?: string; body?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<HttpResult> {
  const res = await fetch(`${gateway.httpUrl}${path}`, {
    method,
    headers: { ...(init.auth ? { authorization: init.auth } : {}), ...(init.headers ?? {}) },
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
}

export const putJson = (gateway: LocalGateway, path: string, auth: string, body: unknown) =>
  http(gateway, 'PUT', path, { auth, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

/** A real `ws` client that queues what it receives so tests can await the next frame. */
export class TestClient {
  private readonly queue: string[] = [];
  private waiters: ((m: string) => void)[] = [];
  closed: { code: number; reason: string } | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const text = data.toString();
      const waiter = this.waiters.shift();
      if (waiter) waiter(text);
      else this.queue.push(text);
    });
    ws.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }));
  }

  static async connect(url: string, options: { auth?: string; query?: string } = {}): Promise<TestClient> {
    const ws = new WebSocket(options.query ? `${url}?${options.query}` : url, { headers: options.auth ? { authorization: options.auth } : {} });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
    return new TestClient(ws);
  }

  send(frame: string | object): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** One text message as several frames of at most `frameBytes` (API Gateway accepts frames up to 32 KB). */
  sendFragmented(message: string | object, frameBytes = 32 * 1024): void {
    const data = Buffer.from(typeof message === 'string' ? message : JSON.stringify(message));
    for (let i = 0; i < data.length; i += frameBytes) this.ws.send(data.subarray(i, i + frameBytes), { binary: false, fin: i + frameBytes >= data.length });
  }

  next(timeoutMs = 5000): Promise<string> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no frame within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = (m: string) => {
        clearTimeout(timer);
        resolve(m);
      };
      this.waiters.push(waiter);
    });
  }

  async nextJson(timeoutMs = 5000): Promise<Record<string, any>> {
    return JSON.parse(await this.next(timeoutMs)) as Record<string, any>;
  }

  /** Resolves true when nothing arrives within the window. */
  async silentFor(ms: number): Promise<boolean> {
    try {
      const m = await this.next(ms);
      this.queue.unshift(m);
      return false;
    } catch {
      return true;
    }
  }

  async subscribe(query = ''): Promise<void> {
    this.send(`START-SEND-MESSAGES${query}`);
    const ack = await this.next();
    if (ack !== 'START-SEND-MESSAGES:ACK') throw new Error(`expected ACK, got ${ack}`);
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Counts finished handler invocations by route (the gateway's `onInvoke`), so a test can wait for
 * the work it caused to have ended instead of sleeping.
 */
export class Invocations {
  private readonly counts = new Map<string, number>();
  private waiters: { route: string; n: number; resolve: () => void }[] = [];

  readonly record = (route: string): void => {
    this.counts.set(route, this.count(route) + 1);
    const ready = this.waiters.filter((w) => w.route === route && this.count(route) >= w.n);
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  };

  count(route: string): number {
    return this.counts.get(route) ?? 0;
  }

  /** Resolves once `n` invocations of `route` have finished in total. */
  until(route: string, n: number, timeoutMs = 5000): Promise<void> {
    if (this.count(route) >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${route}: ${this.count(route)} of ${n} invocations within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        route,
        n,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }
}

/** Polls a condition (a table state) until it holds. */
export async function eventually(condition: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
