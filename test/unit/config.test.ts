/**
 * Configuration from the environment: every variable reaches its field, blanks mean "default", and a malformed
 * value stops the container instead of running with a wrong one.
 */
import { getConfig, parseBasicUsers, resetConfig } from '../../lambdas/config';
import { DEFAULTS } from '../../lambdas/defaults';
import { TABLES } from '../../lambdas/store/schema';

const saved = { ...process.env };
/** The configuration read from exactly these variables (on top of a clean environment). */
function configWith(vars: Record<string, string>) {
  process.env = { ...saved };
  const tableVars = Object.values(TABLES).map((t) => t.envName);
  for (const name of [...Object.keys(NUMBERS), ...tableVars, 'AUTH_ISSUERS', 'DEV_BASIC_USERS', 'DEVOPS_BASIC_USERS', 'WITHHELD_HEADERS', 'DEVOPS_SUBJECTS'])
    delete process.env[name];
  Object.assign(process.env, vars);
  resetConfig();
  return getConfig();
}
afterEach(() => {
  process.env = { ...saved };
  resetConfig();
});

/** Each numeric variable, the field it sets and its default. */
const NUMBERS = {
  MAX_MESSAGE_BYTES: ['maxMessageBytes', DEFAULTS.maxMessageBytes],
  MAX_HTTP_TIMEOUT_MS: ['maxHttpTimeoutMs', DEFAULTS.maxHttpTimeoutSeconds * 1000],
  MAX_WS_TIMEOUT_MS: ['maxWsTimeoutMs', DEFAULTS.maxWsTimeoutMs],
  CACHE_TTL_MS: ['cacheTtlMs', DEFAULTS.cacheTtlMs],
  CONNECTION_TTL_SECONDS: ['connectionTtlSeconds', DEFAULTS.connectionTtlSeconds],
  FANOUT_CONCURRENCY: ['fanoutConcurrency', DEFAULTS.fanoutConcurrency],
  FANOUT_BATCH_SIZE: ['fanoutBatchSize', DEFAULTS.fanoutBatchSize],
  TARGET_TIMEOUT_MS: ['targetTimeoutMs', DEFAULTS.targetTimeoutMs],
} as const;

describe('numeric settings', () => {
  const cases = Object.entries(NUMBERS).map(([name, [field, fallback]]) => [name, field, fallback] as const);
  it.each(cases)('%s sets %s, and unset or blank means the default (%d)', (name, field, fallback) => {
    expect(configWith({ [name]: '7' })[field]).toBe(7);
    expect(configWith({})[field]).toBe(fallback);
    expect(configWith({ [name]: '' })[field]).toBe(fallback);
  });

  it('accepts zero where zero is meaningful (no cache)', () => {
    expect(configWith({ CACHE_TTL_MS: '0' }).cacheTtlMs).toBe(0);
  });

  it('keeps fan-out concurrency and batch size at least 1, and larger values as given', () => {
    expect(configWith({ FANOUT_CONCURRENCY: '0', FANOUT_BATCH_SIZE: '0' })).toMatchObject({ fanoutConcurrency: 1, fanoutBatchSize: 1 });
    expect(configWith({ FANOUT_CONCURRENCY: '5', FANOUT_BATCH_SIZE: '9' })).toMatchObject({ fanoutConcurrency: 5, fanoutBatchSize: 9 });
  });

  it.each(['soon', '-1', '1.5'])('refuses %j with the variable named', (raw) => {
    expect(() => configWith({ CACHE_TTL_MS: raw })).toThrow(`Environment variable CACHE_TTL_MS must be a non-negative integer, got '${raw}'.`);
  });
});

describe('names and endpoints', () => {
  it('takes table names from their variables, else ditto-<table>', () => {
    for (const [key, table] of Object.entries(TABLES) as [keyof typeof TABLES, (typeof TABLES)[keyof typeof TABLES]][]) {
      expect(configWith({}).tables[key]).toBe(`ditto-${key}`);
      expect(configWith({ [table.envName]: `custom-${key}` }).tables[key]).toBe(`custom-${key}`);
    }
  });

  it('sets queue URLs and endpoints only when given', () => {
    const vars = {
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:1',
      MANAGEMENT_ENDPOINT: 'http://127.0.0.1:2',
      TIMEOUT_QUEUE_URL: 'https://sqs/timeout',
      FANOUT_QUEUE_URL: 'https://sqs/fanout',
      TARGET_QUEUE_URL: 'https://sqs/target',
    };
    expect(configWith(vars)).toMatchObject({
      dynamodbEndpoint: vars.DYNAMODB_ENDPOINT,
      managementEndpoint: vars.MANAGEMENT_ENDPOINT,
      timeoutQueueUrl: vars.TIMEOUT_QUEUE_URL,
      fanoutQueueUrl: vars.FANOUT_QUEUE_URL,
      targetQueueUrl: vars.TARGET_QUEUE_URL,
    });
    const none = configWith({ DYNAMODB_ENDPOINT: '', MANAGEMENT_ENDPOINT: '', TIMEOUT_QUEUE_URL: '', FANOUT_QUEUE_URL: '', TARGET_QUEUE_URL: '' });
    for (const field of ['dynamodbEndpoint', 'managementEndpoint', 'timeoutQueueUrl', 'fanoutQueueUrl', 'targetQueueUrl'])
      expect(none).not.toHaveProperty(field);
  });
});

describe('lists', () => {
  it('withheld headers: trimmed, blanks dropped, lower-cased', () => {
    expect(configWith({ WITHHELD_HEADERS: ' X-Api-Key , ,X-Tenant,' }).withheldHeaders).toEqual(['x-api-key', 'x-tenant']);
    expect(configWith({}).withheldHeaders).toEqual([]);
  });

  it('devops subjects: trimmed, blanks dropped, case kept', () => {
    expect(configWith({ DEVOPS_SUBJECTS: ' oidc:Admin ,, google:ops ' }).devopsSubjects).toEqual(['oidc:Admin', 'google:ops']);
  });

  it('Basic users: Ditto-style default subjects, blanks between commas ignored, entries trimmed', () => {
    expect(parseBasicUsers(' ditto:ditto , , devops:foobar:nginx:devops-admin,')).toEqual([
      { username: 'ditto', password: 'ditto', subject: 'nginx:ditto' },
      { username: 'devops', password: 'foobar', subject: 'nginx:devops-admin' },
    ]);
    expect(parseBasicUsers(undefined)).toEqual([]);
    expect(() => parseBasicUsers('nopassword')).toThrow("DEV_BASIC_USERS entry 'nopassword' must be 'user:password[:subject]'.");
    expect(configWith({ DEVOPS_BASIC_USERS: 'devops:foobar' }).devopsUsers).toEqual([{ username: 'devops', password: 'foobar', subject: 'nginx:devops' }]);
  });
});

describe('JWT issuers', () => {
  const issuer = { issuer: 'https://idp', jwksUrl: 'https://idp/jwks', prefix: 'idp' };

  it('reads a JSON array of issuers', () => {
    expect(configWith({ AUTH_ISSUERS: JSON.stringify([issuer]) }).issuers).toEqual([issuer]);
    expect(configWith({}).issuers).toEqual([]);
  });

  it('refuses anything but an array', () => {
    expect(() => configWith({ AUTH_ISSUERS: JSON.stringify(issuer) })).toThrow('AUTH_ISSUERS must be a JSON array.');
  });

  it.each(['issuer', 'jwksUrl', 'prefix'])('refuses an issuer without %s', (missing) => {
    const partial = { ...issuer, [missing]: 3 };
    expect(() => configWith({ AUTH_ISSUERS: JSON.stringify([issuer, partial]) })).toThrow("AUTH_ISSUERS[1] needs 'issuer', 'jwksUrl' and 'prefix' strings.");
  });
});
