/**
 * Every default in one place: the CDK app and stack, the handlers' configuration and the local
 * runtime read these, so a default changes here and nowhere else. Where a value mirrors an AWS
 * limit, the comment names it.
 */
export const DEFAULTS = {
  /** Largest message envelope: API Gateway's WebSocket message limit (128 KiB). */
  maxMessageBytes: 128 * 1024,
  /** Longest HTTP wait: API Gateway ends HTTP API integrations at 30 s. */
  maxHttpTimeoutSeconds: 29,
  /** Longest WebSocket wait: SQS's longest delivery delay (15 minutes). */
  maxWsTimeoutMs: 900_000,
  /** How long a container caches a thing and its compiled policy. */
  cacheTtlMs: 2_000,
  /** Connection records outlive API Gateway's 2 h connection limit by 5 minutes. */
  connectionTtlSeconds: 2 * 3600 + 300,
  /** Posts in flight per invocation. */
  fanoutConcurrency: 64,
  /** Recipients one invocation posts itself; the rest go out in batches of this size. */
  fanoutBatchSize: 250,
  /** Longest wait for a connection target's HTTP response (inside the push function's 30 s). */
  targetTimeoutMs: 20_000,
  lambdaMemoryMb: 512,
  logRetentionDays: 30,
  logLevel: 'INFO',
  throttle: { rateLimit: 500, burstLimit: 1000 },
  webSocketStageName: 'ws',
} as const;

/** Function timeouts in seconds, by handler (the local runtime gives its invocations the same). */
export const FUNCTION_TIMEOUT_SECONDS = {
  'ws-authorizer': 5,
  'ws-connect': 10,
  'ws-disconnect': 10,
  // API Gateway WebSocket integrations end at 29 s.
  'ws-default': 29,
  'ws-timeout': 20,
  fanout: 30,
  'target-push': 30,
  'token-sweep': 50,
  // The HTTP function waits for responses: it must outlive the longest wait.
  'http-api': DEFAULTS.maxHttpTimeoutSeconds + 1,
} as const;

/** API Gateway's WebSocket limits, which the local runtime emulates. */
export const WEBSOCKET_LIMITS = {
  /** A client frame over 32 KB closes the connection with 1009. */
  maxFrameBytes: 32 * 1024,
  maxMessageBytes: DEFAULTS.maxMessageBytes,
  idleTimeoutMs: 10 * 60_000,
  maxLifetimeMs: 2 * 3600_000,
} as const;
