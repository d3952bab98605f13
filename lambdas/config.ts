/** Environment, read and validated once per container. */
import { type CreationRestriction, parseCreationRestriction } from './core/policy/creation';
import { AddressPolicy } from './core/targets/addresses';
import { DEFAULTS } from './defaults';
import { TABLES, type TableKey } from './store/schema';

export interface IssuerConfig {
  /** Expected `iss` claim. */
  readonly issuer: string;
  /** JWKS URL of the issuer (fetched once per container and cached by jose). */
  readonly jwksUrl: string;
  /** Subject prefix: subjects are `<prefix>:<claim value>`. */
  readonly prefix: string;
  /** Claim that names the subject. @default 'sub' */
  readonly claim?: string;
  /** Expected `aud` claim, when set. */
  readonly audience?: string;
}

export interface BasicUser {
  readonly username: string;
  readonly password: string;
  readonly subject: string;
}

export interface Config {
  readonly tables: Readonly<Record<TableKey, string>>;
  readonly dynamodbEndpoint?: string;
  readonly managementEndpoint?: string;
  readonly timeoutQueueUrl?: string;
  readonly issuers: readonly IssuerConfig[];
  readonly basicUsers: readonly BasicUser[];
  readonly maxMessageBytes: number;
  readonly maxHttpTimeoutMs: number;
  readonly maxWsTimeoutMs: number;
  readonly cacheTtlMs: number;
  readonly connectionTtlSeconds: number;
  readonly fanoutConcurrency: number;
  /** Recipients one invocation posts itself; the rest go out in batches of this size. */
  readonly fanoutBatchSize: number;
  readonly fanoutQueueUrl?: string;
  /** Who may create things and policies where (Ditto's entity-creation restriction). */
  readonly entityCreation: CreationRestriction;
  /** Header names withheld from recipients on top of the built-in credential headers (lower case). */
  readonly withheldHeaders: readonly string[];
  /** HTTP Basic users that are the devops identity (connections API only; Ditto's devops/foobar locally). */
  readonly devopsUsers: readonly BasicUser[];
  /** Authenticated subjects that count as the devops identity (deployed: from CDK context). */
  readonly devopsSubjects: readonly string[];
  /** Which addresses connection targets may reach (public ones plus these allowed networks). */
  readonly targetAddresses: AddressPolicy;
  /** Queue of target pushes (on AWS); locally they run in-process. */
  readonly targetQueueUrl?: string;
  /** Longest wait for a target's HTTP response. */
  readonly targetTimeoutMs: number;
}

function int(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`Environment variable ${name} must be a non-negative integer, got '${raw}'.`);
  return value;
}

function parseIssuers(raw: string | undefined): IssuerConfig[] {
  if (!raw) return [];
  const parsed: unknown = JSON.parse(raw);
  if (!Array.isArray(parsed)) throw new Error('AUTH_ISSUERS must be a JSON array.');
  return parsed.map((i: Partial<IssuerConfig>, n) => {
    if (typeof i.issuer !== 'string' || typeof i.jwksUrl !== 'string' || typeof i.prefix !== 'string') {
      throw new Error(`AUTH_ISSUERS[${n}] needs 'issuer', 'jwksUrl' and 'prefix' strings.`);
    }
    return i as IssuerConfig;
  });
}

/** `user:password[:subject]` pairs separated by commas; the subject defaults to `nginx:<user>` as in Ditto. */
export function parseBasicUsers(raw: string | undefined): BasicUser[] {
  if (!raw) return [];
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((entry) => {
      const [username, password, ...subject] = entry.split(':');
      if (!username || password === undefined) throw new Error(`DEV_BASIC_USERS entry '${entry}' must be 'user:password[:subject]'.`);
      return { username, password, subject: subject.length > 0 ? subject.join(':') : `nginx:${username}` };
    });
}

/** A comma-separated list. */
const list = (raw: string | undefined): string[] =>
  (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

let cached: Config | undefined;

export function getConfig(): Config {
  if (cached) return cached;
  const env = process.env;
  const tables = Object.fromEntries(Object.entries(TABLES).map(([key, t]) => [key, env[t.envName] ?? `ditto-${key}`])) as Record<TableKey, string>;
  cached = {
    tables,
    ...(env.DYNAMODB_ENDPOINT ? { dynamodbEndpoint: env.DYNAMODB_ENDPOINT } : {}),
    ...(env.MANAGEMENT_ENDPOINT ? { managementEndpoint: env.MANAGEMENT_ENDPOINT } : {}),
    ...(env.TIMEOUT_QUEUE_URL ? { timeoutQueueUrl: env.TIMEOUT_QUEUE_URL } : {}),
    issuers: parseIssuers(env.AUTH_ISSUERS),
    basicUsers: parseBasicUsers(env.DEV_BASIC_USERS),
    maxMessageBytes: int('MAX_MESSAGE_BYTES', DEFAULTS.maxMessageBytes),
    maxHttpTimeoutMs: int('MAX_HTTP_TIMEOUT_MS', DEFAULTS.maxHttpTimeoutSeconds * 1000),
    maxWsTimeoutMs: int('MAX_WS_TIMEOUT_MS', DEFAULTS.maxWsTimeoutMs),
    cacheTtlMs: int('CACHE_TTL_MS', DEFAULTS.cacheTtlMs),
    connectionTtlSeconds: int('CONNECTION_TTL_SECONDS', DEFAULTS.connectionTtlSeconds),
    fanoutConcurrency: Math.max(1, int('FANOUT_CONCURRENCY', DEFAULTS.fanoutConcurrency)),
    fanoutBatchSize: Math.max(1, int('FANOUT_BATCH_SIZE', DEFAULTS.fanoutBatchSize)),
    ...(env.FANOUT_QUEUE_URL ? { fanoutQueueUrl: env.FANOUT_QUEUE_URL } : {}),
    entityCreation: parseCreationRestriction(env.ENTITY_CREATION ? (JSON.parse(env.ENTITY_CREATION) as unknown) : undefined),
    withheldHeaders: list(env.WITHHELD_HEADERS).map((h) => h.toLowerCase()),
    devopsUsers: parseBasicUsers(env.DEVOPS_BASIC_USERS),
    devopsSubjects: list(env.DEVOPS_SUBJECTS),
    targetAddresses: new AddressPolicy(list(env.TARGET_ALLOWED_NETWORKS)),
    ...(env.TARGET_QUEUE_URL ? { targetQueueUrl: env.TARGET_QUEUE_URL } : {}),
    targetTimeoutMs: int('TARGET_TIMEOUT_MS', DEFAULTS.targetTimeoutMs),
  };
  return cached;
}

/** For tests and the local runtime, which set the environment after modules load. */
export function resetConfig(): void {
  cached = undefined;
}
