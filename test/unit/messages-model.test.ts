/** The live message model: which messages are claims, what a built message carries, the bounded cache behind it. */
import { BoundedCache } from '../../lambdas/core/lru';
import { buildLiveMessage, isClaim, recipientEnvelope } from '../../lambdas/core/messages';

describe('claims', () => {
  it.each([
    [{ subject: 'claim', direction: 'inbox' as const }, true],
    [{ subject: 'claim', direction: 'outbox' as const }, false],
    [{ subject: 'claim', direction: 'inbox' as const, featureId: 'lamp' }, false],
    [{ subject: 'claims', direction: 'inbox' as const }, false],
  ])('%o is a claim: %s (claims need no WRITE, only to the thing inbox)', (m, expected) => {
    expect(isClaim(m)).toBe(expected);
  });
});

describe('a built message', () => {
  it('carries its correlation-id and content-type when given, and none when not', () => {
    const full = buildLiveMessage({
      thingId: 'ns:t',
      direction: 'outbox',
      subject: 'a/b',
      featureId: 'f',
      headers: { 'correlation-id': 'c', 'content-type': 'text/plain' },
      value: 'v',
    });
    expect(full).toEqual({
      thingId: 'ns:t',
      namespace: 'ns',
      subject: 'a/b',
      direction: 'outbox',
      featureId: 'f',
      path: '/features/f/outbox/messages/a/b',
      topic: 'ns/t/things/live/messages/a/b',
      headers: { 'correlation-id': 'c', 'content-type': 'text/plain' },
      value: 'v',
      correlationId: 'c',
      contentType: 'text/plain',
    });
    const bare = buildLiveMessage({ thingId: 'ns:t', direction: 'inbox', subject: 's', headers: {} });
    expect(Object.keys(bare).sort()).toEqual(['direction', 'headers', 'namespace', 'path', 'subject', 'thingId', 'topic']);
  });

  it('reaches recipients with forwarded headers, the originator and its value only when it has one', () => {
    const m = buildLiveMessage({ thingId: 'ns:t', direction: 'inbox', subject: 's', headers: { authorization: 'x', 'x-a': '1', 'x-secret': 's' } });
    expect(recipientEnvelope(m, 'local:me', { timeout: '5s' }, ['x-secret'])).toEqual({
      topic: 'ns/t/things/live/messages/s',
      path: '/inbox/messages/s',
      headers: { 'x-a': '1', 'ditto-originator': 'local:me', timeout: '5s' },
    });
    expect('value' in recipientEnvelope(m, 'local:me')).toBe(false);
    expect(recipientEnvelope({ ...m, value: 0 }, 'local:me').value).toBe(0);
  });
});

describe('the bounded cache', () => {
  it('returns what was set, creates once, forgets on delete and drops the least recently used when full', () => {
    const cache = new BoundedCache<number>(2);
    let created = 0;
    expect(cache.getOrCreate('a', () => ++created)).toBe(1);
    expect(cache.getOrCreate('a', () => ++created)).toBe(1);
    cache.set('b', 2);
    cache.get('a'); // a is now more recent than b
    cache.set('c', 3);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    cache.delete('a');
    expect(cache.get('a')).toBeUndefined();
    expect(cache.getOrCreate('c', () => 99)).toBe(3);
  });
});
