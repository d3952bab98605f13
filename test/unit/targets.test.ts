/** Connection targets: the connection model, placeholders, the address rule and the guarded HTTP client. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AddressPolicy } from '../../lambdas/core/targets/addresses';
import { compileConnection, keepMaskedPassword, maskPassword, parseConnection } from '../../lambdas/core/targets/connection';
import { encodePathValue, hasDotSegment, resolvePlaceholders } from '../../lambdas/core/targets/placeholders';
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
