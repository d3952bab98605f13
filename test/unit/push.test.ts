/**
 * The guarded HTTP client of connection targets against real local servers: which addresses it refuses and where (IP
 * literals before connecting, names in the socket's DNS lookup), http and https, the response size bound, and how an
 * exchange ends (timeout, a response cut off, no timer left behind).
 */
import { execFile, execFileSync } from 'node:child_process';
import dns from 'node:dns';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import https, { createServer as createHttpsServer } from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AddressPolicy } from '../../lambdas/core/targets/addresses';
import { checkTargetHost, push } from '../../lambdas/gateway/push';

const run = promisify(execFile);
const tsx = require.resolve('tsx/cli');
const request = { method: 'POST', headers: {}, body: '{}', timeoutMs: 2000, validateCertificates: true, maxResponseBytes: 1024 };
const loopback = new AddressPolicy(['127.0.0.0/8', '::1/128']);
const refusedText = (host: string, ip: string) => `The target host '${host}' may not be reached: ${ip} is a loopback, private, link-local or reserved address.`;

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

/** A server on a loopback address; returns its port and how many requests it got. */
async function serve(handler: RequestListener, host = '127.0.0.1', server: Server = createServer()): Promise<{ port: number; requests: () => number }> {
  let requests = 0;
  server.on('request', (req, res) => {
    requests++;
    handler(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { port: (server.address() as AddressInfo).port, requests: () => requests };
}

describe('the addresses a push may reach', () => {
  it('refuses an IP literal before connecting, as an AddressRefusedError naming the host and the reason', async () => {
    const { port, requests } = await serve((_req, res) => res.end());
    await expect(push({ ...request, url: new URL(`http://127.0.0.1:${port}/x`) }, new AddressPolicy())).rejects.toMatchObject({
      name: 'AddressRefusedError',
      message: refusedText('127.0.0.1', '127.0.0.1'),
    });
    expect(requests()).toBe(0);
  });

  it('reads a bracketed IPv6 literal as its address: refused unless allowed, then reached', async () => {
    const { port, requests } = await serve((_req, res) => res.end('v6'), '::1');
    const url = new URL(`http://[::1]:${port}/x`);
    await expect(push({ ...request, url }, new AddressPolicy())).rejects.toThrow(refusedText('::1', '::1'));
    await expect(checkTargetHost(url, new AddressPolicy())).rejects.toThrow(refusedText('::1', '::1'));
    expect(requests()).toBe(0);
    await expect(checkTargetHost(url, loopback)).resolves.toBeUndefined();
    const res = await push({ ...request, url }, loopback);
    expect({ status: res.status, body: res.body.toString() }).toEqual({ status: 200, body: 'v6' });
  });

  it('refuses a name when any of its addresses is refused, also when a public one comes first', async () => {
    // A DNS answer such as an attacker's name could give: a public address, then the instance metadata service.
    const lookup = jest.spyOn(dns, 'lookup').mockImplementation(((_host: string, _options: unknown, callback: (...args: unknown[]) => void) =>
      callback(null, [
        { address: '93.184.215.14', family: 4 },
        { address: '169.254.169.254', family: 4 },
      ])) as unknown as typeof dns.lookup);
    try {
      const url = new URL('http://metadata.example/latest/meta-data/');
      await expect(push({ ...request, timeoutMs: 500, url }, new AddressPolicy())).rejects.toThrow(refusedText('metadata.example', '169.254.169.254'));
      await expect(checkTargetHost(url, new AddressPolicy())).rejects.toThrow(refusedText('metadata.example', '169.254.169.254'));
    } finally {
      lookup.mockRestore();
    }
  });

  it('refuses a name that resolves to no address (Node answers an empty name so, without an error)', async () => {
    await expect(checkTargetHost(new URL('file:///etc/passwd'), loopback)).rejects.toThrow("The target host '' may not be reached: it resolves to no address.");
  });

  it("fails a name that does not resolve with the resolver's error", async () => {
    const url = new URL('http://no-such-host.invalid/x');
    await expect(push({ ...request, url }, loopback)).rejects.toThrow(/^getaddrinfo (ENOTFOUND|EAI_AGAIN) no-such-host\.invalid$/);
    await expect(checkTargetHost(url, loopback)).rejects.toThrow(/^getaddrinfo (ENOTFOUND|EAI_AGAIN) no-such-host\.invalid$/);
  });

  it('connects to the checked address also when Node looks up a single address (family autoselection off)', async () => {
    const { port } = await serve((_req, res) => res.end('one'));
    net.setDefaultAutoSelectFamily(false);
    try {
      const res = await push({ ...request, url: new URL(`http://localhost:${port}/x`) }, loopback);
      expect({ status: res.status, body: res.body.toString() }).toEqual({ status: 200, body: 'one' });
    } finally {
      net.setDefaultAutoSelectFamily(true);
    }
  });
});

describe('http and https', () => {
  let tls: { key: Buffer; cert: Buffer };
  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), 'push-tls-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=localhost',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
      tls = { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('pushes to an https target over TLS, checking its certificate unless the connection says not to', async () => {
    const { port, requests } = await serve((req, res) => res.end(`tls ${req.method} ${req.url}`), '127.0.0.1', createHttpsServer(tls));
    const url = new URL(`https://localhost:${port}/hook`);
    await expect(push({ ...request, url }, loopback)).rejects.toThrow(/self-signed certificate/);
    const res = await push({ ...request, url, validateCertificates: false }, loopback);
    expect({ status: res.status, body: res.body.toString() }).toEqual({ status: 200, body: 'tls POST /hook' });
    expect(requests()).toBe(1);
  });

  it("still pushes over https when another module has replaced https.request by a two-argument wrapper (agent-base 4, under Ditto's client, does)", async () => {
    const original: (options: https.RequestOptions, callback?: () => void) => ReturnType<typeof https.request> = https.request;
    const wrapper = jest
      .spyOn(https, 'request')
      .mockImplementation(((options: https.RequestOptions, callback?: () => void) => original.call(https, options, callback)) as typeof https.request);
    try {
      const { port } = await serve((req, res) => res.end(`tls ${req.url}`), '127.0.0.1', createHttpsServer(tls));
      const res = await push({ ...request, url: new URL(`https://localhost:${port}/wrapped`), validateCertificates: false }, loopback);
      expect({ status: res.status, body: res.body.toString(), calls: wrapper.mock.calls.length }).toEqual({ status: 200, body: 'tls /wrapped', calls: 1 });
    } finally {
      wrapper.mockRestore();
    }
  }, 5_000);
});

describe('how a push ends', () => {
  it('reads a response body of exactly the bound, and refuses one byte more', async () => {
    const { port } = await serve((req, res) => res.end('x'.repeat(req.url === '/at' ? 1024 : 1025)));
    const at = await push({ ...request, url: new URL(`http://127.0.0.1:${port}/at`) }, loopback);
    expect(at.body.toString()).toBe('x'.repeat(1024));
    await expect(push({ ...request, url: new URL(`http://127.0.0.1:${port}/over`) }, loopback)).rejects.toThrow('The response body exceeds 1024 bytes.');
  });

  it('ends an exchange that keeps trickling data at its timeout, not only one that goes silent', async () => {
    const trickles: NodeJS.Timeout[] = [];
    const { port } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      trickles.push(setInterval(() => res.write('x'), 50));
    });
    try {
      await expect(push({ ...request, timeoutMs: 300, maxResponseBytes: 100_000, url: new URL(`http://127.0.0.1:${port}/slow`) }, loopback)).rejects.toThrow(
        'No response within 300 ms.',
      );
    } finally {
      for (const t of trickles) clearInterval(t);
    }
  }, 5_000);

  it('fails, rather than waiting forever, when the endpoint cuts its response off', async () => {
    const { port } = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('x'.repeat(10), () => res.socket?.destroy());
    });
    await expect(push({ ...request, timeoutMs: 60_000, url: new URL(`http://127.0.0.1:${port}/cut`) }, loopback)).rejects.toThrow('aborted');
  }, 5_000);

  it('clears its timeout once the exchange is over (no timer is left pending in this process)', async () => {
    const { port } = await serve((_req, res) => res.end('done'));
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const res = await push({ ...request, timeoutMs: 60_000, url: new URL(`http://127.0.0.1:${port}/x`) }, loopback);
    expect(res.status).toBe(200);
    // The sockets close just after the response ends (the server's timers go with them); the push's own would stay 60 s.
    for (let i = 0; i < 100 && timers() > before; i++) await new Promise((r) => setTimeout(r, 10));
    expect(timers()).toBe(before);
  });

  it('leaves nothing running once the exchange is over: a process that pushed can end long before the timeout', async () => {
    const { port } = await serve((_req, res) => res.end('done'));
    const started = Date.now();
    // 30 s of timeout; the process must be gone within 15 s (a tsx start under load included).
    const { stdout } = await run(process.execPath, [tsx, join(__dirname, '..', 'support', 'push-once.ts'), `http://127.0.0.1:${port}/x`, '30000'], {
      timeout: 15_000,
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    expect(stdout.trim()).toBe('200');
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 20_000);
});
