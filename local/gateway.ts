/**
 * The local gateway: one HTTP server that emulates API Gateway closely enough that the Lambda
 * handler modules run unchanged. It composes the emulations: the HTTP API (`http-api.ts`), the
 * WebSocket API with its `@connections` endpoint (`websocket-api.ts`), Lambda's invocation model
 * (`lambda-runtime.ts`), the in-process queues and the scheduled expiry sweep.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { resetConfig } from '../lambdas/config';
import { WEBSOCKET_LIMITS } from '../lambdas/defaults';
import { buildConsole, CONSOLE_CONTENT_TYPES, CONSOLE_CSP, type ConsoleFiles } from '../console/build';
import { closeManagementClient } from '../lambdas/gateway/connections';
import { cancelLocalTimeouts } from '../lambdas/gateway/timeouts';
import { handler as fanOutHandler } from '../lambdas/handlers/fanout';
import { handler as targetPushHandler } from '../lambdas/handlers/target-push';
import { handler as sweepHandler } from '../lambdas/handlers/token-sweep';
import { handler as timeoutHandler } from '../lambdas/handlers/ws-timeout';
import { registerLocalConsumers } from '../lambdas/runtime/local-consumers';
import { closeDocumentClient } from '../lambdas/store/client';
import { DEV_JWKS_PATH, devIssuerConfig, ensureDevKey } from './dev-auth';
import { ensureLocalCredentials } from './dynamodb';
import { serveHttpApi } from './http-api';
import { send } from './http-util';
import { LambdaRuntime } from './lambda-runtime';
import { LocalWebSocketApi, TokenBucket } from './websocket-api';

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
  /** Networks connection targets may reach besides public addresses. @default loopback (127.0.0.0/8, ::1) */
  readonly targetAllowedNetworks?: readonly string[];
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

/** The handlers read their configuration from the environment, as in Lambda. */
function configureHandlers(options: GatewayOptions, httpUrl: string, maxMessageBytes: number): void {
  process.env.DYNAMODB_ENDPOINT = options.dynamodbEndpoint;
  process.env.MANAGEMENT_ENDPOINT = httpUrl;
  const extraIssuers = typeof options.extraIssuers === 'function' ? options.extraIssuers(httpUrl) : (options.extraIssuers ?? []);
  process.env.AUTH_ISSUERS = JSON.stringify([devIssuerConfig(httpUrl), ...extraIssuers]);
  process.env.DEV_BASIC_USERS = options.basicUsers ?? 'ditto:ditto';
  process.env.MAX_MESSAGE_BYTES ??= String(maxMessageBytes);
  if (options.entityCreation) process.env.ENTITY_CREATION = JSON.stringify(options.entityCreation);
  // Ditto's default devops user; locally, connection targets may be on this machine (unless the environment says otherwise).
  process.env.DEVOPS_BASIC_USERS = STARTUP_ENV.DEVOPS_BASIC_USERS ?? 'devops:foobar:nginx:devops';
  process.env.TARGET_ALLOWED_NETWORKS = options.targetAllowedNetworks?.join(',') ?? STARTUP_ENV.TARGET_ALLOWED_NETWORKS ?? LOOPBACK.join(',');
  delete process.env.TARGET_QUEUE_URL;
  delete process.env.TIMEOUT_QUEUE_URL;
  resetConfig();
}

const LOOPBACK = ['127.0.0.0/8', '::1/128'];
/** The environment before any gateway set its own values (several gateways may start in one process). */
const STARTUP_ENV = { DEVOPS_BASIC_USERS: process.env.DEVOPS_BASIC_USERS, TARGET_ALLOWED_NETWORKS: process.env.TARGET_ALLOWED_NETWORKS };

/** The live console's files at the root (deployed: under /console/ behind CloudFront). */
const CONSOLE_PATHS: Readonly<Record<string, keyof ConsoleFiles>> = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/console.js': 'console.js',
  '/console.css': 'console.css',
};
let consoleFiles: ConsoleFiles | undefined;

function serveConsole(res: ServerResponse, file: keyof ConsoleFiles): void {
  consoleFiles ??= buildConsole(); // built once, on first request (esbuild, tens of milliseconds)
  res.writeHead(200, {
    'content-type': CONSOLE_CONTENT_TYPES[file],
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'content-security-policy': CONSOLE_CSP,
  });
  res.end(consoleFiles[file]);
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

export async function startGateway(options: GatewayOptions): Promise<LocalGateway> {
  ensureLocalCredentials();
  const { publicJwk } = await ensureDevKey(options.devKeyFile);
  const limits = {
    maxMessageBytes: options.maxMessageBytes ?? WEBSOCKET_LIMITS.maxMessageBytes,
    maxFrameBytes: options.maxFrameBytes ?? WEBSOCKET_LIMITS.maxFrameBytes,
    idleTimeoutMs: options.idleTimeoutMs ?? WEBSOCKET_LIMITS.idleTimeoutMs,
    maxLifetimeMs: options.maxLifetimeMs ?? WEBSOCKET_LIMITS.maxLifetimeMs,
  };
  const log = (line: object) => options.verbose && console.log(JSON.stringify(line));
  const runtime = new LambdaRuntime(options.maxConcurrentInvocations ?? 256, options.onInvoke);

  let webSocketApi: LocalWebSocketApi | undefined;
  let host = '';
  const server: Server = createServer((req, res) => {
    route(req, res).catch((e: unknown) => {
      console.error(JSON.stringify({ level: 'error', msg: 'local gateway request failed', error: String(e) }));
      if (!res.headersSent) send(res, 500, { message: 'Internal server error' });
      else res.end();
    });
  });
  const port = await listen(server, options.port ?? 8080);
  host = `127.0.0.1:${port}`;
  const httpUrl = `http://${host}`;
  configureHandlers(options, httpUrl, limits.maxMessageBytes);

  const throttle = options.connectionsThrottle ? new TokenBucket(options.connectionsThrottle.rate, options.connectionsThrottle.burst) : undefined;
  const ws = new LocalWebSocketApi(runtime, host, limits, throttle, log);
  webSocketApi = ws;
  server.on('upgrade', (req, socket, head) => ws.upgrade(req, socket, head));

  // Queues are in-process here: each message is an invocation of its consumer, as on AWS.
  registerLocalConsumers({ fanout: fanOutHandler, 'ws-timeout': timeoutHandler, 'target-push': targetPushHandler }, (name, consumer, event) =>
    runtime.invoke(name, consumer, event),
  );

  // The scheduled expiry sweep (EventBridge every minute on AWS), one run at a time.
  let sweeping: Promise<unknown> | undefined;
  const sweepTimer = setInterval(() => {
    sweeping ??= runtime
      .invoke('token-sweep', sweepHandler, undefined)
      .catch((e: unknown) => console.error(JSON.stringify({ level: 'error', msg: 'token sweep failed', error: String(e) })))
      .finally(() => {
        sweeping = undefined;
      });
  }, options.sweepIntervalMs ?? 60_000);
  sweepTimer.unref();

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawPath = (req.url ?? '/').split('?')[0]!;
    if (rawPath === DEV_JWKS_PATH) return send(res, 200, { keys: [publicJwk] });
    if (rawPath === '/health') {
      const { rss, heapUsed } = process.memoryUsage();
      return send(res, 200, { status: 'UP', connections: webSocketApi?.size ?? 0, memory: { rssBytes: rss, heapUsedBytes: heapUsed } });
    }
    if (req.method === 'GET' && CONSOLE_PATHS[rawPath] !== undefined) return serveConsole(res, CONSOLE_PATHS[rawPath]);
    if (rawPath.startsWith('/@connections/') && webSocketApi) return webSocketApi.manage(req, res, decodeURIComponent(rawPath.slice('/@connections/'.length)));
    const status = await serveHttpApi(req, res, runtime, host);
    log({ http: req.method, path: rawPath, status });
  }

  return {
    port,
    httpUrl,
    wsUrl: `ws://${host}/ws/2`,
    connectionCount: () => ws.size,
    async stop() {
      clearInterval(sweepTimer);
      await sweeping;
      // Connections go first (their $disconnect clean-ups finish), then timers, server and clients.
      await ws.stop();
      cancelLocalTimeouts();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      closeManagementClient();
      closeDocumentClient();
    },
  };
}
