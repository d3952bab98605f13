/** The live console's pure helpers: envelope summaries, payload views, token info, the bounded list, backoff. */
import {
  BoundedList,
  backoffMs,
  clip,
  isEnvelope,
  utf8ToBase64,
  base64ToBytes,
  bytesToBase64,
  messageEnvelopeAddress,
  messagePath,
  payloadView,
  summarize,
  tokenInfo,
  valueFromInput,
} from '../../console/src/format';
import { buildConsole } from '../../console/build';
import fc from 'fast-check';

describe('envelope summaries', () => {
  it('reads thing, feature, direction, subject, correlation-id and status', () => {
    expect(
      summarize({
        topic: 'org.acme/lamp/things/live/messages/turn/off',
        path: '/features/50%/inbox/messages/turn/off',
        headers: { 'correlation-id': 'c1', 'content-type': 'text/plain' },
        status: 200,
      }),
    ).toEqual({
      thingId: 'org.acme:lamp',
      featureId: '50%',
      direction: 'inbox',
      subject: 'turn/off',
      correlationId: 'c1',
      contentType: 'text/plain',
      status: 200,
      error: false,
    });
    expect(summarize({ topic: 'org.acme/lamp/things/live/claim', path: '/inbox/claim' })).toMatchObject({ direction: 'inbox', subject: 'claim' });
  });

  it("marks the router's error envelopes, with or without a thing", () => {
    expect(summarize({ topic: '_/_/things/live/errors', path: '/', status: 400 })).toMatchObject({ error: true, thingId: '' });
    expect(summarize({ topic: 'org.acme/lamp/things/live/errors', path: '/', status: 408 })).toMatchObject({ error: true, thingId: 'org.acme:lamp' });
    expect(summarize({ topic: 'org.acme/lamp/things/live/messages/errors', path: '/inbox/messages/errors' })).toMatchObject({ error: false });
  });

  it('tells envelopes from other JSON frames', () => {
    expect(isEnvelope({ topic: 't', path: '/' })).toBe(true);
    expect(isEnvelope({ message: 'Internal server error' })).toBe(false);
    expect(isEnvelope(null)).toBe(false);
  });
});

describe('payload views', () => {
  it('pretty-prints JSON, shows text as text and bytes as base64 and hex', () => {
    expect(payloadView({ a: 1 }, 'application/json')).toEqual({ kind: 'json', text: '{\n  "a": 1\n}' });
    expect(payloadView('hello', 'text/plain')).toEqual({ kind: 'text', text: 'hello' });
    expect(payloadView('AAH/', 'application/octet-stream')).toEqual({ kind: 'bytes', base64: 'AAH/', hex: '00 01 ff', size: 3 });
    expect(payloadView(undefined, 'application/json')).toEqual({ kind: 'none' });
  });

  it('cuts the hex of long payloads', () => {
    const view = payloadView(bytesToBase64(new Uint8Array(300)), 'application/octet-stream');
    expect(view.kind === 'bytes' && view.hex.endsWith(' …')).toBe(true);
  });

  it('turns what the user typed into the value the router expects', () => {
    expect(valueFromInput('{"on":true}', 'application/json')).toEqual({ value: { on: true } });
    expect(valueFromInput('{oops', 'application/json').error).toMatch(/not valid JSON/);
    expect(valueFromInput('plain', 'text/plain')).toEqual({ value: 'plain' });
    expect(valueFromInput('AAH/', 'application/octet-stream')).toEqual({ value: 'AAH/' });
    expect(valueFromInput('not base64!', 'application/octet-stream').error).toMatch(/base64/);
    expect(valueFromInput('', 'application/json')).toEqual({});
  });

  it('encodes and decodes base64 like Node does', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const encoded = bytesToBase64(bytes);
        expect(encoded).toBe(Buffer.from(bytes).toString('base64'));
        expect(Array.from(base64ToBytes(encoded)!)).toEqual(Array.from(bytes));
      }),
    );
  });
});

describe('display helpers', () => {
  it('clips long text and says how much was left out', () => {
    expect(clip('abc', 5)).toBe('abc');
    expect(clip('abcdefgh', 5)).toBe('abcde\n… (3 more characters not shown)');
  });

  it('encodes UTF-8 credentials for HTTP Basic (btoa takes only Latin-1)', () => {
    expect(utf8ToBase64('jürgen:pässwörd✓')).toBe(Buffer.from('jürgen:pässwörd✓').toString('base64'));
  });
});

describe('tokens', () => {
  it('reads subject, issuer and expiry from a JWT without verifying it', () => {
    const claims = Buffer.from(JSON.stringify({ sub: 'alice', iss: 'https://idp', exp: 2_000_000_000 })).toString('base64url');
    expect(tokenInfo(`eyJhbGciOiJFUzI1NiJ9.${claims}.sig`)).toEqual({ subject: 'alice', issuer: 'https://idp', expiresAt: 2_000_000_000 });
    expect(tokenInfo('not-a-token')).toBeUndefined();
  });
});

describe('the message list', () => {
  it('keeps the newest first and never more than its bound', () => {
    const list = new BoundedList<number>(3);
    for (let i = 1; i <= 5; i++) list.add(i);
    expect(list.all()).toEqual([5, 4, 3]);
    expect(list.dropped).toBe(2);
    list.clear();
    expect(list.size).toBe(0);
  });
});

describe('reconnecting', () => {
  it('backs off from about half a second, doubling, to at most 30 s', () => {
    expect(backoffMs(0, 1)).toBe(500);
    expect(backoffMs(1, 1)).toBe(1000);
    expect(backoffMs(20, 1)).toBe(30_000);
    expect(backoffMs(0, 0)).toBe(400);
  });
});

describe('addresses of a message', () => {
  it('builds the HTTP path and the protocol topic and path', () => {
    expect(messagePath('org.acme:lamp', 'light 1', 'outbox', 'a/b c')).toBe('/api/2/things/org.acme%3Alamp/features/light%201/outbox/messages/a/b%20c');
    expect(messageEnvelopeAddress('org.acme:lamp', '', 'inbox', 'turnOff')).toEqual({
      topic: 'org.acme/lamp/things/live/messages/turnOff',
      path: '/inbox/messages/turnOff',
    });
  });
});

describe('the console bundle', () => {
  it('is one small script with no external code and a page that loads only its own files', () => {
    const files = buildConsole();
    expect(Buffer.byteLength(files['console.js'])).toBeLessThan(30 * 1024);
    expect(files['console.js']).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    expect(files['index.html']).toContain('<script src="console.js"></script>');
    expect(files['index.html']).not.toMatch(/(src|href)="(https?:)?\/\//);
  });
});
