/** The exact rules of connection targets: what the model accepts and says, placeholders, addresses and selection. */
import { DittoError } from '../../lambdas/core/errors';
import { parseRql } from '../../lambdas/core/messages';
import { AddressPolicy } from '../../lambdas/core/targets/addresses';
import { compileConnection, keepMaskedPassword, maskPassword, parseConnection } from '../../lambdas/core/targets/connection';
import { checkPlaceholders, resolvePlaceholders } from '../../lambdas/core/targets/placeholders';
import { selectTargets } from '../../lambdas/core/targets/select';

const target = { address: 'POST:/in', topics: ['_/_/things/live/messages'], authorizationContext: ['local:backend'] };
const base = { connectionType: 'http-push', connectionStatus: 'open', uri: 'https://hooks.example.com:8443', targets: [target] };
const withTarget = (change: Record<string, unknown>) => ({ ...base, targets: [{ ...target, ...change }] });
const withTopic = (topic: string) => withTarget({ topics: [topic] });

/** The error a client is told for a connection body (or `accepted`). */
function told(body: unknown, id = 'c1'): { error?: string; description?: string } | 'accepted' {
  try {
    parseConnection(body, id);
    return 'accepted';
  } catch (e) {
    if (!(e instanceof DittoError)) throw e;
    return { error: e.error, description: e.description };
  }
}
const configInvalid = (description: string) => ({ error: 'connectivity:connection.configuration.invalid', description });
const VERBS = 'POST, PUT, PATCH, GET, DELETE';
const TOPICS =
  '_/_/things/twin/events, _/_/things/live/events, _/_/things/live/commands, _/_/things/live/messages, _/_/policies/announcements, _/_/connections/announcements';

describe('lists of non-empty strings (topics, authorization context)', () => {
  it('refuses a list with one blank or non-string entry among valid ones', () => {
    const reason = configInvalid("'targets[0].authorizationContext' must be a non-empty array of non-empty strings.");
    expect(told(withTarget({ authorizationContext: ['local:a', ' '] }))).toEqual(reason);
    expect(told(withTarget({ authorizationContext: ['local:a', 42] }))).toEqual(reason);
    expect(told(withTarget({ authorizationContext: ['local:a', 'local:b'] }))).toBe('accepted');
  });
});

describe('the uri', () => {
  it("takes the scheme's default port as the explicit one: https on 443, http on 80", () => {
    expect(compileConnection({ ...base, uri: 'https://h:443/x' }).baseUrl).toBe('https://h/x');
    expect(compileConnection({ ...base, uri: 'http://h:80' }).baseUrl).toBe('http://h');
    expect(compileConnection({ ...base, uri: 'http://h:443' }).baseUrl).toBe('http://h:443');
  });

  it('accepts a host the URL parser spells otherwise (uncompressed IPv6, international name) as that same host', () => {
    expect(compileConnection({ ...base, uri: 'https://[2001:db8:0:0:0:0:0:1]:8443/x' }).baseUrl).toBe('https://[2001:db8::1]:8443/x');
    expect(compileConnection({ ...base, uri: 'http://BÜCHER.example:8080' }).baseUrl).toBe('http://xn--bcher-kva.example:8080');
  });

  it('compiles a uri without credentials to no Basic credentials at all, not an undefined one', () => {
    expect(Object.keys(compileConnection(base))).not.toContain('basicAuth');
    expect(compileConnection({ ...base, uri: 'https://u:p@h:443' }).basicAuth).toBe('u:p');
  });
});

describe('target topics', () => {
  it("reads a topic that starts with '?' as the empty topic, which is not one of Ditto's", () => {
    expect(told(withTopic('?namespaces=a'))).toEqual(configInvalid(`The topic '' is not one of Ditto's topics (${TOPICS}).`));
  });

  it('shows at most 100 characters of an unknown topic', () => {
    expect(told(withTopic('t'.repeat(150)))).toEqual(configInvalid(`The topic '${'t'.repeat(100)}' is not one of Ditto's topics (${TOPICS}).`));
  });

  it('ignores empty entries in the namespaces option', () => {
    const { compiled } = parseConnection(withTopic('_/_/things/live/messages?namespaces=a,,b,'), 'c1');
    expect(compiled.targets[0]!.liveMessages).toStrictEqual({ namespaces: ['a', 'b'] });
  });

  it('shows at most 100 characters of an invalid namespace', () => {
    const ns = `-${'n'.repeat(149)}`;
    expect(told(withTopic(`_/_/things/live/messages?namespaces=${ns}`))).toEqual(
      configInvalid(`'${ns.slice(0, 100)}' in the topic '_/_/things/live/messages' is not a valid namespace.`),
    );
  });

  it("explains an invalid filter with the RQL parser's description", () => {
    let rql: DittoError | undefined;
    try {
      parseRql('eq(');
    } catch (e) {
      rql = e as DittoError;
    }
    expect(rql?.description).toEqual(expect.any(String));
    expect(told(withTopic('_/_/things/live/messages?filter=eq('))).toEqual(
      configInvalid(`The filter of the topic '_/_/things/live/messages' is not valid RQL: ${rql!.description}`),
    );
  });

  it('shows at most 50 characters of an unsupported topic option', () => {
    expect(told(withTopic(`_/_/things/live/messages?${'o'.repeat(80)}=1`))).toEqual(
      configInvalid(`The topic option '${'o'.repeat(50)}' is not supported (namespaces and filter are).`),
    );
  });

  it('compiles live messages with exactly the options given: a filter alone, namespaces alone, or none', () => {
    const live = (topic: string) => compileConnection(withTopic(topic)).targets[0]!.liveMessages;
    expect(live('_/_/things/live/messages?filter=eq(subject,"s")')).toStrictEqual({ filter: 'eq(subject,"s")' });
    expect(live('_/_/things/live/messages?namespaces=a')).toStrictEqual({ namespaces: ['a'] });
    expect(live('_/_/things/live/messages')).toStrictEqual({});
  });
});

describe('target fields and addresses', () => {
  it('shows at most 50 characters of an unsupported target field', () => {
    expect(told(withTarget({ ['k'.repeat(80)]: 1 }))).toEqual(configInvalid(`targets[0].${'k'.repeat(50)} is not supported by this router.`));
  });

  it("reads an address starting with ':' as an empty method, which is not supported", () => {
    expect(told(withTarget({ address: ':/x' }))).toEqual(configInvalid(`targets[0]: The method '' is not supported. Supported methods are: ${VERBS}.`));
  });

  it('shows at most 20 characters of an unsupported method', () => {
    expect(told(withTarget({ address: `${'M'.repeat(30)}:/x` }))).toEqual(
      configInvalid(`targets[0]: The method '${'M'.repeat(20)}' is not supported. Supported methods are: ${VERBS}.`),
    );
  });

  it('names where an unsupported placeholder is: the address or the header mapping', () => {
    expect(told(withTarget({ address: 'POST:/{{ header:x }}' }))).toEqual(
      configInvalid("targets[0].address: the placeholder '{{ header:x }}' is not supported."),
    );
    expect(told(withTarget({ headerMapping: { a: '{{ thing:unknown }}' } }))).toEqual(
      configInvalid("targets[0].headerMapping['a']: the placeholder '{{ thing:unknown }}' is not supported."),
    );
  });

  it('shows at most 50 characters of an invalid header name', () => {
    const name = `a b${'c'.repeat(80)}`;
    expect(told(withTarget({ headerMapping: { [name]: 'v' } }))).toEqual(
      configInvalid(`targets[0].headerMapping['${name.slice(0, 50)}'] must be a header name mapped to a string.`),
    );
  });
});

describe('specific config', () => {
  it('shows at most 50 characters of an unsupported key', () => {
    expect(told({ ...base, specificConfig: { ['s'.repeat(80)]: 1 } })).toEqual(
      configInvalid(`specificConfig.${'s'.repeat(50)} is not supported (parallelism and omitRequestBody are).`),
    );
  });

  it('refuses an omitRequestBody entry that is not a string instead of dropping it, and lists the verbs', () => {
    const reason = configInvalid(`specificConfig.omitRequestBody must list HTTP verbs (${VERBS}).`);
    expect(told({ ...base, specificConfig: { omitRequestBody: ['GET', 3] } })).toEqual(reason);
    expect(told({ ...base, specificConfig: { omitRequestBody: [null] } })).toEqual(reason);
    expect(told({ ...base, specificConfig: { omitRequestBody: ['GET', 'SEND'] } })).toEqual(reason);
  });

  it('reads omitRequestBody entries trimmed and case-insensitively, skipping empty ones', () => {
    const omit = (omitRequestBody: unknown) => compileConnection({ ...base, specificConfig: { omitRequestBody } }).omitRequestBody;
    expect(omit([' post ', '', 'Put'])).toEqual(['POST', 'PUT']);
    expect(omit(',delete,,')).toEqual(['DELETE']);
    expect(omit(' ')).toEqual([]);
  });
});

describe('connection fields', () => {
  it('shows at most 50 characters of an unsupported field or connection type, 100 of an invalid id', () => {
    expect(told({ ...base, ['f'.repeat(80)]: 1 })).toEqual(configInvalid(`The field '${'f'.repeat(50)}' is not supported by this router.`));
    expect(told({ ...base, connectionType: 't'.repeat(80) })).toEqual(
      configInvalid(`The connectionType '${'t'.repeat(50)}' is not supported: this router has 'http-push' connections only.`),
    );
    expect(told(base, '!'.repeat(150))).toEqual(configInvalid(`The connection id '${'!'.repeat(100)}' is not valid: 1-100 of letters, digits and _ . : @ -.`));
  });

  it('accepts empty sources and boolean validateCertificates', () => {
    expect(told({ ...base, sources: [] })).toBe('accepted');
    expect(told({ ...base, validateCertificates: true })).toBe('accepted');
    expect(told({ ...base, validateCertificates: false })).toBe('accepted');
    expect(told({ ...base, sources: {} })).toEqual(configInvalid('http-push connections have no sources: leave them empty.'));
  });

  it('says why a name or tags are refused', () => {
    expect(told({ ...base, name: 42 })).toEqual(configInvalid("'name' must be a string."));
    expect(told({ ...base, tags: ['a', 1] })).toEqual(configInvalid("'tags' must be an array of strings."));
    expect(told({ ...base, name: 'n', tags: ['a', 'b'] })).toBe('accepted');
  });
});

describe('password masking', () => {
  it('masks the whole of something that does not start with a scheme but holds credentials', () => {
    expect(maskPassword(' http://u:secret@h:80')).toBe('*****');
  });

  it('masks a password that has no user', () => {
    expect(maskPassword('http://:secret@h:80')).toBe('http://:*****@h:80');
  });

  it('keeps the stored uri only for a masked password, not for a uri masked as a whole or one without a password', () => {
    expect(keepMaskedPassword({ uri: '*****' }, { uri: 'u:secret@h' })).toEqual({ uri: '*****' });
    const incoming = { uri: 'http://user@h:80' };
    expect(keepMaskedPassword(incoming, { uri: 'http://user@h:80' })).toBe(incoming);
  });

  it('keeps what is sent when there is no stored uri, when it is not an object, or when its uri is not the masked stored one', () => {
    const stored = { uri: 'http://user:secret@h:80' };
    expect(keepMaskedPassword({ uri: 'http://user:*****@h:80' }, undefined)).toEqual({ uri: 'http://user:*****@h:80' });
    expect(keepMaskedPassword({ uri: 'http://user:*****@h:80' }, {})).toEqual({ uri: 'http://user:*****@h:80' });
    expect(keepMaskedPassword(null, stored)).toBeNull();
    expect(keepMaskedPassword({ uri: 42 }, stored)).toEqual({ uri: 42 });
    expect(keepMaskedPassword({ uri: 'http://user:*****@other:80' }, stored)).toEqual({ uri: 'http://user:*****@other:80' });
    expect(keepMaskedPassword({ uri: 'http://user:*****@h:80', name: 'n' }, stored)).toEqual({ uri: 'http://user:secret@h:80', name: 'n' });
  });
});

describe('the address rule, exactly', () => {
  const closed = new AddressPolicy();

  it('allows a public IPv6 address whose low bits spell a private IPv4 address or contain 2002', () => {
    expect(closed.refusal('2606:4700::a00:1')).toBeUndefined();
    expect(closed.refusal('2606:4700:2002:a00:1::1')).toBeUndefined();
  });

  it('refuses the metadata service behind 6to4', () => {
    expect(closed.refusal('2002:a9fe:a9fe::')).toBe('2002:a9fe:a9fe:: is a loopback, private, link-local or reserved address');
  });

  it('allows an IPv4 network reached through the IPv4-translated form ::ffff:0:a.b.c.d', () => {
    expect(new AddressPolicy(['10.0.0.0/8']).refusal('::ffff:0:a00:1')).toBeUndefined();
    expect(closed.refusal('::ffff:0:a00:1')).toMatch(/reserved/);
  });

  it('names the refused address in its canonical spelling', () => {
    expect(closed.refusal('0:0:0:0:0:ffff:7f00:1')).toBe('::ffff:7f00:1 is a loopback, private, link-local or reserved address');
  });

  it('shows at most 60 characters of what is not an IP address', () => {
    expect(closed.refusal('h'.repeat(100))).toBe(`'${'h'.repeat(60)}' is not an IP address`);
  });
});

describe('placeholders, exactly', () => {
  const fails = (template: string, allowHeaders = true): string => {
    try {
      checkPlaceholders(template, 'here', allowHeaders);
      return 'accepted';
    } catch (e) {
      return (e as DittoError).description ?? '';
    }
  };

  it('shows at most 100 characters of a template with an unclosed placeholder', () => {
    const template = `{{ thing:id ${'x'.repeat(200)}`;
    expect(fails(template)).toBe(`here: an unclosed '{{' in '${template.slice(0, 100)}'.`);
  });

  it('shows at most 60 characters of a placeholder function or an unknown placeholder', () => {
    const fn = `thing:id | ${'f'.repeat(100)}`;
    expect(fails(`{{ ${fn} }}`)).toBe(`here: placeholder functions ('${fn.slice(0, 60)}') are not supported.`);
    const unknown = `thing:${'u'.repeat(100)}`;
    expect(fails(`{{ ${unknown} }}`)).toBe(`here: the placeholder '{{ ${unknown.slice(0, 60)} }}' is not supported.`);
  });

  it("accepts header placeholders only where headers are allowed, and only with a name after 'header:'", () => {
    expect(fails('{{ header:a }}')).toBe('accepted');
    expect(fails('{{ header:a }}', false)).toMatch(/not supported/);
    expect(fails('{{ headers:a }}')).toMatch(/not supported/);
  });

  it('resolves a null header as missing and other header values as their JSON', () => {
    const source = { thingId: 'ns:t', namespace: 'ns', name: 't', topic: 'ns/t/things/live/messages/s', subject: 's' };
    const resolve = (value: unknown) => resolvePlaceholders('{{ header:a }}', { ...source, headers: { a: value } });
    expect(resolve(null)).toBeUndefined();
    expect(resolve(undefined)).toBeUndefined();
    expect(resolve('')).toBe('');
    expect(resolve(0)).toBe('0');
    expect(resolve(false)).toBe('false');
    expect(resolve({ x: [1] })).toBe('{"x":[1]}');
  });
});

describe('target selection by filter', () => {
  it("picks a target only when the message passes the target's filter", () => {
    const connection = compileConnection({
      ...base,
      id: 'c1',
      targets: [
        withTopic('_/_/things/live/messages?filter=eq(subject,"s")').targets[0],
        withTopic('_/_/things/live/messages?filter=eq(subject,"other")').targets[0],
      ],
    });
    const readers = { granted: new Set(['local:backend']), revoked: new Set<string>() };
    const facts = { thingId: 'ns:x', namespace: 'ns', subject: 's', direction: 'inbox' as const };
    expect(selectTargets([connection], readers, facts)).toEqual([{ connectionId: 'c1', target: 0 }]);
  });
});
