/**
 * The protocol rules at their edges: limits exactly at and one past the bound, both sides of each
 * condition, and the exact texts clients are told (codes, messages, descriptions).
 */
import { RequestTimeoutError } from '../../lambdas/core/errors';
import {
  bodyToValue,
  checkSubject,
  correlationIdOf,
  errorEnvelope,
  forwardedHeaders,
  headerOf,
  headerString,
  messageResource,
  normalizeHeaders,
  parseControlFrame,
  parseEnvelope,
  parseJson,
  parseMessagePath,
  parseMessageTopic,
  parseResponseRequired,
  parseTimeoutMs,
  payloadKind,
  valueToBody,
} from '../../lambdas/core/protocol';
import { isHttpFieldValue } from '../../lambdas/core/protocol/headers';
import { thrown } from '../support/errors';

const headersOfCount = (n: number): Record<string, string> => Object.fromEntries(Array.from({ length: n }, (_, i) => [`h${i}`, 'v']));

describe('control frames', () => {
  it('ignores whitespace and line breaks around a frame', () => {
    expect(parseControlFrame('  STOP-SEND-MESSAGES\r\n')).toStrictEqual({ kind: 'stop-messages' });
  });
  it('START-SEND-MESSAGES without options subscribes to everything', () => {
    expect(parseControlFrame('START-SEND-MESSAGES')).toStrictEqual({ kind: 'start-messages' });
  });
  it('reads namespaces and filter from the query, trimming each namespace', () => {
    expect(parseControlFrame('START-SEND-MESSAGES?namespaces=a,%20b%20,c&filter=eq(subject,"x")')).toStrictEqual({
      kind: 'start-messages',
      namespaces: ['a', 'b', 'c'],
      filter: 'eq(subject,"x")',
    });
  });
  it('blank namespaces and a blank filter are the same as none', () => {
    expect(parseControlFrame('START-SEND-MESSAGES?namespaces=%20%20&filter=%20')).toStrictEqual({ kind: 'start-messages' });
    expect(parseControlFrame('START-SEND-MESSAGES?namespaces=&filter=')).toStrictEqual({ kind: 'start-messages' });
  });
  it('a filter keeps a question mark of its own', () => {
    expect(parseControlFrame('START-SEND-MESSAGES?filter=like(subject,"a?b")')).toStrictEqual({ kind: 'start-messages', filter: 'like(subject,"a?b")' });
  });
  it('JWT-TOKEN carries the token, or an empty one when the query has none', () => {
    expect(parseControlFrame('JWT-TOKEN?jwtToken=abc.def.ghi')).toStrictEqual({ kind: 'jwt-token', token: 'abc.def.ghi' });
    expect(parseControlFrame('JWT-TOKEN')).toStrictEqual({ kind: 'jwt-token', token: '' });
    expect(parseControlFrame('JWT-TOKEN?other=1')).toStrictEqual({ kind: 'jwt-token', token: '' });
  });
  it('text that merely starts with a query or a frame name is not a frame', () => {
    expect(parseControlFrame('?START-SEND-MESSAGES')).toBeUndefined();
    expect(parseControlFrame('START-SEND-MESSAGE')).toBeUndefined();
    expect(parseControlFrame('{"topic":"a"}')).toBeUndefined();
  });
});

describe('JSON nesting limit', () => {
  const arrays = (n: number): string => `${'['.repeat(n)}${']'.repeat(n)}`;
  const objects = (n: number): string => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
  const tooDeep = 'JSON nested deeper than 64 levels is not accepted.';

  it('64 levels of arrays are accepted, 65 are refused before parsing', () => {
    expect(() => parseJson(arrays(64))).not.toThrow();
    const e = thrown(() => parseJson(arrays(65)));
    expect([e.error, e.description]).toEqual(['json.invalid', tooDeep]);
  });
  it('64 levels of objects with keys and values are accepted, 65 are refused', () => {
    expect(() => parseJson(objects(64))).not.toThrow();
    expect(thrown(() => parseJson(objects(65))).description).toBe(tooDeep);
  });
  it('depth is the deepest point, not the sum of sibling containers', () => {
    expect(() => parseJson(`[${arrays(40)},${arrays(40)}]`)).not.toThrow();
    expect(() => parseJson(`[${Array.from({ length: 100 }, () => '[]').join(',')}]`)).not.toThrow();
    expect(() => parseJson(`[${Array.from({ length: 100 }, () => '{}').join(',')}]`)).not.toThrow();
  });
  it('brackets inside strings do not count, including after an escaped quote', () => {
    expect(parseJson(`{"a":"${'['.repeat(100)}"}`)).toEqual({ a: '['.repeat(100) });
    expect(parseJson(`["\\"${'{'.repeat(100)}"]`)).toEqual([`"${'{'.repeat(100)}`]);
  });
  it('containers after a string are counted again', () => {
    expect(thrown(() => parseJson(`["x",${arrays(65)}]`)).description).toBe(tooDeep);
    expect(thrown(() => parseJson(`["\\n",${arrays(65)}]`)).description).toBe(tooDeep);
  });
});

describe('envelope parsing', () => {
  const minimal = { topic: 'ns/t/things/live/messages/s', path: '/inbox/messages/s' };

  it('an envelope without headers, value or status has exactly topic, path and empty headers', () => {
    expect(parseEnvelope(JSON.stringify(minimal))).toStrictEqual({ ...minimal, headers: {} });
  });
  it('value and status are kept when present', () => {
    expect(parseEnvelope(JSON.stringify({ ...minimal, headers: { A: 'b' }, value: null, status: 200 }))).toStrictEqual({
      ...minimal,
      headers: { a: 'b' },
      value: null,
      status: 200,
    });
  });
  it('an unknown field is named in the description, cut to 100 characters', () => {
    const key = `${'k'.repeat(100)}TAIL`;
    const e = thrown(() => parseEnvelope(JSON.stringify({ ...minimal, [key]: 1 })));
    expect([e.error, e.description]).toEqual(['messages:messageformat.invalid', `Unknown field '${'k'.repeat(100)}' in the Ditto Protocol message.`]);
  });
});

describe('error envelope', () => {
  it('carries content-type, status and correlation-id headers and the error as value', () => {
    const error = new RequestTimeoutError(250);
    expect(errorEnvelope(error, 'ns:t', 'c1')).toStrictEqual({
      topic: 'ns/t/things/live/errors',
      headers: { 'content-type': 'application/json', status: 408, 'correlation-id': 'c1' },
      path: '/',
      value: error.toJson(),
      status: 408,
    });
  });
  it('has no correlation-id header when the request had none', () => {
    expect(errorEnvelope(new RequestTimeoutError(250)).headers).toStrictEqual({ 'content-type': 'application/json', status: 408 });
  });
});

describe('header limits', () => {
  it('100 headers are accepted, 101 are refused with the count', () => {
    expect(Object.keys(normalizeHeaders(headersOfCount(100)))).toHaveLength(100);
    const e = thrown(() => normalizeHeaders(headersOfCount(101)));
    expect([e.status, e.error, e.description]).toEqual([431, 'gateway:headers.toolarge', 'At most 100 headers are allowed, got 101.']);
  });
  it('a header value of 8192 characters is accepted, 8193 is refused', () => {
    expect(normalizeHeaders({ h: 'v'.repeat(8192) }).h).toBe('v'.repeat(8192));
    expect(thrown(() => normalizeHeaders({ h: 'v'.repeat(8193) })).error).toBe('gateway:headers.toolarge');
  });
  it('a non-string value is measured as JSON', () => {
    expect(thrown(() => normalizeHeaders({ h: ['v'.repeat(8190)] })).error).toBe('gateway:headers.toolarge');
  });
  it('an overlong header is named in the description, the name cut to 100 characters', () => {
    const name = `${'n'.repeat(100)}TAIL`;
    expect(thrown(() => normalizeHeaders({ [name]: 'v'.repeat(8193) })).description).toBe(`The header '${'n'.repeat(100)}' is longer than 8192 characters.`);
  });
  it('an undefined value is left out, other values are kept under lower-cased names', () => {
    expect(normalizeHeaders({ A: undefined, B: 'x', c: null })).toStrictEqual({ b: 'x', c: null });
  });
  it('a correlation-id of exactly 512 characters is accepted, 513 is refused', () => {
    expect(correlationIdOf({ 'correlation-id': 'c'.repeat(512) })).toBe('c'.repeat(512));
    const e = thrown(() => correlationIdOf({ 'correlation-id': 'c'.repeat(513) }));
    expect([e.error, e.description]).toEqual(['header.invalid', 'The correlation-id must be 1 to 512 characters.']);
  });
});

describe('HTTP field values', () => {
  it('are visible ASCII, Latin-1 and tabs, empty included', () => {
    for (const ok of ['', 'text/plain; charset=utf-8', 'a\tb', 'caf\u00e9', '~ !']) expect(isHttpFieldValue(ok)).toBe(true);
  });
  it('refuse line breaks and controls anywhere in the value, and characters beyond Latin-1', () => {
    for (const bad of ['\nx', 'x\n', 'a\r\nb', '\u0000', 'x\u007f', '\u0100', '\u{1F600}']) expect(isHttpFieldValue(bad)).toBe(false);
  });
});

describe('reading headers', () => {
  it('headerOf finds a header whatever the case of either name', () => {
    const headers = { Accept: 'x', 'Content-Type': 'text/plain' };
    expect(headerOf(headers, 'content-type')).toBe('text/plain');
    expect(headerOf(headers, 'CONTENT-TYPE')).toBe('text/plain');
    expect(headerOf(headers, 'authorization')).toBeUndefined();
    expect(headerOf(null, 'accept')).toBeUndefined();
  });
  it('headerString gives strings as they are, other values as JSON, and nothing for null or absent', () => {
    expect(headerString({ a: 'x', b: 5, c: false, d: null }, 'a')).toBe('x');
    expect(headerString({ b: 5 }, 'b')).toBe('5');
    expect(headerString({ c: false }, 'c')).toBe('false');
    expect(headerString({ d: null }, 'd')).toBeUndefined();
    expect(headerString({}, 'e')).toBeUndefined();
  });
  it('a null correlation-id is the same as none', () => {
    expect(correlationIdOf({ 'correlation-id': null })).toBeUndefined();
  });
  it('only the operator list given to forwardedHeaders is withheld on top of the built-in names', () => {
    expect(forwardedHeaders({ 'x-a': '1', 'x-b': '2' }, undefined, ['x-a'])).toStrictEqual({ 'x-b': '2' });
  });
});

describe('response-required', () => {
  it.each([
    [undefined, true],
    [null, true],
    [true, true],
    [false, false],
    ['true', true],
    [' TRUE ', true],
    ['', true],
    ['   ', true],
    ['false', false],
    [' False\t', false],
  ])('%p means %p', (value, required) => expect(parseResponseRequired(value)).toBe(required));
  it.each(['yes', '0', 'truex'])('%p is refused', (value) => {
    const e = thrown(() => parseResponseRequired(value));
    expect([e.error, e.description]).toEqual(['header.invalid', "Use 'true' or 'false'."]);
  });
});

describe('timeouts', () => {
  it('an absent or null timeout takes the default', () => {
    expect(parseTimeoutMs(undefined, 1234)).toBe(1234);
    expect(parseTimeoutMs(null, 1234)).toBe(1234);
  });
  it.each([
    [' 2s ', 2000],
    ['1.5s', 1500],
    ['1.25s', 1250],
    ['0.5', 500],
    ['2.5ms', 3],
    ['1440m', 86_400_000],
    ['86400', 86_400_000],
    ['86400000ms', 86_400_000],
  ])('%p is %p ms', (text, ms) => expect(parseTimeoutMs(text, 1)).toBe(ms));
  it.each(['1441m', '86401', '86400001ms', '1.', '.5', '1.x'])('%p is refused', (text) => {
    expect(thrown(() => parseTimeoutMs(text, 1)).error).toBe('timeout.invalid');
  });
  it('a number of seconds too large to represent is refused', () => {
    expect(thrown(() => parseTimeoutMs('9'.repeat(400), 1)).error).toBe('timeout.invalid');
  });
});

describe('subjects', () => {
  it.each(['/a', 'a/', 'a//b', '/a/b/'])('%p is a valid subject', (subject) => expect(checkSubject(subject)).toBe(subject));
  it.each(['', '/', '//', '///'])('%p is refused', (subject) => expect(thrown(() => checkSubject(subject)).error).toBe('messages:subject.invalid'));
});

describe('topics', () => {
  it('a topic that is too short is quoted, cut to 200 characters', () => {
    const e = thrown(() => parseMessageTopic(`${'t'.repeat(200)}TAIL`));
    expect(e.description).toBe(`The topic '${'t'.repeat(200)}' is not a Ditto Protocol topic: '{namespace}/{name}/things/live/messages/{subject}'.`);
  });
  it.each(['policies', 'connections'])('the %s group is known but not implemented', (group) => {
    const e = thrown(() => parseMessageTopic(`ns/t/${group}/live/messages/s`));
    expect([e.status, e.message]).toEqual([501, `'${group} topics' is not supported by this service.`]);
  });
  it('an unknown group is a format error naming it, cut to 100 characters', () => {
    const e = thrown(() => parseMessageTopic(`ns/t/${'g'.repeat(100)}TAIL/live/messages/s`));
    expect([e.status, e.description]).toEqual([400, `Unknown topic group '${'g'.repeat(100)}': only 'things' is supported.`]);
  });
  it('the twin channel is not implemented; another channel is a format error naming it, cut to 100 characters', () => {
    expect(thrown(() => parseMessageTopic('ns/t/things/twin/messages/s')).message).toBe("'the twin channel' is not supported by this service.");
    const e = thrown(() => parseMessageTopic(`ns/t/things/${'c'.repeat(100)}TAIL/messages/s`));
    expect([e.status, e.error, e.description]).toEqual([400, 'messages:messageformat.invalid', `Unknown channel '${'c'.repeat(100)}': use 'live'.`]);
  });
  it.each(['commands', 'events', 'search'])('live %s: known but not implemented', (criterion) => {
    const e = thrown(() => parseMessageTopic(`ns/t/things/live/${criterion}/s`));
    expect([e.status, e.message]).toEqual([501, `'live ${criterion}' is not supported by this service.`]);
  });
  it('an unknown criterion is a format error naming it, cut to 100 characters', () => {
    const e = thrown(() => parseMessageTopic(`ns/t/things/live/${'x'.repeat(100)}TAIL/s`));
    expect([e.status, e.description]).toEqual([400, `Unknown criterion '${'x'.repeat(100)}': use 'messages'.`]);
  });
});

describe('message paths', () => {
  it('an inbox path without a feature has exactly direction and subject', () => {
    expect(parseMessagePath('/inbox/messages/on')).toStrictEqual({ direction: 'inbox', subject: 'on' });
    expect(parseMessagePath('/outbox/messages/a\nb')).toStrictEqual({ direction: 'outbox', subject: 'a\nb' });
  });
  it('a feature path keeps the feature id', () => {
    expect(parseMessagePath('/features/lamp/inbox/messages/on')).toStrictEqual({ direction: 'inbox', subject: 'on', featureId: 'lamp' });
  });
  it('the claim shortcut holds only for the thing, not for a feature', () => {
    expect(parseMessagePath('/inbox/claim')).toStrictEqual({ direction: 'inbox', subject: 'claim' });
    expect(thrown(() => parseMessagePath('/features/lamp/inbox/claim')).error).toBe('messages:messageformat.invalid');
  });
  it('a feature path that ends after the feature id is refused, the path quoted and cut to 200 characters', () => {
    expect(thrown(() => parseMessagePath('/features/lamp')).description).toBe("The path '/features/lamp' is not a message path.");
    const long = `/features/${'f'.repeat(190)}TAIL`;
    expect(thrown(() => parseMessagePath(long)).description).toBe(`The path '${long.slice(0, 200)}' is not a message path.`);
  });
  it('a path must start with its direction, the path quoted and cut to 200 characters', () => {
    const shape = "'[/features/{featureId}]/{inbox|outbox}/messages/{subject}'";
    expect(thrown(() => parseMessagePath('x/inbox/messages/s')).description).toBe(`The path 'x/inbox/messages/s' is not a message path: ${shape}.`);
    const long = `/${'p'.repeat(199)}TAIL`;
    expect(thrown(() => parseMessagePath(long)).description).toBe(`The path '${long.slice(0, 200)}' is not a message path: ${shape}.`);
  });
  it('the policy resource of a message is its path under message:', () => {
    expect(messageResource('/features/lamp/inbox/messages/on')).toBe('message:/features/lamp/inbox/messages/on');
  });
});

describe('payload kinds and encodings', () => {
  it.each([
    [undefined, 'text'],
    ['Application/JSON; charset=utf-8', 'json'],
    [' application/vnd.x+JSON', 'json'],
    ['application/json ; charset=utf-8', 'json'],
    ['TEXT/Plain', 'text'],
    [' text/plain', 'text'],
    ['application/octet-stream', 'binary'],
  ])('%p is %p', (contentType, kind) => expect(payloadKind(contentType)).toBe(kind));
  it('a text body that is not UTF-8 is refused, naming the declared content-type (text/plain when none)', () => {
    const notUtf8 = Buffer.from([0xff, 0xfe]);
    const says = (declared: string): string =>
      `The payload is declared as '${declared}' but is not valid UTF-8: send it with a binary content-type (e.g. application/octet-stream).`;
    expect(thrown(() => bodyToValue(notUtf8, 'text/csv')).description).toBe(says('text/csv'));
    expect(thrown(() => bodyToValue(notUtf8, undefined)).description).toBe(says('text/plain'));
  });
  it('no value is an empty body whatever the content-type', () => {
    for (const type of [undefined, 'text/plain', 'application/json', 'application/octet-stream']) expect(valueToBody(undefined, type)).toEqual(Buffer.alloc(0));
  });
  it('a string value becomes text bytes for text, JSON for JSON, decoded base64 for binary', () => {
    expect(valueToBody('aGk=', 'text/plain').toString()).toBe('aGk=');
    expect(valueToBody('aGk=', undefined).toString()).toBe('aGk=');
    expect(valueToBody('aGk=', 'application/json').toString()).toBe('"aGk="');
    expect(valueToBody('aGk=', 'application/octet-stream').toString()).toBe('hi');
  });
  it('a non-string value is sent as JSON even for text and binary types', () => {
    expect(valueToBody({ a: 1 }, 'text/plain').toString()).toBe('{"a":1}');
    expect(valueToBody(5, 'application/octet-stream').toString()).toBe('5');
  });
});
