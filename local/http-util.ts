/** Small HTTP helpers of the local gateway: bodies, headers and queries as API Gateway presents them. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) tooLarge = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(tooLarge ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { ...(text ? { 'content-type': 'application/json' } : {}), ...headers });
  res.end(text);
}

/** A refused WebSocket handshake, answered as API Gateway does (a status and `{"message": …}`). */
export function rejectUpgrade(socket: Duplex, status: number, reason: string, extraHeaders = ''): void {
  const body = JSON.stringify({ message: reason });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extraHeaders}Connection: close\r\n\r\n${body}`,
  );
}

/** HTTP API 2.0: lower-case names, duplicates comma-joined, cookies moved to their own array. */
export function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && k !== 'cookie') out[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
  return out;
}

export function cookiesOf(req: IncomingMessage): string[] | undefined {
  const raw = req.headers.cookie;
  if (!raw) return undefined;
  return raw
    .split(';')
    .map((c) => c.trim())
    .filter((c) => c.length > 0);
}

/** $connect headers keep their case, as a WebSocket API passes them. */
export function rawHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    out[name] = out[name] !== undefined ? `${out[name]},${req.rawHeaders[i + 1]}` : req.rawHeaders[i + 1]!;
  }
  return out;
}

export function queryParams(search: URLSearchParams): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const key of new Set(search.keys())) out[key] = search.getAll(key).join(',');
  return Object.keys(out).length > 0 ? out : undefined;
}

/** API Gateway's request time format, e.g. `12/Mar/2020:19:03:58 +0000`. */
export function requestTime(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  const month = d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  return `${pad(d.getUTCDate())}/${month}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}
