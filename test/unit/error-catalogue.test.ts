/**
 * The catalogue of what clients are told: every typed error and what each parser says to a set of
 * bad inputs (status, Ditto error code, message, description), pinned in a reviewed snapshot.
 * Ditto clients match on codes and people read the texts: a change to either must be deliberate.
 */
import * as errors from '../../lambdas/core/errors';
import { parseThingId, parsePolicyId } from '../../lambdas/core/ids';
import { buildLiveMessage, expectationOf, messageFromEnvelope, parseRql } from '../../lambdas/core/messages';
import { parseCreationRestriction, parsePolicy } from '../../lambdas/core/policy';
import {
  bodyToValue,
  checkSubject,
  correlationIdOf,
  normalizeHeaders,
  parseControlFrame,
  parseEnvelope,
  parseMessagePath,
  parseMessageTopic,
  parseResponseRequired,
  parseTimeoutMs,
} from '../../lambdas/core/protocol';

/** What a client sees of a thrown error (or "accepted"). */
function told(fn: () => unknown): unknown {
  try {
    const result = fn();
    return { accepted: result === undefined ? null : result };
  } catch (e) {
    return e instanceof errors.DittoError ? e.toJson() : { thrown: (e as Error).message };
  }
}

const ARGS: Record<string, unknown[]> = {
  AuthenticationFailedError: [],
  ThingIdInvalidError: ['bad id'],
  PolicyIdInvalidError: ['bad id'],
  ThingNotFoundError: ['ns:t'],
  ThingNotModifiableError: ['ns:t'],
  ThingConflictError: ['ns:t'],
  PolicyNotFoundError: ['ns:p'],
  PolicyNotModifiableError: ['ns:p'],
  PolicyModificationInvalidError: ['ns:p'],
  PolicyConflictError: ['ns:p'],
  EntityTooLargeError: ['thing', 200_000, 100_000],
  ThingNotCreatableError: ['ns:t', 'ns:p'],
  EntityNotCreatableError: ['ns:t', 'ns'],
  PreconditionFailedError: ['thing', 'if-match'],
  PolicyIdNotDeletableError: ['ns:t'],
  NotModifiedError: ['"rev:3"'],
  PolicyInvalidError: ['why'],
  JsonInvalidError: ['why'],
  ThingInvalidError: ['why'],
  MessageFormatInvalidError: ['why'],
  SubjectInvalidError: ['why'],
  SendNotAllowedError: ['ns:t'],
  PayloadInvalidError: ['why'],
  PayloadTooLargeError: [200_000, 131_072],
  TimeoutInvalidError: ['soon'],
  RequestTimeoutError: [10_000, 'c-1'],
  RqlInvalidError: ['why'],
  NamespacesInvalidError: ['why'],
  NotImplementedError: ['LIVE-EVENTS'],
  ResourceNotFoundError: ['/api/2/x'],
  MethodNotAllowedError: ['PATCH', '/api/2/things/ns:t'],
  HeaderInvalidError: ['timeout', 'why'],
  TooManyHeadersError: ['why'],
  CorrelationConflictError: ['c-1'],
  ServiceUnavailableError: [],
  InternalError: [],
  ConnectionConfigurationInvalidError: ['why'],
  ConnectionUriInvalidError: ['http://u:*****@h'],
  ConnectionIdNotSettableError: [true],
  ConnectionNotFoundError: ['c1'],
  ConnectionConflictError: ['c1'],
  DevopsOnlyError: [],
};

describe('the error catalogue', () => {
  it('has an entry for every error class', () => {
    const classes = Object.entries(errors)
      .filter(([name, value]) => typeof value === 'function' && name.endsWith('Error') && name !== 'DittoError')
      .map(([name]) => name)
      .sort();
    expect(classes).toEqual(Object.keys(ARGS).sort());
  });

  it('tells clients this for each error', () => {
    const catalogue = Object.fromEntries(
      Object.entries(ARGS).map(([name, args]) => {
        const Cls = (errors as unknown as Record<string, new (...a: unknown[]) => errors.DittoError>)[name]!;
        const e = new Cls(...args);
        return [name, { ...e.toJson(), name: e.name }];
      }),
    );
    expect(catalogue).toMatchSnapshot();
  });

  it('shortens long values it repeats', () => {
    expect(errors.truncate('x'.repeat(101))).toBe(`${'x'.repeat(100)}…`);
    expect(errors.truncate('x'.repeat(100))).toBe('x'.repeat(100));
  });
});

describe('what the parsers tell clients about bad input', () => {
  const envelope = (o: Record<string, unknown>) => JSON.stringify({ topic: 'ns/t/things/live/messages/s', path: '/inbox/messages/s', headers: {}, ...o });
  const cases: Record<string, () => unknown> = {
    'thing id without namespace separator': () => parseThingId('nocolon'),
    'thing id with a slash': () => parseThingId('ns:a/b'),
    'policy id too long': () => parsePolicyId(`ns:${'x'.repeat(300)}`),
    'envelope not JSON': () => parseEnvelope('{'),
    'envelope an array': () => parseEnvelope('[]'),
    'envelope too deep': () => parseEnvelope('['.repeat(70) + ']'.repeat(70)),
    'envelope unknown field': () => parseEnvelope(envelope({ extra2: 1 })),
    'envelope without topic': () => parseEnvelope(JSON.stringify({ path: '/' })),
    'envelope without path': () => parseEnvelope(JSON.stringify({ topic: 't' })),
    'envelope headers not an object': () => parseEnvelope(envelope({ headers: [] })),
    'envelope status 99': () => parseEnvelope(envelope({ status: 99 })),
    'envelope status 600': () => parseEnvelope(envelope({ status: 600 })),
    'envelope status 200.5': () => parseEnvelope(envelope({ status: 200.5 })),
    'envelope status 599 accepted': () => parseEnvelope(envelope({ status: 599 })).status,
    'envelope status 100 accepted': () => parseEnvelope(envelope({ status: 100 })).status,
    'topic too short': () => parseMessageTopic('ns/t/things/live'),
    'topic twin channel': () => parseMessageTopic('ns/t/things/twin/messages/s'),
    'topic policies group': () => parseMessageTopic('ns/t/policies/live/messages/s'),
    'topic events criterion': () => parseMessageTopic('ns/t/things/live/events/s'),
    'topic claim': () => parseMessageTopic('ns/t/things/live/claim'),
    'topic with an invalid thing id': () => parseMessageTopic('-/t/things/live/messages/s'),
    'topic with an empty subject': () => parseMessageTopic('ns/t/things/live/messages/'),
    'path without direction': () => parseMessagePath('/messages/s'),
    'path with an unknown direction': () => parseMessagePath('/sideways/messages/s'),
    'path without messages': () => parseMessagePath('/inbox/s'),
    'path to a feature without id': () => parseMessagePath('/features//inbox/messages/s'),
    'path of a claim': () => parseMessagePath('/inbox/claim'),
    'path with an empty subject': () => parseMessagePath('/inbox/messages/'),
    'subject with a control character': () => checkSubject('a\u0001b'),
    'subject too long': () => checkSubject('s'.repeat(300)),
    'topic and path subjects differ': () => messageFromEnvelope(parseEnvelope(envelope({ path: '/inbox/messages/other' }))),
    'feature-id header differs from the path': () => messageFromEnvelope(parseEnvelope(envelope({ headers: { 'feature-id': 'lamp' } }))),
    'too many headers': () => normalizeHeaders(Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`h${i}`, 'v']))),
    'a header value too long': () => normalizeHeaders({ h: 'v'.repeat(8193) }),
    'an object header value': () => normalizeHeaders({ h: { a: 1 } }),
    'header names lower-cased, later duplicates win': () => normalizeHeaders({ 'X-A': '1', 'x-a': '2', 'X-B': 3 }),
    'correlation-id not a string': () => correlationIdOf({ 'correlation-id': 5 }),
    'correlation-id empty': () => correlationIdOf({ 'correlation-id': '' }),
    'correlation-id too long': () => correlationIdOf({ 'correlation-id': 'c'.repeat(1025) }),
    'response-required maybe': () => parseResponseRequired('maybe'),
    'response-required FALSE': () => parseResponseRequired('FALSE'),
    'response-required absent': () => parseResponseRequired(undefined),
    'timeout negative': () => parseTimeoutMs('-5', 1),
    'timeout in hours': () => parseTimeoutMs('2h', 1),
    'timeout as a number': () => parseTimeoutMs(30, 1),
    'timeout absent': () => parseTimeoutMs(undefined, 1234),
    'expectation of a claim': () => expectationOf(buildLiveMessage({ thingId: 'ns:t', direction: 'inbox', subject: 'claim', headers: {} })),
    'expectation with timeout 0': () => expectationOf(buildLiveMessage({ thingId: 'ns:t', direction: 'inbox', subject: 's', headers: { timeout: '0' } })),
    'control frame unknown': () => parseControlFrame('START-SEND-EVENTS'),
    'control frame with a bad query': () => parseControlFrame('START-SEND-MESSAGES?namespaces'),
    'control frame JWT-TOKEN without token': () => parseControlFrame('JWT-TOKEN'),
    'control frame with namespaces and filter': () => parseControlFrame('START-SEND-MESSAGES?namespaces=a,b&filter=eq(subject,%22x%22)'),
    'control frame STOP': () => parseControlFrame('STOP-SEND-MESSAGES'),
    'body declared JSON that is not': () => bodyToValue(Buffer.from('{'), 'application/json'),
    'body declared text that is not UTF-8': () => bodyToValue(Buffer.from([0xff, 0xfe]), 'text/plain'),
    'rql empty': () => parseRql(''),
    'rql unknown operator': () => parseRql('foo(subject,"x")'),
    'rql unknown field': () => parseRql('eq(secret,"x")'),
    'rql unclosed': () => parseRql('eq(subject,"x"'),
    'rql trailing input': () => parseRql('eq(subject,"x"))'),
    'rql unterminated string': () => parseRql('eq(subject,"x)'),
    'rql too long': () => parseRql(`eq(subject,"${'x'.repeat(4100)}")`),
    'rql too deep': () => parseRql(`${'not('.repeat(40)}exists(subject)${')'.repeat(40)}`),
    'rql too costly': () => parseRql(`like(subject,"${'x'.repeat(1000)}*")`),
    'rql and without arguments': () => parseRql('and()'),
    'rql number': () => parseRql('gt(attributes/n,1.5e3)'),
    'rql bare word value': () => parseRql('eq(subject,turnOff)'),
    'policy not an object': () => parsePolicy([], 'ns:p'),
    'policy without entries': () => parsePolicy({}, 'ns:p'),
    'policy entry without subjects': () => parsePolicy({ entries: { A: { resources: {} } } }, 'ns:p'),
    'policy entry without resources': () => parsePolicy({ entries: { A: { subjects: {} } } }, 'ns:p'),
    'policy with an unknown permission': () =>
      parsePolicy({ entries: { A: { subjects: { 'u:a': { type: 't' } }, resources: { 'thing:/': { grant: ['FLY'], revoke: [] } } } } }, 'ns:p'),
    'policy with an unknown resource type': () =>
      parsePolicy({ entries: { A: { subjects: { 'u:a': { type: 't' } }, resources: { 'car:/': { grant: ['READ'], revoke: [] } } } } }, 'ns:p'),
    'policy with a subject without a type': () =>
      parsePolicy({ entries: { A: { subjects: { 'u:a': {} }, resources: { 'thing:/': { grant: ['READ'], revoke: [] } } } } }, 'ns:p'),
    'policy with a bad expiry': () =>
      parsePolicy(
        { entries: { A: { subjects: { 'u:a': { type: 't', expiry: 'soon' } }, resources: { 'thing:/': { grant: ['READ'], revoke: [] } } } } },
        'ns:p',
      ),
    'policy with a different policyId': () => parsePolicy({ policyId: 'ns:other', entries: {} }, 'ns:p'),
    'policy with 201 entries': () =>
      parsePolicy(
        {
          entries: Object.fromEntries(
            Array.from({ length: 201 }, (_, i) => [
              `E${i}`,
              { subjects: { [`u:${i}`]: { type: 't' } }, resources: { 'thing:/': { grant: ['READ'], revoke: [] } } },
            ]),
          ),
        },
        'ns:p',
      ),
    'policy with an empty entry label': () => parsePolicy({ entries: { '': { subjects: {}, resources: {} } } }, 'ns:p'),
    'policy with a control character in a subject': () => parsePolicy({ entries: { A: { subjects: { 'u:\u0001': { type: 't' } }, resources: {} } } }, 'ns:p'),
    'policy with a subject id of 1025 characters': () =>
      parsePolicy({ entries: { A: { subjects: { [`u:${'x'.repeat(1023)}`]: { type: 't' } }, resources: {} } } }, 'ns:p'),
    'policy with a subject id of 1024 characters': () =>
      Object.keys(parsePolicy({ entries: { A: { subjects: { [`u:${'x'.repeat(1022)}`]: { type: 't' } }, resources: {} } } }, 'ns:p').entries.A!.subjects)[0]!
        .length,
    'policy with an entry that is not an object': () => parsePolicy({ entries: { A: 1 } }, 'ns:p'),
    'policy with a subject that is not an object': () => parsePolicy({ entries: { A: { subjects: { 'u:a': 1 }, resources: {} } } }, 'ns:p'),
    'policy with a subject type that is a number': () => parsePolicy({ entries: { A: { subjects: { 'u:a': { type: 1 } }, resources: {} } } }, 'ns:p'),
    'policy with a resource without type': () => parsePolicy({ entries: { A: { subjects: {}, resources: { ':/': { grant: [], revoke: [] } } } } }, 'ns:p'),
    'policy with a resource without colon': () => parsePolicy({ entries: { A: { subjects: {}, resources: { thing: { grant: [], revoke: [] } } } } }, 'ns:p'),
    'policy with a resource that is not an object': () => parsePolicy({ entries: { A: { subjects: {}, resources: { 'thing:/': 1 } } } }, 'ns:p'),
    'policy with grant not an array': () => parsePolicy({ entries: { A: { subjects: {}, resources: { 'thing:/': { grant: 'READ' } } } } }, 'ns:p'),
    'policy with revoke absent': () =>
      parsePolicy({ entries: { A: { subjects: {}, resources: { 'thing:/': { grant: ['READ'] } } } } }, 'ns:p').entries.A!.resources,
    'policy with an unknown revoke': () => parsePolicy({ entries: { A: { subjects: {}, resources: { 'thing:/': { grant: [], revoke: [1] } } } } }, 'ns:p'),
    'policy with 200 entries': () =>
      Object.keys(
        parsePolicy(
          { entries: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`E${i}`, { subjects: { [`u:${i}`]: { type: 't' } }, resources: {} }])) },
          'ns:p',
        ).entries,
      ).length,
    'policy with 512 subjects': () =>
      Object.keys(
        parsePolicy(
          { entries: { A: { subjects: Object.fromEntries(Array.from({ length: 512 }, (_, i) => [`u:${i}`, { type: 't' }])), resources: {} } } },
          'ns:p',
        ).entries.A!.subjects,
      ).length,
    'policy with 513 subjects': () =>
      parsePolicy(
        { entries: { A: { subjects: Object.fromEntries(Array.from({ length: 513 }, (_, i) => [`u:${i}`, { type: 't' }])), resources: {} } } },
        'ns:p',
      ),
    'policy over 100k characters': () => parsePolicy({ entries: { A: { subjects: { 'u:a': { type: 'x'.repeat(102_400) } }, resources: {} } } }, 'ns:p'),
    'policy of the same policyId': () => parsePolicy({ policyId: 'ns:p', entries: {} }, 'ns:p').policyId,
    'rql with spaces everywhere': () => parseRql(' and( eq( subject , "a" ) , exists( featureId ) ) '),
    'rql like with a number': () => parseRql('like(subject,5)'),
    'rql with an escaped quote': () => parseRql('eq(subject,"a\\"b")'),
    'rql with false, null and a negative number': () => parseRql('or(eq(attributes/a,false),eq(attributes/b,null),lt(attributes/c,-2.5))'),
    'rql with true': () => parseRql('eq(attributes/on,true)'),
    'rql property with a trailing slash': () => parseRql('exists(attributes/)'),
    'rql property below subject': () => parseRql('eq(subject/x,"a")'),
    'rql of exactly 4096 characters': () => parseRql(`eq(subject,"${'x'.repeat(4096 - 14)}")`).op,
    'rql of 4097 characters': () => parseRql(`eq(subject,"${'x'.repeat(4097 - 14)}")`),
    'rql costing exactly 1000': () => parseRql(`like(subject,"${'x'.repeat(997)}*")`).op,
    'rql nested 32 deep': () => parseRql(`${'not('.repeat(31)}exists(subject)${')'.repeat(31)}`).op,
    'rql nested 33 deep': () => parseRql(`${'not('.repeat(32)}exists(subject)${')'.repeat(32)}`),
    'rql in with no values': () => parseRql('in(subject)'),
    'control frame with spaces around': () => parseControlFrame('  START-SEND-MESSAGES?namespaces=a, b&filter=%20  '),
    'control frame with empty namespaces': () => parseControlFrame('START-SEND-MESSAGES?namespaces='),
    'control frame JWT-TOKEN with token': () => parseControlFrame('JWT-TOKEN?jwtToken=abc.def.ghi'),
    'control frame STOP with a query': () => parseControlFrame('STOP-SEND-MESSAGES?x=1'),
    '100 headers': () => Object.keys(normalizeHeaders(Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`h${i}`, 'v'])))).length,
    'a header value of 8192 characters': () => normalizeHeaders({ h: 'v'.repeat(8192) }).h!.toString().length,
    'an undefined header value is left out': () => normalizeHeaders({ a: undefined, b: null, c: false }),
    'correlation-id of 512 characters': () => correlationIdOf({ 'correlation-id': 'c'.repeat(512) })!.length,
    'correlation-id absent': () => correlationIdOf({}),
    'response-required empty': () => parseResponseRequired(''),
    'response-required TRUE with spaces': () => parseResponseRequired(' TRUE '),
    'response-required null': () => parseResponseRequired(null),
    'response-required false boolean': () => parseResponseRequired(false),
    'timeout 1.5s': () => parseTimeoutMs('1.5s', 1),
    'timeout 2m': () => parseTimeoutMs('2m', 1),
    'timeout with spaces': () => parseTimeoutMs(' 250ms ', 1),
    'timeout of a day': () => parseTimeoutMs(`${24 * 3600}s`, 1),
    'timeout over a day': () => parseTimeoutMs(`${24 * 3600 + 1}s`, 1),
    'timeout null': () => parseTimeoutMs(null, 77),
    'envelope nested exactly 64 deep': () => parseEnvelope(envelope({ value: JSON.parse(`${'['.repeat(63)}${']'.repeat(63)}`) })).topic,
    'envelope with brackets inside strings': () => parseEnvelope(envelope({ value: `${'['.repeat(80)}"\\${'{'.repeat(80)}` })).value,
    'envelope with value and status': () => parseEnvelope(envelope({ value: 0, status: 204 })),
    'envelope with null headers': () => parseEnvelope(envelope({ headers: null })),
    'creation restriction not an object': () => parseCreationRestriction('x'),
    'creation restriction with an unknown type': () => parseCreationRestriction({ grant: [{ 'resource-types': ['car'] }] }),
    'creation restriction with a rule that is not an object': () => parseCreationRestriction({ grant: ['x'] }),
  };

  it('tells clients this for each bad input (and accepts the good ones as shown)', () => {
    expect(Object.fromEntries(Object.entries(cases).map(([name, fn]) => [name, told(fn)]))).toMatchSnapshot();
  });
});
