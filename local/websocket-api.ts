/**
 * The WebSocket API as API Gateway runs it: the handshake through the REQUEST authorizer and
 * $connect, $default per message (its result is the route response), $disconnect, 32 KB frames
 * and 128 KB messages (1009 above), the idle timeout and connection lifetime; and the
 * `@connections` management endpoint (POST/GET/DELETE, 410 for gone connections, optional 429).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { WebSocket, WebSocketServer } from 'ws';
import { handler as authorizerHandler } from '../lambdas/handlers/ws-authorizer';
import { handler as connectHandler } from '../lambdas/handlers/ws-connect';
import type { WsEvent } from '../lambdas/handlers/ws-context';
import { handler as defaultHandler } from '../lambdas/handlers/ws-default';
import { handler as disconnectHandler } from '../lambdas/handlers/ws-disconnect';
import { FrameSizeWatch, fragments } from './frames';
import { flatHeaders, queryParams, rawHeaders, readBody, rejectUpgrade, requestTime, send } from './http-util';
import type { LambdaRuntime } from './lambda-runtime';

export interface WebSocketLimits {
  readonly maxMessageBytes: number;
  readonly maxFrameBytes: number;
  readonly idleTimeoutMs: number;
  readonly maxLifetimeMs: number;
}

interface Connection {
  readonly ws: WebSocket;
  readonly connectedAt: number;
  lastActiveAt: number;
  readonly sourceIp: string;
  readonly userAgent: string;
  idleTimer?: NodeJS.Timeout;
  readonly lifetimeTimer: NodeJS.Timeout;
}

const STAGE = 'local';

/** Authorizer context values reach integrations as strings, whatever the authorizer returned. */
const stringified = (context: Record<string, unknown>): Record<string, string> => Object.fromEntries(Object.entries(context).map(([k, v]) => [k, String(v)]));
const multiValue = (values: Record<string, string>) => Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v.split(',')]));

/** Requests per second with a burst, refilled continuously (API Gateway's throttling model). */
export class TokenBucket {
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

export class LocalWebSocketApi {
  private readonly connections = new Map<string, Connection>();
  private readonly pendingDisconnects = new Set<Promise<unknown>>();
  private readonly closedForSize = new WeakSet<WebSocket>();
  private readonly wss: WebSocketServer;

  constructor(
    private readonly runtime: LambdaRuntime,
    private readonly host: string,
    private readonly limits: WebSocketLimits,
    private readonly throttle: TokenBucket | undefined,
    private readonly log: (line: object) => void,
  ) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxMessageBytes, perMessageDeflate: false });
  }

  get size(): number {
    return this.connections.size;
  }

  private requestContext(connectionId: string, routeKey: string, eventType: string, authorizer?: Record<string, string>): WsEvent['requestContext'] {
    const now = Date.now();
    const connection = this.connections.get(connectionId);
    return {
      routeKey,
      eventType,
      connectionId,
      ...(eventType === 'MESSAGE' ? { messageId: randomUUID() } : {}),
      requestId: randomUUID(),
      extendedRequestId: randomUUID(),
      requestTime: requestTime(now),
      messageDirection: 'IN',
      identity: { sourceIp: connection?.sourceIp ?? '127.0.0.1' },
      domainName: this.host,
      stage: STAGE,
      apiId: 'local',
      requestTimeEpoch: now,
      connectedAt: connection?.connectedAt ?? now,
      ...(authorizer ? { authorizer } : {}),
    } as WsEvent['requestContext'];
  }

  /** The handshake: authorizer, then $connect; only then the socket is accepted. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', `http://${this.host}`);
    if (url.pathname !== '/ws/2' && url.pathname !== '/ws/2/') {
      rejectUpgrade(socket, 404, 'Not Found');
      return;
    }
    const connectionId = `${randomUUID().replace(/-/g, '').slice(0, 16)}=`;
    const query = queryParams(url.searchParams);
    this.handshake(req, socket, head, connectionId, query).catch((e: unknown) => {
      console.error(JSON.stringify({ level: 'error', msg: 'upgrade failed', error: String(e) }));
      rejectUpgrade(socket, 500, 'Internal Server Error');
    });
  }

  private async handshake(req: IncomingMessage, socket: Duplex, head: Buffer, connectionId: string, query: Record<string, string> | undefined): Promise<void> {
    let auth: APIGatewayAuthorizerResult;
    try {
      // A WebSocket REQUEST authorizer event has no REST fields (path, httpMethod, …) that the type declares.
      const event = {
        type: 'REQUEST',
        methodArn: `arn:aws:execute-api:local:local:local/${STAGE}/$connect`,
        headers: flatHeaders(req),
        queryStringParameters: query ?? {},
        requestContext: this.requestContext(connectionId, '$connect', 'CONNECT'),
      } as unknown as APIGatewayRequestAuthorizerEvent;
      auth = await this.runtime.invoke('ws-authorizer', authorizerHandler, event);
    } catch {
      // Local only (API Gateway sends no challenge): a handshake without credentials is challenged for HTTP Basic,
      // so a browser page can sign in with a Basic dev user (browsers answer the challenge with the URL's user:password).
      const challenge = req.headers.authorization === undefined && query?.access_token === undefined ? 'WWW-Authenticate: Basic realm="Ditto"\r\n' : '';
      return rejectUpgrade(socket, 401, 'Unauthorized', challenge);
    }
    if (auth.policyDocument.Statement.some((s) => 'Effect' in s && s.Effect === 'Deny')) return rejectUpgrade(socket, 403, 'Forbidden');
    const authorizer = stringified({ ...(auth.context ?? {}), principalId: auth.principalId });
    const headers = rawHeaders(req);
    const connect: WsEvent & Record<string, unknown> = {
      headers,
      multiValueHeaders: multiValue(headers),
      ...(query ? { queryStringParameters: query, multiValueQueryStringParameters: multiValue(query) } : {}),
      requestContext: this.requestContext(connectionId, '$connect', 'CONNECT', authorizer),
      isBase64Encoded: false,
    };
    const connected = await this.runtime.invoke('$connect', connectHandler, connect);
    const status = typeof connected === 'object' && connected && 'statusCode' in connected ? (connected.statusCode ?? 200) : 200;
    if (status >= 300) return rejectUpgrade(socket, status, 'Connection rejected');
    // Frame sizes are watched on the raw stream, before `ws` assembles messages.
    let closeForSize: (() => void) | undefined;
    const watch = new FrameSizeWatch(this.limits.maxFrameBytes, () => closeForSize?.());
    socket.on('data', (chunk: Buffer) => watch.feed(chunk));
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      closeForSize = () => {
        this.closedForSize.add(ws);
        ws.close(1009, 'Frame too big');
      };
      this.accept(ws, connectionId, authorizer, req);
    });
  }

  private accept(ws: WebSocket, connectionId: string, authorizer: Record<string, string>, req: IncomingMessage): void {
    const now = Date.now();
    const lifetimeTimer = setTimeout(() => ws.close(1001, 'Going away: connection lifetime reached'), this.limits.maxLifetimeMs);
    lifetimeTimer.unref();
    this.connections.set(connectionId, {
      ws,
      connectedAt: now,
      lastActiveAt: now,
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
      userAgent: String(req.headers['user-agent'] ?? ''),
      lifetimeTimer,
    });
    this.touch(connectionId);
    this.log({ ws: 'connect', connectionId });
    ws.on('message', (data: Buffer, isBinary: boolean) => this.onMessage(ws, connectionId, authorizer, data, isBinary));
    ws.on('error', () => undefined);
    ws.on('close', () => this.onClose(connectionId, authorizer));
  }

  private onMessage(ws: WebSocket, connectionId: string, authorizer: Record<string, string>, data: Buffer, isBinary: boolean): void {
    if (this.closedForSize.has(ws)) return; // API Gateway closed it: the message is not routed
    this.touch(connectionId);
    if (isBinary) {
      ws.close(1003, 'Binary frames are not supported');
      return;
    }
    const event: WsEvent = {
      requestContext: this.requestContext(connectionId, '$default', 'MESSAGE', authorizer),
      body: data.toString('utf8'),
      isBase64Encoded: false,
    };
    this.runtime
      .invoke('$default', defaultHandler, event)
      .then((result) => {
        const body = typeof result === 'object' && result !== null && 'body' in result ? result.body : undefined;
        if (body !== undefined && ws.readyState === WebSocket.OPEN) ws.send(body);
      })
      .catch((e: unknown) => {
        console.error(JSON.stringify({ level: 'error', msg: '$default failed', connectionId, error: String(e) }));
        if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ message: 'Internal server error', connectionId, requestId: randomUUID() }));
      });
  }

  private onClose(connectionId: string, authorizer: Record<string, string>): void {
    const c = this.connections.get(connectionId);
    if (c?.idleTimer) clearTimeout(c.idleTimer);
    if (c) clearTimeout(c.lifetimeTimer);
    this.connections.delete(connectionId);
    this.log({ ws: 'disconnect', connectionId });
    const event: WsEvent = { requestContext: this.requestContext(connectionId, '$disconnect', 'DISCONNECT', authorizer), isBase64Encoded: false };
    const done = this.runtime
      .invoke('$disconnect', disconnectHandler, event)
      .catch((e: unknown) => console.error(JSON.stringify({ level: 'error', msg: '$disconnect failed', error: String(e) })))
      .finally(() => this.pendingDisconnects.delete(done));
    this.pendingDisconnects.add(done);
  }

  private touch(connectionId: string): void {
    const c = this.connections.get(connectionId);
    if (!c) return;
    c.lastActiveAt = Date.now();
    if (c.idleTimer) clearTimeout(c.idleTimer);
    c.idleTimer = setTimeout(() => c.ws.close(1001, 'Going away: idle timeout'), this.limits.idleTimeoutMs);
    c.idleTimer.unref();
  }

  /** `@connections/{id}`: what the Management API client talks to. */
  async manage(req: IncomingMessage, res: ServerResponse, connectionId: string): Promise<void> {
    if (this.throttle && !this.throttle.take()) {
      await readBody(req, this.limits.maxMessageBytes);
      return send(res, 429, { message: 'Rate exceeded' }, { 'x-amzn-errortype': 'LimitExceededException' });
    }
    const connection = this.connections.get(connectionId);
    const gone = () => send(res, 410, { message: null }, { 'x-amzn-errortype': 'GoneException' });
    const body = await readBody(req, this.limits.maxMessageBytes);
    if (req.method === 'POST') {
      if (!connection || connection.ws.readyState !== WebSocket.OPEN) return gone();
      if (body === 'too-large') return send(res, 413, { message: 'Message too long' }, { 'x-amzn-errortype': 'PayloadTooLargeException' });
      const parts = fragments(body, this.limits.maxFrameBytes);
      for (const [i, part] of parts.entries()) connection.ws.send(part, { binary: false, fin: i === parts.length - 1 });
      this.touch(connectionId);
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

  /** Closes every connection and waits for their $disconnect clean-ups. */
  async stop(): Promise<void> {
    for (const c of this.connections.values()) c.ws.terminate();
    // Each terminated socket emits 'close' a little later, which starts its $disconnect.
    for (let i = 0; i < 200 && this.connections.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
    await Promise.all([...this.pendingDisconnects]);
    this.wss.close();
  }
}
