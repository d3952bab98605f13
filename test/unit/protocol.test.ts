import { DittoError } from '../../lambdas/core/errors';
import { parseNamespacedId } from '../../lambdas/core/ids';
import { buildLiveMessage, expectationOf, messageFromEnvelope, recipientEnvelope } from '../../lambdas/core/messages';
import {
  ack,
  bodyToValue,
  buildErrorTopic,
  buildMessagePath,
  buildMessageTopic,
  errorEnvelope,
  forwardedHeaders,
  parseControlFrame,
  parseEnvelope,
  parseMessagePath,
  parseMessageTopic,
  parseTimeoutMs,
  valueToBody,
} from '../../lambdas/core/protocol';
import { RequestTimeoutError } from '../../lambdas/core/errors';

const errorCode = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return e instanceof DittoError ? e.error : `not a DittoError: ${String(e)}`;
  }
  return undefined;
};

describe('thing ids', () => {
  it.each(['org.eclipse.ditto:fancy-car', 'com.some-domain:x', ':no-namespace', 'a_b.c:ü'.replace('ü', 'u'), 'ns:with:colons'])('accepts %s', (id) => {
    const colon = id.indexOf(':');
    expect(parseNamespacedId(id)).toEqual({ namespace: id.slice(0, colon), name: id.slice(colon + 1) });
  });
  it.each(['no-colon', 'ns:', '1ns:x', 'ns:a/b', 'ns:ctrl\u0001', 'ns:latin\u00e9', `ns:${'x'.repeat(300)}`, 'ns..x:y'])('rejects %s', (id) => {
    expect(parseNamespacedId(id)).toBeUndefined();
  });
});

describe('topics and paths', () => {
  it('builds the message topic', () => {
    expect(buildMessageTopic('org.eclipse.ditto:car-1', 'hello.world')).toBe('org.eclipse.ditto/car-1/things/live/messages/hello.world');
  });
  it('builds error topics with and without a thing', () => {
    expect(buildErrorTopic('ns:t')).toBe('ns/t/things/live/errors');
    expect(buildErrorTopic()).toBe('_/_/things/live/errors');
  });
  it('builds feature message paths', () => {
    expect(buildMessagePath({ direction: 'inbox', subject: 'on', featureId: 'lamp' })).toBe('/features/lamp/inbox/messages/on');
    expect(buildMessagePath({ direction: 'outbox', subject: 'ask/question' })).toBe('/outbox/messages/ask/question');
  });
  it('parses a topic whose subject contains slashes', () => {
    expect(parseMessageTopic('ns/t/things/live/messages/ask/question')).toEqual({ thingId: 'ns:t', namespace: 'ns', name: 't', subject: 'ask/question' });
  });
  it.each([
    ['ns/t/things/twin/messages/x', 'gateway:method.notimplemented'],
    ['ns/t/things/live/commands/modify', 'gateway:method.notimplemented'],
    ['ns/t/things/live/bogus/x', 'messages:messageformat.invalid'],
    ['ns/t/gadgets/live/messages/x', 'messages:messageformat.invalid'],
    ['ns/t/things/live/messages/', 'messages:subject.invalid'],
    ['1ns/t/things/live/messages/x', 'things:id.invalid'],
    ['short', 'messages:messageformat.invalid'],
  ])('rejects topic %s with %s', (topic, code) => {
    expect(errorCode(() => parseMessageTopic(topic))).toBe(code);
  });
  it('parses message paths', () => {
    expect(parseMessagePath('/features/lamp/outbox/messages/a/b')).toEqual({ direction: 'outbox', subject: 'a/b', featureId: 'lamp' });
    expect(parseMessagePath('/inbox/claim')).toEqual({ direction: 'inbox', subject: 'claim' });
    expect(errorCode(() => parseMessagePath('/attributes/x'))).toBe('messages:messageformat.invalid');
    expect(errorCode(() => parseMessagePath('/inbox/messages//'))).toBe('messages:subject.invalid');
  });
});

describe('envelopes', () => {
  const valid = {
    topic: 'ns/t/things/live/messages/turnOff',
    path: '/inbox/messages/turnOff',
    headers: { 'Correlation-Id': 'c1', 'content-type': 'application/json' },
    value: { a: 1 },
  };

  it('parses an envelope and lower-cases header names', () => {
    const e = parseEnvelope(JSON.stringify(valid));
    expect(e.headers['correlation-id']).toBe('c1');
    expect(e.value).toEqual({ a: 1 });
  });
  it.each([
    ['invalid JSON', '{nope', 'json.invalid'],
    ['a non-object', '[1,2]', 'messages:messageformat.invalid'],
    ['a missing topic', JSON.stringify({ path: '/' }), 'messages:messageformat.invalid'],
    ['a wrong type', JSON.stringify({ ...valid, headers: 'x' }), 'messages:messageformat.invalid'],
    ['an extra field', JSON.stringify({ ...valid, surprise: 1 }), 'messages:messageformat.invalid'],
    ['a bad status', JSON.stringify({ ...valid, status: 42 }), 'messages:messageformat.invalid'],
    ['deep nesting', `{"topic":"a","path":"b","value":${'['.repeat(100)}${']'.repeat(100)}}`, 'json.invalid'],
    [
      'too many headers',
      JSON.stringify({ ...valid, headers: Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`h${i}`, 'v'])) }),
      'gateway:headers.toolarge',
    ],
    ['a huge header value', JSON.stringify({ ...valid, headers: { x: 'v'.repeat(10_000) } }), 'gateway:headers.toolarge'],
  ])('rejects %s', (_n, text, code) => {
    expect(errorCode(() => parseEnvelope(text))).toBe(code);
  });
  it('requires topic and path to agree on the subject', () => {
    const e = parseEnvelope(JSON.stringify({ ...valid, path: '/inbox/messages/turnOn' }));
    expect(errorCode(() => messageFromEnvelope(e))).toBe('messages:messageformat.invalid');
  });
  it('requires a feature-id header to match the path', () => {
    const e = parseEnvelope(JSON.stringify({ ...valid, headers: { 'feature-id': 'lamp' } }));
    expect(errorCode(() => messageFromEnvelope(e))).toBe('messages:messageformat.invalid');
  });
  it('builds the error envelope', () => {
    const env = errorEnvelope(new RequestTimeoutError(250, 'c1'), 'ns:t', 'c1');
    expect(env).toMatchObject({ topic: 'ns/t/things/live/errors', path: '/', status: 408, headers: { 'correlation-id': 'c1' } });
    expect(env.value).toMatchObject({ status: 408, error: 'acknowledgement:request.timeout' });
  });
});

describe('headers', () => {
  it('never forwards credentials or a spoofed originator, adds ditto-originator', () => {
    const out = forwardedHeaders({ authorization: 'Bearer x', 'ditto-originator': 'evil:me', 'x-custom': 'keep', 'correlation-id': 'c' }, 'local:alice');
    expect(out).toEqual({ 'x-custom': 'keep', 'correlation-id': 'c', 'ditto-originator': 'local:alice' });
  });
  // Written out here, not imported: dropping a name from the withheld list must break this test.
  it.each([
    'authorization',
    'proxy-authorization',
    'cookie',
    'set-cookie',
    'x-access-token',
    'access_token',
    'x-api-key',
    'api-key',
    'apikey',
    'x-auth-token',
    'x-id-token',
    'x-refresh-token',
    'x-session-token',
    'x-csrf-token',
    'x-xsrf-token',
    'x-client-secret',
    'x-goog-api-key',
    'ocp-apim-subscription-key',
    'x-functions-key',
    'private-token',
    'host',
    'connection',
    'content-length',
    'transfer-encoding',
    'ditto-auth-context',
    'ditto-authorization-context',
    'x-amz-security-token',
    'x-forwarded-for',
    'sec-websocket-key',
    'ditto-internal-x',
  ])('withholds the %s header from recipients', (name) => {
    const out = forwardedHeaders({ [name]: 'secret', 'x-custom': 'keep' }, 'local:alice');
    expect(out).toEqual({ 'x-custom': 'keep', 'ditto-originator': 'local:alice' });
  });
  it('withholds the headers an operator adds, and keeps the originator the router sets', () => {
    expect(forwardedHeaders({ 'x-tenant-secret': 's', 'ditto-originator': 'evil:me' }, 'local:alice', ['x-tenant-secret'])).toEqual({
      'ditto-originator': 'local:alice',
    });
  });
  it.each([
    ['10', 10_000],
    ['250ms', 250],
    ['2s', 2000],
    ['1m', 60_000],
    ['0', 0],
  ])('parses timeout %s', (text, ms) => expect(parseTimeoutMs(text, 1)).toBe(ms));
  it.each(['-1', 'soon', '1h', '1e9'])('rejects timeout %s', (text) => expect(errorCode(() => parseTimeoutMs(text, 1))).toBe('timeout.invalid'));
  it('derives fire-and-forget from timeout=0 and response-required=false', () => {
    const m = buildLiveMessage({ thingId: 'ns:t', direction: 'inbox', subject: 'x', headers: { timeout: '0' } });
    expect(expectationOf(m).responseRequired).toBe(false);
    const n = buildLiveMessage({ thingId: 'ns:t', direction: 'inbox', subject: 'x', headers: { 'response-required': false } });
    expect(expectationOf(n).responseRequired).toBe(false);
    const claim = buildLiveMessage({ thingId: 'ns:t', direction: 'inbox', subject: 'claim', headers: {} });
    expect(expectationOf(claim)).toEqual({ responseRequired: true, timeoutMs: 60_000 });
  });
});

describe('payload encoding', () => {
  it('round-trips JSON, text and binary between HTTP bodies and values', () => {
    const bytes = Buffer.from([0, 1, 2, 255]);
    expect(bodyToValue(bytes, 'application/octet-stream')).toBe('AAEC/w==');
    expect(valueToBody('AAEC/w==', 'application/octet-stream')).toEqual(bytes);
    expect(bodyToValue(Buffer.from('{"a":1}'), 'application/vnd.x+json')).toEqual({ a: 1 });
    expect(valueToBody({ a: 1 }, 'application/json').toString()).toBe('{"a":1}');
    expect(bodyToValue(Buffer.from('héllo'), 'text/plain; charset=utf-8')).toBe('héllo');
    expect(bodyToValue(Buffer.alloc(0), 'text/plain')).toBeUndefined();
  });
  it('rejects a body declared JSON that is not', () => {
    expect(errorCode(() => bodyToValue(Buffer.from('{'), 'application/json'))).toBe('json.invalid');
  });
  it('formats the recipient envelope with the originator', () => {
    const m = buildLiveMessage({ thingId: 'ns:t', direction: 'inbox', subject: 'x', featureId: 'f', headers: { 'correlation-id': 'c' }, value: 1 });
    expect(recipientEnvelope(m, 'u:a')).toEqual({
      topic: 'ns/t/things/live/messages/x',
      path: '/features/f/inbox/messages/x',
      headers: { 'correlation-id': 'c', 'ditto-originator': 'u:a' },
      value: 1,
    });
  });
});

describe('control frames', () => {
  it('parses START-SEND-MESSAGES with options', () => {
    expect(parseControlFrame('START-SEND-MESSAGES?namespaces=a,b&filter=eq(subject,%22x%22)')).toEqual({
      kind: 'start-messages',
      namespaces: ['a', 'b'],
      filter: 'eq(subject,"x")',
    });
    expect(parseControlFrame('STOP-SEND-MESSAGES')).toEqual({ kind: 'stop-messages' });
    expect(ack('START-SEND-MESSAGES')).toBe('START-SEND-MESSAGES:ACK');
  });
  it('answers unsupported Ditto control frames with 501, and unknown text with undefined', () => {
    expect(errorCode(() => parseControlFrame('START-SEND-EVENTS'))).toBe('gateway:method.notimplemented');
    expect(parseControlFrame('HELLO')).toBeUndefined();
  });
});

describe('envelope parser fuzzing', () => {
  const fc = require('fast-check') as typeof import('fast-check');
  it('returns an envelope or throws a DittoError for any input, never anything else', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify({ topic: 'a/b/things/live/messages/c', path: '/inbox/messages/c', headers: v })),
        ),
        (text) => {
          try {
            const e = parseEnvelope(text);
            expect(typeof e.topic).toBe('string');
          } catch (err) {
            expect(err).toBeInstanceOf(DittoError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
