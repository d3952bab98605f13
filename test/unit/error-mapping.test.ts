/**
 * The one error mapping (handlers/to-ditto-error.ts): which failures clients see as 503 (retry) rather than 500, what
 * an operator finds in the log for each, and the correlation-id on error responses.
 */
import { ThingNotFoundError, AuthenticationFailedError } from '../../lambdas/core/errors';
import { httpError, toDittoError } from '../../lambdas/handlers/to-ditto-error';
import { logger } from '../../lambdas/observability/logger';
import { logged } from '../support/logs';

const level = logger.getLevelName();
beforeAll(() => logger.setLogLevel('INFO'));
afterAll(() => logger.setLogLevel(level));

const statusOf = (e: unknown) => toDittoError(e, { where: 'test' }).status;
const named = (name: string) => Object.assign(new Error('x'), { name });
const coded = (code: string) => Object.assign(new Error('x'), { code });
const withStatus = (httpStatusCode: number) => Object.assign(new Error('x'), { $metadata: { httpStatusCode } });

describe('a backing service that is unavailable is a 503, anything else unexpected a 500', () => {
  it.each([
    ['a throttled DynamoDB call', named('ThrottlingException')],
    ['an SDK timeout', named('TimeoutError')],
    ['a refused connection (code)', coded('ECONNREFUSED')],
    ['a DNS failure (code)', coded('EAI_AGAIN')],
    ['a network failure only named in the text', new Error('AWS SDK error wrapper for Error: connect ECONNRESET 10.0.0.1:443')],
    ['a hung-up socket', new Error('socket hang up')],
    ['a 500 from AWS', withStatus(500)],
    ['a 503 from AWS', withStatus(503)],
    ['one refused address of several (AggregateError)', new AggregateError([new Error('no'), coded('ECONNREFUSED')])],
    ['a cause that is unavailable', new Error('outer', { cause: coded('ETIMEDOUT') })],
  ])('503 for %s', (_what, e) => {
    expect(statusOf(e)).toBe(503);
  });

  it.each([
    ['a plain bug', new TypeError('x is undefined')],
    ['a 4xx from AWS', withStatus(499)],
    ['an AggregateError of bugs', new AggregateError([new Error('a'), new TypeError('b')])],
    ['a cause that is a bug', new Error('outer', { cause: new TypeError('inner') })],
    [
      'an error that is its own cause',
      (() => {
        const e = new Error('loop');
        (e as { cause?: unknown }).cause = e;
        return e;
      })(),
    ],
    ['null', null],
    ['a string naming a network error', 'ECONNREFUSED'],
    ['an unknown name', named('ValidationException')],
    ['an unknown code', coded('EACCES')],
  ])('500 for %s', (_what, e) => {
    expect(statusOf(e)).toBe(500);
  });

  it('keeps the original failure as the cause of the 503 (for the log, never for the client)', () => {
    const refused = coded('ECONNREFUSED');
    expect(toDittoError(refused, { where: 'test' }).cause).toBe(refused);
  });
});

describe('what the log says', () => {
  it('a refused credential: an INFO line with where and the reason', () => {
    const lines = logged(() => toDittoError(new AuthenticationFailedError('the token expired'), { where: 'http-api' }));
    expect(lines).toEqual([expect.objectContaining({ level: 'INFO', message: 'authentication failed', where: 'http-api', reason: 'the token expired' })]);
  });

  it('an ordinary Ditto error (404): nothing', () => {
    expect(logged(() => toDittoError(new ThingNotFoundError('ns:t'), { where: 'http-api' }))).toEqual([]);
  });

  it('an unavailable backend: a WARN line with where and the error', () => {
    const lines = logged(() => toDittoError(coded('ECONNREFUSED'), { where: 'fanout' }));
    expect(lines).toEqual([
      expect.objectContaining({ level: 'WARN', message: 'backend unavailable', where: 'fanout', error: expect.objectContaining({ message: 'x' }) }),
    ]);
  });

  it('a bug whose cause chain loops: still one ERROR line (Powertools would recurse forever on it)', () => {
    const e = new Error('loop');
    const outer = new Error('outer', { cause: e });
    (e as { cause?: unknown }).cause = outer;
    const lines = logged(() => expect(toDittoError(outer, { where: 'test' }).status).toBe(500));
    expect(lines).toEqual([expect.objectContaining({ level: 'ERROR', where: 'test', error: expect.objectContaining({ message: 'outer' }) })]);
  });

  it('a bug: an ERROR line with where and the error', () => {
    const lines = logged(() => toDittoError(new TypeError('x is undefined'), { where: '$default' }));
    expect(lines).toEqual([
      expect.objectContaining({ level: 'ERROR', message: 'unhandled error', where: '$default', error: expect.objectContaining({ message: 'x is undefined' }) }),
    ]);
  });
});

describe('error responses', () => {
  it('carry no correlation-id header when the request had none', () => {
    expect(httpError(new ThingNotFoundError('ns:t'), { where: 'test' }).headers).toStrictEqual({ 'content-type': 'application/json' });
  });
});
