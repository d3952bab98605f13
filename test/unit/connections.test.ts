import { isTransient } from '../../lambdas/gateway/connections';

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
});
