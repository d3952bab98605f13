/**
 * The local gateway: one HTTP server that emulates API Gateway closely enough that the Lambda
 * handler modules run unchanged: HTTP API payload v2 events on /api/2, the WebSocket API on /ws/2
 * ($connect with the REQUEST authorizer, $default, $disconnect), the @connections management
 * endpoint the real SDK client talks to, the 128 KB frame limit and the idle timeout.
 */
import { randomUUID } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { APIGatewayAuthorizerResult, APIGatewayProxyEventV2, APIGatewayProxyResultV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { WebSocket, WebSocketServer } from 'ws';
import { resetConfig } from '../lambdas/config';
import { closeManagementClient } from '../lambdas/gateway/connections';
import { cancelLocalTimeouts } from '../lambdas/gateway/timeouts';
import { closeDocumentClient } from '../lambdas/store/client';
import { handler as httpHandler } from '../lambdas/handlers/http-api';
import { handler as authorizerHandler } from '../lambdas/handlers/ws-authorizer';
import { handler as connectHandler } from '../lambdas/handlers/ws-connect';
import { handler as defaultHandler } from '../lambdas/handlers/ws-default';
import { handler as disconnectHandler } from '../lambdas/handlers/ws-disconnect';
import { handler as sweepHandler } from '../lambdas/handlers/token-sweep';
import { DEV_JWKS_PATH, devIssuerConfig, ensureDevKey } from './dev-auth';
import { ensureLocalCredentials } from './dynamodb';
import { FrameSizeWatch, fragments } from './frames';
import { FUNCTION_TIMEOUT_SECONDS, WEBSOCKET_LIMITS } from '../lambdas/defaults';
import { Limiter } from './limiter';
import { inInvocation } from './invoke-store';
import { registerLocalConsumers } from '../lambdas/runtime/local-consumers';
import { handler as fanOutHandler } from '../lambdas/handlers/fanout';
import { handler as timeoutHandler } from '../lambdas/handlers/ws-timeout';

export interface GatewayOptions {
  /** 0 picks a free port. @default 8080 */
  readonly port?: number;
  readonly dynamodbEndpoint: string;
  /** `user:password[:subject]` list. @default 'ditto:ditto' (subject nginx:ditto) */
  readonly basicUsers?: string;
  /** Issuers accepted besides the local dev issuer (a function gets the gateway's base URL). */
  readonly extraIssuers?: readonly object[] | ((baseUrl: string) => readonly object[]);
  /** Largest WebSocket message (possibly in several frames). @default 128 KiB, API Gateway's message limit */
  readonly maxMessageBytes?: number;
  /** Largest single frame from a client. @default 32 KiB, API Gateway's frame limit */
  readonly maxFrameBytes?: number;
  /** @default 10 minutes */
  readonly idleTimeoutMs?: number;
  /** @default 2 hours */
  readonly maxLifetimeMs?: number;
  readonly devKeyFile?: string;
  /** Log each request to stdout. @default false */
  readonly verbose?: boolean;
  /**
   * Handler invocations running at once, like a Lambda concurrency limit; bursts (a mass disconnect)
   * queue instead of overrunning DynamoDB Local. @default 256
   */
  readonly maxConcurrentInvocations?: number;
  /**
   * Emulates API Gateway throttling of @connections calls: a token bucket of `rate` per second and
   * `burst`; above it, 429 LimitExceededException. @default off
   */
  readonly connectionsThrottle?: { readonly rate: number; readonly burst: number };
  /** How often the token-expiry sweep runs (EventBridge every minute on AWS). @default 60 s */
  readonly sweepIntervalMs?: number;
  /** Ditto's entity-creation restriction for this gateway's handlers (else ENTITY_CREATION from the environment). */
  readonly entityCreation?: object;
  /** Called with each handler invocation's route and duration (the benchmark's Lambda time). */
  readonly onInvoke?: (route: string, ms: number) => void;
}

export interface LocalGateway {
  readonly port: number;
  readonly httpUrl: string;
  readonly wsUrl: string;
  /** Open WebSocket connections (for tests and the soak report). */
  connectionCount(): number;
  stop(): Promise<void>;
}

interface Connection {
  readonly ws: WebSocket;
  readonly connectedAt: number;
  lastActiveAt: number;
  readonly authorizer: Record<string, unknown>;
  readonly sourceIp: string;
  readonly userAgent: string;
  idleTimer?: NodeJS.Timeout;
  readonly lifetimeTimer: NodeJS.Timeout;
}

const HTTP_API_MAX_BODY = 10 * 1024 * 1024;

/** Requests per second with a burst, refilled continuously (API Gateway's throttling model). */
class TokenBucket {
  private tokens: number;
  private last = Date.now();
  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }
  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** The part of Lambda's context the handlers use. */
interface LambdaContext {
  readonly awsRequestId: string;
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  readonly memoryLimitInMB: string;
  getRemainingTimeInMillis(): number;
}

/** Each local route's function timeout, as the stack sets it. */
const FUNCTION_TIMEOUT_MS: Record<string, number> = Object.fromEntries(
  Object.entries({
    ...FUNCTION_TIMEOUT_SECONDS,
    $connect: FUNCTION_TIMEOUT_SECONDS['ws-connect'],
    $disconnect: FUNCTION_TIMEOUT_SECONDS['ws-disconnect'],
    $default: FUNCTION_TIMEOUT_SECONDS['ws-default'],
  }).map(([route, seconds]) => [route, seconds * 1000]),
);
const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded)|[^;]*\+(json|xml))/i;

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
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

/** HTTP API 2.0: lower-case names, duplicates comma-joined, cookies moved to their own array. */
function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && k !== 'cookie') out[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
  return out;
}

function cookiesOf(req: IncomingMessage): string[] | undefined {
  const raw = req.headers.cookie;
  return raw
    ? raw
        .split(';')
        .map((c) => c.trim())
        .filter((c) => c.length > 0)
    : undefined;
}

/** API Gateway's request time format, e.g. `12/Mar/2020:19:03:58 +0000`. */
function requestTime(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  const month = d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  return `${pad(d.getUTCDate())}/${month}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/** WebSocket integrations get authorizer context values as strings, whatever the authorizer returned. */
const stringified = (context: Record<string, unknown>): Record<string, string> => Object.fromEntries(Object.entries(context).map(([k, v]) => [k, String(v)]));

/** $connect headers keep their case, as a WebSocket API passes them. */
function rawHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    out[name] = out[name] !== undefined ? `${out[name]},${req.rawHeaders[i + 1]}` : req.rawHeaders[i + 1]!;
  }
  return out;
}

function queryParams(search: URLSearchParams): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const key of new Set(search.keys())) out[key] = search.getAll(key).join(',');
  return Object.keys(out).length > 0 ? out : undefined;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { ...(text ? { 'content-type': 'application/json' } : {}), ...headers });
  res.end(text);
}

function rejectUpgrade(socket: Duplex, status: number, reason: string): void {
  const body = JSON.stringify({ message: reason });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export async function startGateway(options: GatewayOptions): Promise<LocalGateway> {
  ensureLocalCredentials();
  const { publicJwk } = await ensureDevKey(options.devKeyFile);
  const maxMessageBytes = options.maxMessageBytes ?? WEBSOCKET_LIMITS.maxMessageBytes;
  const maxFrameBytes = options.maxFrameBytes ?? WEBSOCKET_LIMITS.maxFrameBytes;
  const idleTimeoutMs = options.idleTimeoutMs ?? WEBSOCKET_LIMITS.idleTimeoutMs;
  const maxLifetimeMs = options.maxLifetimeMs ?? WEBSOCKET_LIMITS.maxLifetimeMs;
  const connections = new Map<string, Connection>();
  const pendingDisconnects = new Set<Promise<unknown>>();
  const frameTooBig = new WeakSet<WebSocket>();
  const stage = 'local';

  const server: Server = createServer((req, res) => {
    handleHttp(req, res).catch((e: unknown) => {
      console.error(JSON.stringify({ level: 'error', msg: 'local gateway request failed', error: String(e) }));
      if (!res.headersSent) send(res, 500, { message: 'Internal server error' });
      else res.end();
    });
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxMessageBytes, perMessageDeflate: false });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const httpUrl = `http://127.0.0.1:${port}`;
  const host = `127.0.0.1:${port}`;

  // The handlers read their configuration from the environment, as in Lambda.
  process.env.DYNAMODB_ENDPOINT = options.dynamodbEndpoint;
  process.env.MANAGEMENT_ENDPOINT = httpUrl;
  const extraIssuers = typeof options.extraIssuers === 'function' ? options.extraIssuers(httpUrl) : (options.extraIssuers ?? []);
  process.env.AUTH_ISSUERS = JSON.stringify([devIssuerConfig(httpUrl), ...extraIssuers]);
  process.env.DEV_BASIC_USERS = options.basicUsers ?? 'ditto:ditto';
  process.env.MAX_MESSAGE_BYTES ??= String(maxMessageBytes);
  if (options.entityCreation) process.env.ENTITY_CREATION = JSON.stringify(options.entityCreation);
  delete process.env.TIMEOUT_QUEUE_URL;
  resetConfig();

  const log = (line: object) => options.verbose && console.log(JSON.stringify(line));
  const concurrency = new Limiter(options.maxConcurrentInvocations ?? 256);
  // Concurrent invocations in one process, as Lambda runs them with multi-concurrency: each in its own
  // InvokeStore context, so Powertools keeps log keys and metrics per invocation.
  // (local/env.ts installed the store before the handlers loaded, as the Lambda runtime does.)

  /** Runs a handler like Lambda would (bounded concurrency, a context with the function's timeout), reporting its duration. */
  function invoke<E, R>(route: string, fn: (event: E, context: LambdaContext) => Promise<R>, event: E): Promise<R> {
    return concurrency.run(async () => {
      const start = performance.now();
      const deadline = Date.now() + (FUNCTION_TIMEOUT_MS[route] ?? 10_000);
      const requestId = randomUUID();
      const context: LambdaContext = {
        awsRequestId: requestId,
        functionName: `local-${route}`,
        functionVersion: '$LATEST',
        invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:local-${route}`,
        memoryLimitInMB: '512',
        getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      };
      try {
        return await inInvocation(requestId, () => fn(event, context));
      } finally {
        options.onInvoke?.(route, performance.now() - start);
      }
    });
  }
  // Queues are in-process here: each message is an invocation of its consumer, as on AWS.
  registerLocalConsumers({ fanout: fanOutHandler, 'ws-timeout': timeoutHandler }, (route, consumer, event) => invoke(route, consumer, event));

  // The scheduled expiry sweep (EventBridge on AWS), one run at a time.
  let sweeping: Promise<unknown> | undefined;
  const sweepTimer = setInterval(() => {
    sweeping ??= invoke('token-sweep', sweepHandler, undefined as never)
      .catch((e: unknown) => console.error(JSON.stringify({ level: 'error', msg: 'token sweep failed', error: String(e) })))
      .finally(() => (sweeping = undefined));
  }, options.sweepIntervalMs ?? 60_000);
  sweepTimer.unref();

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', httpUrl);
    const rawPath = (req.url ?? '/').split('?')[0]!;
    if (rawPath === DEV_JWKS_PATH) return send(res, 200, { keys: [publicJwk] });
    if (rawPath === '/health') {
      const { rss, heapUsed } = process.memoryUsage();
      return send(res, 200, { status: 'UP', connections: connections.size, memory: { rssBytes: rss, heapUsedBytes: heapUsed } });
    }
    if (rawPath.startsWith('/@connections/')) return handleManagement(req, res, decodeURIComponent(rawPath.slice('/@connections/'.length)));

    const body = await readBody(req, HTTP_API_MAX_BODY);
    if (body === 'too-large') return send(res, 413, { message: 'Request Entity Too Large' });
    const headers = flatHeaders(req);
    const isText = body.length === 0 || (TEXT_TYPES.test(headers['content-type'] ?? 'text/plain') && isUtf8(body));
    const now = Date.now();
    const cookies = cookiesOf(req);
    const isApiRoute = rawPath.startsWith('/api/2/');
    const routeKey = isApiRoute ? 'ANY /api/2/{proxy+}' : '$default';
    const event: APIGatewayProxyEventV2 = {
      version: '2.0',
      routeKey,
      rawPath,
      rawQueryString: url.search.slice(1),
      ...(cookies ? { cookies } : {}),
      headers,
      ...(isApiRoute ? { pathParameters: { proxy: rawPath.slice('/api/2/'.length) } } : {}),
      ...(queryParams(url.searchParams) ? { queryStringParameters: queryParams(url.searchParams) } : {}),
      requestContext: {
        accountId: 'local',
        apiId: 'local',
        domainName: host,
        domainPrefix: '127',
        http: {
          method: req.method ?? 'GET',
          path: rawPath,
          protocol: 'HTTP/1.1',
          sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
          userAgent: headers['user-agent'] ?? '',
        },
        requestId: randomUUID(),
        routeKey,
        stage: '$default',
        time: requestTime(now),
        timeEpoch: now,
      },
      ...(body.length > 0 ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
      isBase64Encoded: !isText,
    };
    const result = await invoke('http-api', httpHandler, event);
    const r: APIGatewayProxyStructuredResultV2 =
      typeof result === 'object' && result !== null && 'statusCode' in result
        ? result
        : { statusCode: 200, body: JSON.stringify(result), headers: { 'content-type': 'application/json' } };
    const out = r.body === undefined ? Buffer.alloc(0) : r.isBase64Encoded ? Buffer.from(r.body, 'base64') : Buffer.from(r.body, 'utf8');
    const outHeaders: Record<string, string> = {};
    for (const [k, v] of Object.entries(r.headers ?? {})) outHeaders[k] = String(v);
    res.writeHead(r.statusCode ?? 200, outHeaders);
    res.end(out);
    log({ http: req.method, path: rawPath, status: r.statusCode });
  }

  const bucket = options.connectionsThrottle ? new TokenBucket(options.connectionsThrottle.rate, options.connectionsThrottle.burst) : undefined;

  async function handleManagement(req: IncomingMessage, res: ServerResponse, connectionId: string): Promise<void> {
    if (bucket && !bucket.take()) {
      await readBody(req, maxMessageBytes);
      return send(res, 429, { message: 'Rate exceeded' }, { 'x-amzn-errortype': 'LimitExceededException' });
    }
    const connection = connections.get(connectionId);
    const gone = () => send(res, 410, { message: null }, { 'x-amzn-errortype': 'GoneException' });
    const body = await readBody(req, maxMessageBytes);
    if (req.method === 'POST') {
      if (!connection || connection.ws.readyState !== WebSocket.OPEN) return gone();
      if (body === 'too-large') return send(res, 413, { message: 'Message too long' }, { 'x-amzn-errortype': 'PayloadTooLargeException' });
      const parts = fragments(body, maxFrameBytes);
      for (const [i, part] of parts.entries()) connection.ws.send(part, { binary: false, fin: i === parts.length - 1 });
      touch(connectionId);
      res.writeHead(200);
      res.end();
      return;
    }
    if (req.method === 'GET') {
      if (!connection) return gone();
      return send(res, 200, {
        ConnectedAt: new Date(connection.connectedAt).toISOString(),
        LastActiveAt: new Date(connection.lastActiveAt).toISOString(),
        Identity: { SourceIp: connection.sourceIp, UserAgent: connection.userAgent },
      });
    }
    if (req.method === 'DELETE') {
      if (!connection) return gone();
      connection.ws.close(1000, 'Closed by the service');
      res.writeHead(204);
      res.end();
      return;
    }
    send(res, 405, { message: 'Method not allowed' });
  }

  function touch(connectionId: string): void {
    const c = connections.get(connectionId);
    if (!c) return;
    c.lastActiveAt = Date.now();
    if (c.idleTimer) clearTimeout(c.idleTimer);
    c.idleTimer = setTimeout(() => c.ws.close(1001, 'Going away: idle timeout'), idleTimeoutMs);
    c.idleTimer.unref();
  }

  function wsRequestContext(connectionId: string, routeKey: string, eventType: string, authorizer?: Record<string, unknown>) {
    const now = Date.now();
    return {
      routeKey,
      eventType,
      connectionId,
      ...(eventType === 'MESSAGE' ? { messageId: randomUUID() } : {}),
      requestId: randomUUID(),
      extendedRequestId: randomUUID(),
      requestTime: requestTime(now),
      messageDirection: 'IN',
      identity: { sourceIp: connections.get(connectionId)?.sourceIp ?? '127.0.0.1' },
      domainName: host,
      stage,
      apiId: 'local',
      requestTimeEpoch: now,
      connectedAt: connections.get(connectionId)?.connectedAt ?? now,
      ...(authorizer ? { authorizer } : {}),
    };
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', httpUrl);
    if (url.pathname !== '/ws/2' && url.pathname !== '/ws/2/') return rejectUpgrade(socket, 404, 'Not Found');
    const connectionId = `${randomUUID().replace(/-/g, '').slice(0, 16)}=`;
    const headers = flatHeaders(req);
    const query = queryParams(url.searchParams);
    (async () => {
      let auth: APIGatewayAuthorizerResult;
      try {
        auth = await invoke('ws-authorizer', authorizerHandler, {
          type: 'REQUEST',
          methodArn: `arn:aws:execute-api:local:local:local/${stage}/$connect`,
          headers,
          queryStringParameters: query ?? {},
          requestContext: wsRequestContext(connectionId, '$connect', 'CONNECT'),
        } as never);
      } catch {
        return rejectUpgrade(socket, 401, 'Unauthorized');
      }
      if (auth.policyDocument.Statement.some((s) => 'Effect' in s && s.Effect === 'Deny')) return rejectUpgrade(socket, 403, 'Forbidden');
      const authorizer = stringified({ ...(auth.context ?? {}), principalId: auth.principalId });
      const connected = (await invoke('$connect', connectHandler, {
        headers: rawHeaders(req),
        multiValueHeaders: Object.fromEntries(Object.entries(rawHeaders(req)).map(([k, v]) => [k, v.split(',')])),
        ...(query
          ? { queryStringParameters: query, multiValueQueryStringParameters: Object.fromEntries(Object.entries(query).map(([k, v]) => [k, v.split(',')])) }
          : {}),
        requestContext: wsRequestContext(connectionId, '$connect', 'CONNECT', authorizer),
        isBase64Encoded: false,
      } as never)) as APIGatewayProxyResultV2;
      const status = typeof connected === 'object' && connected && 'statusCode' in connected ? (connected.statusCode ?? 200) : 200;
      if (status >= 300) return rejectUpgrade(socket, status, 'Connection rejected');
      // Frame sizes are watched on the raw stream, before `ws` assembles messages.
      let tooBig: ((size: number) => void) | undefined;
      const watch = new FrameSizeWatch(maxFrameBytes, (size) => tooBig?.(size));
      socket.on('data', (chunk: Buffer) => watch.feed(chunk));
      wss.handleUpgrade(req, socket, head, (ws) => {
        tooBig = () => {
          frameTooBig.add(ws);
          ws.close(1009, 'Frame too big');
        };
        accept(ws, connectionId, authorizer, req);
      });
    })().catch((e: unknown) => {
      console.error(JSON.stringify({ level: 'error', msg: 'upgrade failed', error: String(e) }));
      rejectUpgrade(socket, 500, 'Internal Server Error');
    });
  });

  function accept(ws: WebSocket, connectionId: string, authorizer: Record<string, unknown>, req: IncomingMessage): void {
    const now = Date.now();
    const lifetimeTimer = setTimeout(() => ws.close(1001, 'Going away: connection lifetime reached'), maxLifetimeMs);
    lifetimeTimer.unref();
    connections.set(connectionId, {
      ws,
      connectedAt: now,
      lastActiveAt: now,
      authorizer,
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
      userAgent: String(req.headers['user-agent'] ?? ''),
      lifetimeTimer,
    });
    touch(connectionId);
    log({ ws: 'connect', connectionId });

    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (frameTooBig.has(ws)) return; // API Gateway closed it: the message is not routed
      touch(connectionId);
      if (isBinary) {
        ws.close(1003, 'Binary frames are not supported');
        return;
      }
      const event = { requestContext: wsRequestContext(connectionId, '$default', 'MESSAGE', authorizer), body: data.toString('utf8'), isBase64Encoded: false };
      invoke('$default', defaultHandler, event as never)
        .then((result) => {
          const body = typeof result === 'object' && result !== null && 'body' in result ? result.body : undefined;
          if (body !== undefined && ws.readyState === WebSocket.OPEN) ws.send(body);
        })
        .catch((e: unknown) => {
          console.error(JSON.stringify({ level: 'error', msg: '$default failed', connectionId, error: String(e) }));
          if (ws.readyState === WebSocket.OPEN)
            ws.send(JSON.stringify({ message: 'Internal server error', connectionId, requestId: event.requestContext.requestId }));
        });
    });
    ws.on('error', () => undefined);
    ws.on('close', () => {
      const c = connections.get(connectionId);
      if (c?.idleTimer) clearTimeout(c.idleTimer);
      if (c) clearTimeout(c.lifetimeTimer);
      connections.delete(connectionId);
      log({ ws: 'disconnect', connectionId });
      const done = invoke('$disconnect', disconnectHandler, {
        requestContext: wsRequestContext(connectionId, '$disconnect', 'DISCONNECT', authorizer),
        isBase64Encoded: false,
      } as never)
        .catch((e: unknown) => console.error(JSON.stringify({ level: 'error', msg: '$disconnect failed', error: String(e) })))
        .finally(() => pendingDisconnects.delete(done));
      pendingDisconnects.add(done);
    });
  }

  return {
    port,
    httpUrl,
    wsUrl: `ws://127.0.0.1:${port}/ws/2`,
    connectionCount: () => connections.size,
    async stop() {
      clearInterval(sweepTimer);
      await sweeping;
      for (const c of connections.values()) c.ws.terminate();
      // Each terminated socket emits 'close' a little later, which starts its $disconnect: wait for
      // those, then for the clean-ups themselves, before the clients and the database go away.
      for (let i = 0; i < 200 && connections.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
      await Promise.all([...pendingDisconnects]);
      cancelLocalTimeouts();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      closeManagementClient();
      closeDocumentClient();
    },
  };
}
