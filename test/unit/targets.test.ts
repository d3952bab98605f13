/** Connection targets: the connection model, placeholders, the address rule and the guarded HTTP client. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AddressPolicy } from '../../lambdas/core/targets/addresses';
import { compileConnection, isConnectionId, keepMaskedPassword, maskedDocument, maskPassword, parseConnection } from '../../lambdas/core/targets/connection';
import { checkPlaceholders, encodePathValue, hasDotSegment, resolvePlaceholders } from '../../lambdas/core/targets/placeholders';
import { sqsSafe } from '../../lambdas/gateway/sqs';
import { selectTargets } from '../../lambdas/core/targets/select';
import { AddressRefusedError, checkTargetHost, push } from '../../lambdas/gateway/push';

const base = {
  connectionType: 'http-push',
  connectionStatus: 'open',
  uri: 'https://user:p%40ss@hooks.example.com:8443/base/',
  targets: [{ address: 'PUT:/things/{{ thing:id }}', topics: ['_/_/things/live/messages'], authorizationContext: ['local:backend'] }],
};

describe('the connection model', () => {
  it('compiles the uri into a base URL without credentials and Basic credentials', () => {
    const { compiled } = parseConnection(base, 'c1');
    expect(compiled.baseUrl).toBe('https://hooks.example.com:8443/base');
    expect(compiled.basicAuth).toBe('user:p@ss');
    expect(compiled.targets[0]).toMatchObject({
      method: 'PUT',
      pathTemplate: '/things/{{ thing:id }}',
      authorizationContext: ['local:backend'],
      liveResponse: false,
    });
    expect(compiled.omitRequestBody).toEqual(['GET', 'DELETE']);
  });

  it("defaults a missing status to Ditto's 'unknown', which delivers nothing", () => {
    const { document, compiled } = parseConnection({ ...base, connectionStatus: undefined }, 'c1');
    expect(document.connectionStatus).toBe('unknown');
    expect(compiled.open).toBe(false);
  });

  it('reads namespaces and filter from the live messages topic; other topics take no messages', () => {
    const { compiled } = parseConnection(
      {
        ...base,
        targets: [
          { ...base.targets[0], topics: ['_/_/things/live/messages?namespaces=a.b,c&filter=eq(subject,"x")'] },
          { ...base.targets[0], topics: ['_/_/things/twin/events'] },
        ],
      },
      'c1',
    );
    expect(compiled.targets[0]!.liveMessages).toEqual({ namespaces: ['a.b', 'c'], filter: 'eq(subject,"x")' });
    expect(compiled.targets[1]!.liveMessages).toBeUndefined();
  });

  it('takes parallelism as string or number and omitRequestBody as list or comma-separated string', () => {
    expect(compileConnection({ ...base, specificConfig: { parallelism: '4', omitRequestBody: 'get, post' } })).toMatchObject({
      parallelism: 4,
      omitRequestBody: ['GET', 'POST'],
    });
    expect(compileConnection({ ...base, specificConfig: { parallelism: 2, omitRequestBody: '' } })).toMatchObject({ parallelism: 2, omitRequestBody: [] });
    expect(() => compileConnection({ ...base, specificConfig: { parallelism: 0 } })).toThrow(
      expect.objectContaining({ description: expect.stringMatching(/parallelism/) }),
    );
  });

  it('masks the password as Ditto does and keeps the stored one when the mask comes back unchanged', () => {
    expect(maskPassword('http://user:secret@host:80/x')).toBe('http://user:*****@host:80/x');
    expect(maskPassword('http://host:80')).toBe('http://host:80');
    expect(maskPassword('http://host:80/a@b')).toBe('http://host:80/a@b');
    // Invalid uris are echoed in errors: masked up to the last '@', never leaking part of a password.
    expect(maskPassword('http://u:se/cret@h:80')).toBe('http://u:*****@h:80');
    expect(maskPassword('http://u:p@ss@h:80')).toBe('http://u:*****@h:80');
    const stored = { uri: 'http://user:secret@host:80' };
    expect(keepMaskedPassword({ uri: 'http://user:*****@host:80' }, stored)).toEqual({ uri: 'http://user:secret@host:80' });
    // Another host or user with the mask: the mask is not swapped for a secret meant for somewhere else.
    expect(keepMaskedPassword({ uri: 'http://user:*****@evil:80' }, stored)).toEqual({ uri: 'http://user:*****@evil:80' });
    expect(keepMaskedPassword({ uri: 'http://user:new@host:80' }, stored)).toEqual({ uri: 'http://user:new@host:80' });
  });
});

describe('what the connection model refuses', () => {
  const error = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return (e as { error?: string }).error;
    }
    return 'accepted';
  };

  it.each([
    ['a malformed escape in the password', 'http://u:p%zz@h:80'],
    ['a backslash that parsers read differently', 'http://user:8443\\@hooks.example.com:80'],
    ['a port out of range', 'http://h:70000'],
  ])('refuses %s as connectivity:connection.uri.invalid (never a 500)', (_what, uri) => {
    expect(error(() => parseConnection({ ...base, uri }, 'c1'))).toBe('connectivity:connection.uri.invalid');
  });

  it('refuses non-scalar parallelism, non-string names and oversized documents', () => {
    expect(error(() => parseConnection({ ...base, specificConfig: { parallelism: true } }, 'c1'))).toBe('connectivity:connection.configuration.invalid');
    expect(error(() => parseConnection({ ...base, name: 42 }, 'c1'))).toBe('connectivity:connection.configuration.invalid');
    expect(error(() => parseConnection({ ...base, tags: ['x'.repeat(40_000)] }, 'c1'))).toBe('connectivity:connection.configuration.invalid');
    expect(error(() => parseConnection({ ...base, id: 'other' }, 'c1'))).toBe('connectivity:id.notsettable');
  });

  it('keeps SQS bodies within the characters SQS accepts, as the same JSON', () => {
    const json = JSON.stringify({ v: 'a\uFFFFb\uFFFEc' });
    expect(sqsSafe(json)).not.toMatch(/[\uFFFE\uFFFF]/);
    expect(JSON.parse(sqsSafe(json))).toEqual({ v: 'a\uFFFFb\uFFFEc' });
  });
});

describe('placeholders', () => {
  const source = {
    thingId: 'org.acme:sensor-1',
    namespace: 'org.acme',
    name: 'sensor-1',
    topic: 'org.acme/sensor-1/things/live/messages/smoke',
    subject: 'smoke',
    headers: { 'device-type': 'detector', count: 3 },
  };

  it('resolves thing, topic and header placeholders, with or without spaces', () => {
    expect(resolvePlaceholders('/{{thing:namespace}}/{{ thing:name }}/{{ topic:subject }}/{{ header:Device-Type }}', source)).toBe(
      '/org.acme/sensor-1/smoke/detector',
    );
    expect(resolvePlaceholders('{{ topic:group }}:{{ topic:channel }}:{{ topic:criterion }}:{{ header:count }}', source)).toBe('things:live:messages:3');
    expect(resolvePlaceholders('{{ topic:full }}', source)).toBe(source.topic);
    // Messages have a subject but no action.
    expect(resolvePlaceholders('{{ topic:action }}', source)).toBeUndefined();
  });

  it('is unresolved when a value is missing (no feature, no such header)', () => {
    expect(resolvePlaceholders('/{{ feature:id }}', source)).toBeUndefined();
    expect(resolvePlaceholders('{{ header:missing }}', source)).toBeUndefined();
  });

  it('cannot smuggle path separators, queries or dot segments into the URL', () => {
    expect(encodePathValue('a/b?c#d')).toBe('a%2Fb%3Fc%23d');
    expect(encodePathValue('org.acme:x')).toBe('org.acme:x');
    // URL parsers remove `.`/`..` segments in any spelling: such a path is not pushed at all.
    for (const path of ['/t/../in', '/t/%2E%2E/in', '/t/%2e./in', '/t/./in', '/t/..?x=1', '/..']) expect(hasDotSegment(path)).toBe(true);
    for (const path of ['/t/...', '/t/a..b/in', '/t/in?x=..', '/t/.hidden']) expect(hasDotSegment(path)).toBe(false);
    // Two placeholders side by side make a dot segment only once resolved.
    expect(hasDotSegment(resolvePlaceholders('/{{ header:a }}{{ header:b }}/x', { ...source, headers: { a: '.', b: '.' } }, encodePathValue)!)).toBe(true);
  });
});

describe('the address rule', () => {
  const closed = new AddressPolicy();

  it.each([
    '127.0.0.1',
    '10.0.0.1',
    '172.16.5.4',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '::1',
    '::',
    'fd00:ec2::254',
    'fe80::1',
    '::ffff:127.0.0.1',
    '0:0:0:0:0:ffff:7f00:1',
    '64:ff9b::a9fe:a9fe',
    '2002:7f00:1::',
    '::7f00:1',
    '::127.0.0.1',
    '::a9fe:a9fe',
    '::ffff:0:7f00:1',
    '64:ff9b:1::a9fe:a9fe',
    '2001::1',
    '192.88.99.1',
  ])('refuses %s', (ip) => {
    expect(closed.refusal(ip)).toMatch(/loopback, private, link-local or reserved/);
  });

  it.each(['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111'])('allows the public address %s', (ip) => {
    expect(closed.refusal(ip)).toBeUndefined();
  });

  it('reads allowed networks with or without a prefix, and refuses what is not a network', () => {
    expect(new AddressPolicy(['10.9.8.7']).refusal('10.9.8.7')).toBeUndefined();
    expect(new AddressPolicy(['10.9.8.7']).refusal('10.9.8.6')).toMatch(/private/);
    expect(new AddressPolicy(['fd00::1']).refusal('fd00::1')).toBeUndefined();
    expect(new AddressPolicy(['fd00::1']).refusal('fd00::2')).toMatch(/private/);
    expect(new AddressPolicy(['10.0.0.0/0']).refusal('192.168.1.1')).toBeUndefined();
    for (const bad of ['10.0.0.0/-1', '10.0.0.0/33', 'fd00::/129', '10.0.0.0/1.5', 'example.com/8', '']) {
      expect(() => new AddressPolicy([bad])).toThrow(`'${bad}' is not a CIDR network`);
    }
    expect(new AddressPolicy().refusal('not-an-ip')).toBe("'not-an-ip' is not an IP address");
  });

  it('allows an IPv4 network also when it is reached through an IPv6 form', () => {
    const loopback = new AddressPolicy(['127.0.0.0/8']);
    expect(loopback.refusal('::ffff:127.0.0.1')).toBeUndefined();
    expect(loopback.refusal('::ffff:7f00:1')).toBeUndefined();
    expect(loopback.refusal('64:ff9b::7f00:1')).toBeUndefined();
    expect(loopback.refusal('::ffff:10.0.0.1')).toMatch(/private/);
  });

  it('allows the networks the operator names, and only those', () => {
    const policy = new AddressPolicy(['10.1.0.0/16', '::1/128']);
    expect(policy.refusal('10.1.2.3')).toBeUndefined();
    expect(policy.refusal('::1')).toBeUndefined();
    expect(policy.refusal('10.2.0.1')).toBe('10.2.0.1 is a loopback, private, link-local or reserved address');
    expect(policy.refusal('127.0.0.1')).toBe('127.0.0.1 is a loopback, private, link-local or reserved address');
    expect(() => new AddressPolicy(['10.0.0.0/33'])).toThrow(/CIDR/);
  });
});

describe('the guarded HTTP client', () => {
  it('refuses, at connect time, a host name that resolves to a refused address, and sends nothing', async () => {
    let requests = 0;
    const server = createServer((_req, res) => {
      requests++;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const request = { method: 'POST', headers: {}, body: '{}', timeoutMs: 2000, validateCertificates: true, maxResponseBytes: 1024 };
      await expect(push({ ...request, url: new URL(`http://localhost:${port}/x`) }, new AddressPolicy())).rejects.toBeInstanceOf(AddressRefusedError);
      await expect(push({ ...request, url: new URL(`http://127.0.0.1:${port}/x`) }, new AddressPolicy())).rejects.toBeInstanceOf(AddressRefusedError);
      expect(requests).toBe(0);
      await expect(checkTargetHost(new URL('http://localhost:1'), new AddressPolicy())).rejects.toBeInstanceOf(AddressRefusedError);
      // Allowed: the same request goes through.
      const res = await push({ ...request, url: new URL(`http://localhost:${port}/x`) }, new AddressPolicy(['127.0.0.0/8', '::1/128']));
      expect(res.status).toBe(200);
      expect(requests).toBe(1);
    } finally {
      server.close();
    }
  });

  it('ends a request the endpoint does not answer at its timeout, and refuses a response over the size bound', async () => {
    const server = createServer((req, res) => {
      if (req.url === '/big') res.end('x'.repeat(5000));
      // '/hang': never answered
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const allowed = new AddressPolicy(['127.0.0.0/8']);
    const request = { method: 'POST', headers: {}, body: '{}', timeoutMs: 300, validateCertificates: true, maxResponseBytes: 1024 };
    try {
      await expect(push({ ...request, url: new URL(`http://127.0.0.1:${port}/hang`) }, allowed)).rejects.toThrow(/No response within 300 ms/);
      await expect(push({ ...request, url: new URL(`http://127.0.0.1:${port}/big`) }, allowed)).rejects.toThrow(/exceeds 1024 bytes/);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('target selection', () => {
  const connection = compileConnection({
    ...base,
    id: 'c1',
    targets: [
      { ...base.targets[0], authorizationContext: ['local:reader'] },
      { ...base.targets[0], authorizationContext: ['local:reader', 'local:revoked'] },
      { ...base.targets[0], authorizationContext: ['local:stranger'] },
      { ...base.targets[0], authorizationContext: ['local:reader'], topics: ['_/_/things/live/messages?namespaces=other'] },
      { ...base.targets[0], authorizationContext: ['local:reader'], topics: ['_/_/things/twin/events'] },
    ],
  });
  const readers = { granted: new Set(['local:reader', 'local:revoked']), revoked: new Set(['local:revoked']) };
  const facts = { thingId: 'ns:x', namespace: 'ns', subject: 's', direction: 'inbox' as const };

  it('picks the targets a subscriber with their subjects would be: READ, no revoked subject, namespaces, live messages only', () => {
    expect(selectTargets([connection], readers, facts)).toEqual([{ connectionId: 'c1', target: 0 }]);
  });

  it('picks nothing of a connection that is not open', () => {
    expect(selectTargets([{ ...connection, open: false }], readers, facts)).toEqual([]);
  });
});

describe('every refusal of the connection model, with its reason', () => {
  const target = base.targets[0]!;
  const withTarget = (change: Record<string, unknown>) => ({ ...base, targets: [{ ...target, ...change }] });
  const refusal = (body: unknown, id = 'c1', generated = false): { error?: string; description?: string } => {
    try {
      parseConnection(body, id, generated);
    } catch (e) {
      return e as { error?: string; description?: string };
    }
    return {};
  };

  it.each([
    ['not an object', [], /must be a JSON object/],
    ['an unknown field', { ...base, ssl: true }, /The field 'ssl' is not supported/],
    ['an id that is not one', base, /The connection id 'a b' is not valid/, 'a b'],
    ['another type', { ...base, connectionType: 'mqtt' }, /The connectionType 'mqtt' is not supported/],
    ["Ditto's failed status", { ...base, connectionStatus: 'failed' }, /must be 'open', 'closed' or 'unknown'/],
    ['a source', { ...base, sources: [{}] }, /have no sources/],
    ['payload mapping definitions', { ...base, mappingDefinitions: { a: {} } }, /mappingDefinitions\) is not supported/],
    ['validateCertificates that is not a boolean', { ...base, validateCertificates: 'no' }, /'validateCertificates' must be true or false/],
    ['tags that are not strings', { ...base, tags: [1] }, /'tags' must be an array of strings/],
    ['no targets', { ...base, targets: [] }, /needs at least one target/],
    ['21 targets', { ...base, targets: Array.from({ length: 21 }, () => target) }, /at most 20 targets/],
    ['a target that is not an object', { ...base, targets: ['x'] }, /targets\[0\] must be a JSON object/],
    ['an unknown target field', withTarget({ qos: 1 }), /targets\[0\]\.qos is not supported/],
    ['target payload mapping', withTarget({ payloadMapping: ['js'] }), /payload mapping is not supported/],
    ['an address that is not a string', withTarget({ address: 1 }), /address must be a string 'VERB:\/path'/],
    ['an address without a colon', withTarget({ address: 'POST/x' }), /Expect '<VERB>:\/<path>'/],
    ['an unknown verb', withTarget({ address: 'SEND:/x' }), /The method 'SEND' is not supported. Supported methods are: POST, PUT, PATCH, GET, DELETE/],
    ['a path without a slash', withTarget({ address: 'POST:x' }), /the path after 'POST:' must start with '\/'/],
    ['an unclosed placeholder', withTarget({ address: 'POST:/{{ thing:id' }), /an unclosed '\{\{'/],
    ['a header placeholder in the address', withTarget({ address: 'POST:/{{ header:x }}' }), /the placeholder '\{\{ header:x \}\}' is not supported/],
    ['an empty header placeholder in a header', withTarget({ headerMapping: { a: '{{ header: }}' } }), /placeholder '\{\{ header: \}\}' is not supported/],
    ['a placeholder function', withTarget({ address: 'POST:/{{ thing:id | fn:lower() }}' }), /placeholder functions/],
    ['no topics', withTarget({ topics: [] }), /topics' must be a non-empty array of non-empty strings/],
    ['an empty topic', withTarget({ topics: [' '] }), /topics' must be a non-empty array/],
    ['an unknown topic', withTarget({ topics: ['_/_/things/twin/commands'] }), /is not one of Ditto's topics/],
    ['an invalid namespace', withTarget({ topics: ['_/_/things/live/messages?namespaces=a,-b'] }), /'-b' in the topic/],
    [
      'an invalid filter',
      withTarget({ topics: ['_/_/things/live/messages?filter=eq('] }),
      /filter of the topic '_\/_\/things\/live\/messages' is not valid RQL/,
    ],
    ['an unknown topic option', withTarget({ topics: ['_/_/things/live/messages?extraFields=x'] }), /topic option 'extraFields' is not supported/],
    ['no authorization context', withTarget({ authorizationContext: [] }), /authorizationContext' must be a non-empty array/],
    ['header mapping that is not an object', withTarget({ headerMapping: ['a'] }), /headerMapping must be a JSON object of strings/],
    ['a header name with a space', withTarget({ headerMapping: { 'a b': 'x' } }), /headerMapping\['a b'\] must be a header name mapped to a string/],
    ['a header mapped to a number', withTarget({ headerMapping: { a: 1 } }), /headerMapping\['a'\] must be a header name/],
    ['another acknowledgement label', withTarget({ issuedAcknowledgementLabel: 'twin-persisted' }), /only 'live-response' is supported/],
    ['specific config that is not an object', { ...base, specificConfig: 'x' }, /'specificConfig' must be a JSON object/],
    ['an unknown specific config', { ...base, specificConfig: { idleTimeout: '1s' } }, /specificConfig\.idleTimeout is not supported/],
    ['parallelism 65', { ...base, specificConfig: { parallelism: 65 } }, /parallelism must be an integer 1\.\.64/],
    ['parallelism 1.5', { ...base, specificConfig: { parallelism: '1.5' } }, /parallelism must be an integer/],
    ['a verb to omit the body for that is not one', { ...base, specificConfig: { omitRequestBody: ['GET', 'SEND'] } }, /omitRequestBody must list HTTP verbs/],
    ['omitRequestBody of another type', { ...base, specificConfig: { omitRequestBody: 3 } }, /omitRequestBody must list HTTP verbs/],
  ])('refuses %s', (_what, body, reason, id = 'c1') => {
    const e = refusal(body, id as string);
    expect(e.error).toBe('connectivity:connection.configuration.invalid');
    expect(e.description).toMatch(reason as RegExp);
  });

  it('accepts the largest values it allows', () => {
    expect(parseConnection({ ...base, targets: Array.from({ length: 20 }, () => target) }, 'c1').compiled.targets).toHaveLength(20);
    expect(compileConnection({ ...base, specificConfig: { parallelism: 64 } }).parallelism).toBe(64);
    expect(compileConnection({ ...base, specificConfig: { parallelism: '1' } }).parallelism).toBe(1);
    expect(isConnectionId('x'.repeat(100))).toBe(true);
    expect(isConnectionId('x'.repeat(101))).toBe(false);
  });

  it('refuses a document just over 32 KiB and accepts one just under', () => {
    const padded = (n: number) => ({ ...base, name: 'x'.repeat(n - JSON.stringify({ ...base, name: '' }).length) });
    expect(() => parseConnection(padded(32 * 1024), 'c1')).not.toThrow();
    expect(refusal(padded(32 * 1024 + 1)).description).toMatch(/at most 32768 characters/);
  });

  it('refuses an id in a POST body and a different one in a PUT body, accepts the same one', () => {
    expect(refusal({ ...base, id: 'c1' }, 'c1', true)).toMatchObject({ error: 'connectivity:id.notsettable', description: /will be generated/ });
    expect(refusal({ ...base, id: 'c2' }, 'c1')).toMatchObject({ error: 'connectivity:id.notsettable', description: /equal to the ID in the path/ });
    expect(parseConnection({ ...base, id: 'c1' }, 'c1').document.id).toBe('c1');
  });

  it.each([
    ['no port', 'https://hooks.example.com'],
    ['a query', 'https://hooks.example.com:443/x?a=1'],
    ['a fragment', 'https://hooks.example.com:443/#x'],
    ['port 0', 'http://h:0'],
    ['port 65536', 'http://h:65536'],
    ['not a string', 42],
  ])('refuses a uri with %s as connectivity:connection.uri.invalid', (_what, uri) => {
    expect(refusal({ ...base, uri }).error).toBe('connectivity:connection.uri.invalid');
  });

  it('accepts ports 1 and 65535, IPv6 literals, and a uri without credentials or path', () => {
    expect(compileConnection({ ...base, uri: 'http://h:1' }).baseUrl).toBe('http://h:1');
    expect(compileConnection({ ...base, uri: 'http://h:65535/' }).baseUrl).toBe('http://h:65535');
    const v6 = compileConnection({ ...base, uri: 'https://[2001:db8::1]:8443/hooks' });
    expect(v6).toMatchObject({ baseUrl: 'https://[2001:db8::1]:8443/hooks' });
    expect(v6.basicAuth).toBeUndefined();
    // A user without a password is Basic with an empty password.
    expect(compileConnection({ ...base, uri: 'http://only@h:80' }).basicAuth).toBe('only:');
  });
});

describe('what the connection model keeps', () => {
  it('keeps the given document with the id first, no sources, and the status it was given', () => {
    const { document } = parseConnection({ ...base, connectionStatus: 'closed', name: 'hooks', tags: ['a'] }, 'c1');
    expect(Object.keys(document)[0]).toBe('id');
    expect(document).toMatchObject({ id: 'c1', connectionStatus: 'closed', sources: [], name: 'hooks', tags: ['a'] });
  });

  it('compiles open/closed, certificate checks, header mappings (lower-cased) and live responses', () => {
    const closed = compileConnection({ ...base, connectionStatus: 'closed', validateCertificates: false });
    expect(closed).toMatchObject({ open: false, validateCertificates: false });
    expect(compileConnection({ ...base, validateCertificates: true })).toMatchObject({ open: true, validateCertificates: true });
    const t = compileConnection({
      ...base,
      targets: [{ ...base.targets[0], headerMapping: { 'X-Device': '{{ header:device }}', plain: 'v' }, issuedAcknowledgementLabel: 'live-response' }],
    }).targets[0]!;
    expect(t.headerMapping).toEqual({ 'x-device': '{{ header:device }}', plain: 'v' });
    expect(t.liveResponse).toBe(true);
    expect(t.liveMessages).toEqual({});
    expect(compileConnection(base).targets[0]!.headerMapping).toEqual({});
  });

  it('keeps payloadMapping [] and mappingDefinitions {} (what Ditto shows for none)', () => {
    expect(() => parseConnection({ ...base, mappingDefinitions: {}, targets: [{ ...base.targets[0], payloadMapping: [] }] }, 'c1')).not.toThrow();
  });

  it('masks only the password, also without a scheme or with user info only', () => {
    expect(maskPassword('user@host:80')).toBe('*****');
    expect(maskPassword('plain-text')).toBe('plain-text');
    expect(maskPassword('http://user@host:80')).toBe('http://user@host:80');
    expect(maskPassword('http://a:b@h:80/p@q')).toBe('http://a:*****@h:80/p@q');
    expect(maskedDocument({ uri: 'http://a:b@h:80' })).toEqual({ uri: 'http://a:*****@h:80' });
    expect(maskedDocument({ name: 'x' })).toEqual({ name: 'x' });
  });

  it('keeps the stored password only when the incoming uri is exactly the masked stored one', () => {
    const stored = { uri: 'http://u:secret@h:80' };
    expect(keepMaskedPassword({ uri: 'http://u:*****@h:80' }, undefined)).toEqual({ uri: 'http://u:*****@h:80' });
    expect(keepMaskedPassword('not an object', stored)).toBe('not an object');
    expect(keepMaskedPassword({ uri: 'http://h:80' }, { uri: 'http://h:80' })).toEqual({ uri: 'http://h:80' });
  });
});

describe('placeholder checks and values', () => {
  const source = { thingId: 'ns:n', namespace: 'ns', name: 'n', topic: 'ns/n/things/live/messages/s', subject: 's', headers: { a: null, b: { x: 1 } } };

  it('resolves every name it accepts', () => {
    const names = [
      'thing:id',
      'entity:id',
      'thing:namespace',
      'entity:namespace',
      'topic:namespace',
      'thing:name',
      'entity:name',
      'topic:entityName',
      'topic:subject',
    ];
    expect(names.map((n) => resolvePlaceholders(`{{ ${n} }}`, source))).toEqual(['ns:n', 'ns:n', 'ns', 'ns', 'ns', 'n', 'n', 'n', 's']);
    expect(resolvePlaceholders('{{ feature:id }}', { ...source, featureId: 'f' })).toBe('f');
    for (const n of names) expect(() => checkPlaceholders(`{{ ${n} }}`, 'x', false)).not.toThrow();
  });

  it('treats a null header as missing and shows an object header as JSON', () => {
    expect(resolvePlaceholders('{{ header:a }}', source)).toBeUndefined();
    expect(resolvePlaceholders('{{ header:b }}', source)).toBe('{"x":1}');
  });

  it('allows header placeholders only where asked, and checks every placeholder of a template', () => {
    expect(() => checkPlaceholders('{{ header:x }}', 'h', true)).not.toThrow();
    expect(() => checkPlaceholders('/{{ thing:id }}/{{ nope }}', 'where', false)).toThrow(
      expect.objectContaining({ description: "where: the placeholder '{{ nope }}' is not supported." }),
    );
    expect(() => checkPlaceholders('/{{ thing:id }}/{{ thing:id', 'where', false)).toThrow(
      expect.objectContaining({ description: "where: an unclosed '{{' in '/{{ thing:id }}/{{ thing:id'." }),
    );
    expect(() => checkPlaceholders("{{ thing:id | fn:default('x') }}", 'where', false)).toThrow(
      expect.objectContaining({ description: "where: placeholder functions ('thing:id | fn:default('x')') are not supported." }),
    );
  });
});
