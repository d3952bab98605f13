/** A real HTTP endpoint on 127.0.0.1 standing for a connection target: it records what it receives and answers as told. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** A real HTTP endpoint: records requests by path; answers with what `answer` says (or holds the request). */
export class Endpoint {
  readonly received: Received[] = [];
  private waiters: { path: string; resolve: (r: Received) => void }[] = [];
  private held: ServerResponse[] = [];
  answer: (r: Received) => { status: number; headers?: Record<string, string>; body?: string } | 'hold' = () => ({ status: 204 });
  private constructor(private readonly server: Server) {}

  static async start(): Promise<Endpoint> {
    let endpoint: Endpoint | undefined;
    const server = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => endpoint!.handle(req, res, Buffer.concat(parts).toString('utf8')));
    });
    endpoint = new Endpoint(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return endpoint;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  private handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const r = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
    this.received.push(r);
    for (const w of this.waiters.filter((x) => x.path === r.path)) w.resolve(r);
    this.waiters = this.waiters.filter((x) => x.path !== r.path);
    const answer = this.answer(r);
    if (answer === 'hold') {
      this.held.push(res);
      return;
    }
    res.writeHead(answer.status, answer.headers ?? {});
    res.end(answer.body);
  }

  /** The next request to `path` (or one already received). */
  request(path: string, timeoutMs = 5000): Promise<Received> {
    const seen = this.received.find((r) => r.path === path);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no request to ${path} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        path,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      });
    });
  }

  requestsTo(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  release(): void {
    for (const res of this.held.splice(0)) res.end();
  }

  stop(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
