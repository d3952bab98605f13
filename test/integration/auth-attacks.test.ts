/** Authentication attacks: every forged, stale or misplaced credential is rejected with 401. */
import { readFileSync } from 'node:fs';
import { base64url, generateKeyPair, type JWK, SignJWT } from 'jose';
import { DEV_ISSUER, devToken, keyFile } from '../../local/dev-auth';
import type { LocalGateway } from '../../local/gateway';
import { bearer, http, putJson, sleep, startTestGateway, TestClient, uniqueName, uniqueNamespace } from '../support/harness';

let gateway: LocalGateway;
const AUD_ISSUER = 'audience-checking-issuer';
beforeAll(async () => {
  gateway = await startTestGateway({
    // A second issuer (same dev key) that requires an audience, to test `aud` checks.
    extraIssuers: (baseUrl) => [{ issuer: AUD_ISSUER, jwksUrl: `${baseUrl}/local/jwks.json`, prefix: 'aud', audience: 'ditto-router' }],
  });
});
afterAll(async () => gateway.stop());

const probe = (authorization?: string) => http(gateway, 'GET', `/api/2/things/${uniqueNamespace()}:x`, authorization ? { auth: authorization } : {});

async function expectRejected(token: string): Promise<void> {
  const res = await probe(`Bearer ${token}`);
  expect(res.status).toBe(401);
  expect(res.json()).toMatchObject({ status: 401, error: 'gateway:authentication.failed' });
  await expect(TestClient.connect(gateway.wsUrl, { auth: `Bearer ${token}` })).rejects.toThrow('HTTP 401');
  await expect(TestClient.connect(gateway.wsUrl, { query: `access_token=${token}` })).rejects.toThrow('HTTP 401');
}

const devPrivateJwk = (): JWK => (JSON.parse(readFileSync(keyFile(), 'utf8')) as { privateJwk: JWK }).privateJwk;
const devPublicJwk = (): JWK => (JSON.parse(readFileSync(keyFile(), 'utf8')) as { publicJwk: JWK }).publicJwk;

describe('forged and stale tokens', () => {
  it('accepts a valid token (control)', async () => {
    expect((await probe(await bearer(uniqueName()))).status).toBe(404);
  });

  it('rejects an expired token', async () => {
    await expectRejected(await devToken(uniqueName(), { expiresIn: Math.floor(Date.now() / 1000) - 60 }));
  });

  it('rejects a token that is not valid yet', async () => {
    await expectRejected(await devToken(uniqueName(), { notBefore: '10m' }));
  });

  it('rejects a token from an unknown issuer', async () => {
    await expectRejected(await devToken(uniqueName(), { issuer: 'https://evil.example/' }));
  });

  it('rejects a token with the wrong audience, accepts the right one', async () => {
    await expectRejected(await devToken(uniqueName(), { issuer: AUD_ISSUER, audience: 'someone-else' }));
    await expectRejected(await devToken(uniqueName(), { issuer: AUD_ISSUER }));
    expect((await probe(`Bearer ${await devToken(uniqueName(), { issuer: AUD_ISSUER, audience: 'ditto-router' })}`)).status).toBe(404);
  });

  it('rejects tokens minted for another relying party by the dev issuer (it has an audience)', async () => {
    await expectRejected(await devToken(uniqueName(), { audience: null }));
    await expectRejected(await devToken(uniqueName(), { audience: 'another-app' }));
  });

  it('rejects JWTs that are not access or ID tokens (typ), accepts JWT and at+jwt', async () => {
    await expectRejected(await devToken(uniqueName(), { typ: 'logout+jwt' }));
    await expectRejected(await devToken(uniqueName(), { typ: 'secevent+jwt' }));
    for (const typ of ['JWT', 'at+jwt', 'application/at+jwt']) expect((await probe(`Bearer ${await devToken(uniqueName(), { typ })}`)).status).toBe(404);
  });

  it('rejects an unsigned token (alg: none)', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
    const payload = base64url.encode(JSON.stringify({ iss: DEV_ISSUER, sub: 'admin', exp: Math.floor(Date.now() / 1000) + 600 }));
    await expectRejected(`${header}.${payload}.`);
  });

  it('rejects a token signed by another key with the same kid', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: devPrivateJwk().kid! })
      .setIssuer(DEV_ISSUER)
      .setSubject('admin')
      .setExpirationTime('1h')
      .sign(privateKey);
    await expectRejected(token);
  });

  it('rejects a tampered payload', async () => {
    const [h, , s] = (await devToken('alice')).split('.');
    const forged = base64url.encode(JSON.stringify({ iss: DEV_ISSUER, sub: 'admin', exp: Math.floor(Date.now() / 1000) + 600 }));
    await expectRejected(`${h}.${forged}.${s}`);
  });

  it('rejects key confusion: HS256 signed with the public key as the secret', async () => {
    const publicJwk = devPublicJwk();
    const secret = new TextEncoder().encode(JSON.stringify(publicJwk));
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', kid: publicJwk.kid! })
      .setIssuer(DEV_ISSUER)
      .setSubject('admin')
      .setExpirationTime('1h')
      .sign(secret);
    await expectRejected(token);
  });

  it('rejects garbage, empty and oversized tokens, and unknown schemes', async () => {
    for (const value of ['Bearer ', 'Bearer abc.def', `Bearer ${'a'.repeat(9_000)}`, 'Digest x', 'Basic !!!']) {
      const res = await probe(value);
      expect(res.status).toBe(401);
    }
  });
});

describe('tokens in the wrong place', () => {
  it('does not accept access_token as a query parameter on the HTTP API', async () => {
    const token = (await bearer(uniqueName())).slice('Bearer '.length);
    const res = await http(gateway, 'GET', `/api/2/things/${uniqueNamespace()}:x?access_token=${token}`);
    expect(res.status).toBe(401);
  });

  it('does not accept a token in a message header', async () => {
    const ns = uniqueNamespace();
    const owner = await bearer(uniqueName());
    await putJson(gateway, `/api/2/things/${ns}:t`, owner, {});
    const res = await http(gateway, 'POST', `/api/2/things/${ns}:t/inbox/messages/x?timeout=0`, {
      body: 'x',
      headers: { 'x-access-token': owner.slice(7), access_token: owner.slice(7) },
    });
    expect(res.status).toBe(401);
  });
});

describe('expiry on an open WebSocket', () => {
  it('closes the connection once its token has expired', async () => {
    const client = await TestClient.connect(gateway.wsUrl, { auth: `Bearer ${await devToken(uniqueName(), { expiresIn: '2s' })}` });
    await client.subscribe();
    await sleep(2600);
    client.send('START-SEND-MESSAGES');
    expect(await client.nextJson()).toMatchObject({ status: 401, value: { error: 'gateway:authentication.failed' } });
    for (let i = 0; i < 40 && !client.closed; i++) await sleep(50);
    expect(client.closed).toEqual({ code: 1000, reason: 'Closed by the service' });
  });

  it('keeps the connection when the token is refreshed with JWT-TOKEN for the same subject', async () => {
    const name = uniqueName();
    const client = await TestClient.connect(gateway.wsUrl, { auth: `Bearer ${await devToken(name, { expiresIn: '2s' })}` });
    client.send(`JWT-TOKEN?jwtToken=${await devToken(name, { expiresIn: '1h' })}`);
    client.send(`JWT-TOKEN?jwtToken=${await devToken(uniqueName('other'), { expiresIn: '1h' })}`);
    expect(await client.nextJson()).toMatchObject({ status: 401 }); // another subject is refused
    await sleep(2600);
    await client.subscribe();
    expect(client.closed).toBeUndefined();
    await client.close();
  });
});
