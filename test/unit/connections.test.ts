import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GoneException } from '@aws-sdk/client-apigatewaymanagementapi';
import { resetConfig } from '../../lambdas/config';
import { closeConnection, closeManagementClient, isGone, isTransient, postToConnection } from '../../lambdas/gateway/connections';
import { DEADLINE_MARGIN_MS, withDeadline } from '../../lambdas/runtime/deadline';

describe('which PostToConnection failures are worth another try', () => {
  it.each([
    ['429 LimitExceededException', { name: 'LimitExceededException', $metadata: { httpStatusCode: 429 } }],
    ['a 500', { name: 'InternalServerErrorException', $metadata: { httpStatusCode: 500 } }],
    ['a 503 without a name', { $metadata: { httpStatusCode: 503 } }],
    ['the SDK timing out', { name: 'TimeoutError' }],
    ['a reset socket before any response', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
  ])('retries %s', (_name, error) => {
    expect(isTransient(error)).toBe(true);
  });

  it.each([
    ['403 ForbiddenException', { name: 'ForbiddenException', $metadata: { httpStatusCode: 403 } }],
    ['413 PayloadTooLargeException', { name: 'PayloadTooLargeException', $metadata: { httpStatusCode: 413 } }],
    ['a programming error', new TypeError('x is not a function')],
  ])('does not retry %s', (_name, error) => {
    expect(isTransient(error)).toBe(false);
  });

  // Each signal alone, so that none of them rides on another.
  it.each([
    ['LimitExceededException by name only', { name: 'LimitExceededException' }],
    ['TooManyRequestsException by name only', { name: 'TooManyRequestsException' }],
    ['a TimeoutError', { name: 'TimeoutError' }],
    ['a bare 429', { $metadata: { httpStatusCode: 429 } }],
    ['a bare 500', { $metadata: { httpStatusCode: 500 } }],
    ['what the SDK marks retryable', { name: 'SomethingElse', $retryable: {} }],
    ...['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'EAI_AGAIN'].map((code) => [`a socket failing with ${code}`, { code }] as [string, object]),
  ])('retries %s', (_name, error) => {
    expect(isTransient(error)).toBe(true);
  });

  it.each([
    ['a 499', { $metadata: { httpStatusCode: 499 } }],
    ['a socket code once a response arrived (403)', { code: 'ECONNRESET', $metadata: { httpStatusCode: 403 } }],
    ['an unknown socket code', { code: 'EACCES' }],
    ['an error without code, name or status', {}],
    ['undefined', undefined],
    ['null', null],
    ['a string', 'LimitExceededException'],
  ])('does not retry %s', (_name, error) => {
    expect(isTransient(error)).toBe(false);
  });
});

describe('which failures mean the connection is gone', () => {
  it.each([
    ['the SDK class', new GoneException({ message: 'gone', $metadata: { httpStatusCode: 410 } })],
    ['the name only (a class from another copy of the SDK)', { name: 'GoneException' }],
    ['a bare 410', { $metadata: { httpStatusCode: 410 } }],
  ])('%s', (_name, error) => {
    expect(isGone(error)).toBe(true);
  });

  it.each([
    ['a 403', { name: 'ForbiddenException', $metadata: { httpStatusCode: 403 } }],
    ['undefined', undefined],
    ['null', null],
  ])('not %s', (_name, error) => {
    expect(isGone(error)).toBe(false);
  });
});

/** A Management API stand-in on 127.0.0.1 answering each request with the next scripted status (then the last). */
describe('posting through the Management API', () => {
  let server: Server;
  let script: number[] = [];
  let requests: string[] = [];
  const ERROR_TYPES: Record<number, string> = {
    403: 'ForbiddenException',
    410: 'GoneException',
    429: 'LimitExceededException',
    503: 'InternalServerErrorException',
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        requests.push(`${req.method} ${req.url}`);
        const status = script.length > 1 ? script.shift()! : script[0]!;
        const type = ERROR_TYPES[status];
        res.writeHead(status, { 'content-type': 'application/json', ...(type ? { 'x-amzn-errortype': type } : {}) });
        res.end(status === 200 || status === 204 ? '' : JSON.stringify({ message: type ?? null }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    process.env.MANAGEMENT_ENDPOINT = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    resetConfig();
    closeManagementClient();
  });
  beforeEach(() => {
    requests = [];
  });
  afterAll(async () => {
    closeManagementClient();
    delete process.env.MANAGEMENT_ENDPOINT;
    resetConfig();
    await new Promise((resolve) => server.close(resolve));
  });

  it('reports a gone connection (410) at once, without another try', async () => {
    script = [410];
    await expect(postToConnection('c1', 'x')).resolves.toBe('gone');
    expect(requests).toEqual(['POST /@connections/c1']);
  });

  it('tries again after throttling until the post goes through', async () => {
    script = [429, 429, 200];
    await expect(postToConnection('c2', 'x')).resolves.toBe('sent');
    expect(requests).toHaveLength(3);
  });

  it('gives up at once on a failure that another try would not change (403)', async () => {
    script = [403];
    await expect(postToConnection('c3', 'x')).rejects.toMatchObject({ name: 'ForbiddenException' });
    expect(requests).toHaveLength(1);
  });

  it('stops trying when the next try would end after the invocation could still answer, and passes the failure on', async () => {
    script = [503];
    const budget = DEADLINE_MARGIN_MS + 300;
    const until = Date.now() + 300;
    await expect(withDeadline({ getRemainingTimeInMillis: () => budget }, () => postToConnection('c4', 'x'))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 503 },
    });
    expect(requests.length).toBeGreaterThan(1);
    // The last wait would have ended before the deadline (a request itself takes a moment more).
    expect(Date.now()).toBeLessThan(until + 200);
  });

  it('closes a connection, and takes a connection already gone as closed', async () => {
    script = [204];
    await expect(closeConnection('c5')).resolves.toBeUndefined();
    script = [410];
    await expect(closeConnection('c6')).resolves.toBeUndefined();
    expect(requests).toEqual(['DELETE /@connections/c5', 'DELETE /@connections/c6']);
    script = [403];
    await expect(closeConnection('c7')).rejects.toMatchObject({ name: 'ForbiddenException' });
  });

  it('refuses to post without a Management API endpoint', async () => {
    const endpoint = process.env.MANAGEMENT_ENDPOINT;
    closeManagementClient();
    delete process.env.MANAGEMENT_ENDPOINT;
    resetConfig();
    try {
      await expect(postToConnection('c8', 'x')).rejects.toThrow('MANAGEMENT_ENDPOINT is not configured.');
    } finally {
      process.env.MANAGEMENT_ENDPOINT = endpoint;
      resetConfig();
    }
  });
});
