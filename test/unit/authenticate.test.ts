/**
 * Who a credential names, and every reason it is refused: JWTs from configured issuers (a JWKS served on 127.0.0.1)
 * and HTTP Basic dev users. No DynamoDB: the authenticator is pure apart from the JWKS fetch.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import { authenticate, verifyBasic, verifyJwt } from '../../lambdas/auth/authenticate';
import { authenticateDevops } from '../../lambdas/auth/devops';
import type { BasicUser, Config, IssuerConfig } from '../../lambdas/config';
import { thrown } from '../support/errors';

/** Every asymmetric algorithm the router accepts, each with its own key in the JWKS. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
type Alg = (typeof ALGORITHMS)[number];

const keys = new Map<Alg, Awaited<ReturnType<typeof generateKeyPair>>['privateKey']>();
let server: Server;
let issuer: IssuerConfig;
/** JWKS requests served (jose fetches a JWKS once per container, not per token). */
let jwksFetches = 0;
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  const jwks: JWK[] = [];
  for (const alg of ALGORITHMS) {
    const pair = await generateKeyPair(alg, { extractable: true });
    keys.set(alg, pair.privateKey);
    jwks.push({ ...(await exportJWK(pair.publicKey)), kid: alg, alg, use: 'sig' });
  }
  server = createServer((req, res) => {
    if (req.url === '/hang') return; // never answers
    jwksFetches++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: jwks }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  issuer = { issuer: 'https://issuer.test/', jwksUrl: `http://127.0.0.1:${port}/jwks.json`, prefix: 'test' };
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

interface TokenOptions {
  readonly alg?: Alg;
  readonly typ?: string;
  readonly iss?: string;
  readonly exp?: number | null;
  readonly claims?: JWTPayload;
}

function token({ alg = 'ES256', typ, iss = issuer.issuer, exp = now() + 600, claims = { sub: 'alice' } }: TokenOptions = {}): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg, kid: alg, ...(typ !== undefined ? { typ } : {}) }).setIssuer(iss);
  if (exp !== null) jwt.setExpirationTime(exp);
  return jwt.sign(keys.get(alg)!);
}

function syncRefusal(f: () => unknown): string {
  const e = thrown(f);
  expect([e.status, e.error]).toEqual([401, 'gateway:authentication.failed']);
  return e.description ?? '';
}

/** The refusal's description, after checking it is Ditto's 401 `gateway:authentication.failed`. */
async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return syncRefusal(() => {
      throw e;
    });
  }
  throw new Error('the credential was accepted');
}

describe('JWT', () => {
  it.each(ALGORITHMS)('a token signed with %s names its subject and carries its expiry', async (alg) => {
    const exp = now() + 300;
    await expect(verifyJwt(await token({ alg, exp }), [issuer])).resolves.toEqual({ subjects: ['test:alice'], expiresAt: exp });
  });

  it('a symmetric (HS256) token is refused, whatever its key', async () => {
    const hs = await new SignJWT({ sub: 'alice' })
      .setProtectedHeader({ alg: 'HS256', kid: 'ES256' })
      .setIssuer(issuer.issuer)
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('a shared secret of some length'));
    expect(await refusal(verifyJwt(hs, [issuer]))).toMatch(/^The JWT was rejected: /);
  });

  it('an empty token, and one over 16 KiB, are refused before they are decoded; one of exactly 16 KiB is decoded', async () => {
    expect(await refusal(verifyJwt('', [issuer]))).toBe('The JWT is empty or too long.');
    expect(await refusal(verifyJwt('a'.repeat(16 * 1024), [issuer]))).toBe('The JWT is malformed.');
    expect(await refusal(verifyJwt('a'.repeat(16 * 1024 + 1), [issuer]))).toBe('The JWT is empty or too long.');
  });

  it('fetches an issuer’s JWKS once for many tokens', async () => {
    const own: IssuerConfig = { ...issuer, jwksUrl: `${issuer.jwksUrl}?once` };
    const before = jwksFetches;
    for (let i = 0; i < 3; i++) await verifyJwt(await token(), [own]);
    expect(jwksFetches - before).toBe(1);
  });

  it('gives up on a JWKS endpoint that does not answer within 3 s', async () => {
    const hanging: IssuerConfig = { ...issuer, jwksUrl: issuer.jwksUrl.replace('/jwks.json', '/hang') };
    const t = await token();
    const started = Date.now();
    expect(await refusal(verifyJwt(t, [hanging]))).toMatch(/^The JWT was rejected: .*timed out/);
    // A deadline, not a performance figure: jose's own default would wait 5 s.
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
    expect(Date.now() - started).toBeLessThan(4900);
  });

  it('quotes at most 40 characters of a refused type and 200 of an unknown issuer', async () => {
    const typ = `${'t'.repeat(40)}EXTRA`;
    expect(await refusal(verifyJwt(await token({ typ }), [issuer]))).toBe(`A JWT of type '${'t'.repeat(40)}' is not an access or ID token.`);
    const iss = `https://${'i'.repeat(192)}EXTRA`;
    expect(await refusal(verifyJwt(await token({ iss }), [issuer]))).toBe(`The JWT issuer '${iss.slice(0, 200)}' is not accepted.`);
  });

  it('a typ header that is not a string is refused', async () => {
    const t = await new SignJWT({ sub: 'alice' })
      .setProtectedHeader({ alg: 'ES256', kid: 'ES256', typ: 7 as unknown as string })
      .setIssuer(issuer.issuer)
      .setExpirationTime('5m')
      .sign(keys.get('ES256')!);
    expect(await refusal(verifyJwt(t, [issuer]))).toBe("A JWT of type '7' is not an access or ID token.");
  });

  it('a token that is not a JWS is malformed', async () => {
    expect(await refusal(verifyJwt('not.a.jwt', [issuer]))).toBe('The JWT is malformed.');
  });

  it.each(['JWT', 'jwt', 'at+jwt', 'AT+JWT', 'application/jwt', 'application/at+jwt'])('typ %s is an access or ID token', async (typ) => {
    await expect(verifyJwt(await token({ typ }), [issuer])).resolves.toMatchObject({ subjects: ['test:alice'] });
  });

  it('another typ (a logout token) is refused, named in the refusal', async () => {
    expect(await refusal(verifyJwt(await token({ typ: 'logout+jwt' }), [issuer]))).toBe("A JWT of type 'logout+jwt' is not an access or ID token.");
  });

  it('an issuer that is not configured is refused and named', async () => {
    expect(await refusal(verifyJwt(await token({ iss: 'https://other.test/' }), [issuer]))).toBe("The JWT issuer 'https://other.test/' is not accepted.");
  });

  it('the issuer is picked by the token: a second configured issuer with its own prefix and claim', async () => {
    const second: IssuerConfig = { ...issuer, issuer: 'https://second.test/', prefix: 'second', claim: 'email' };
    const t = await token({ iss: 'https://second.test/', claims: { sub: 'alice', email: 'alice@example.org' } });
    await expect(verifyJwt(t, [issuer, second])).resolves.toMatchObject({ subjects: ['second:alice@example.org'] });
  });

  it('a token without the subject claim, or with an empty one, is refused naming the claim', async () => {
    const withClaim: IssuerConfig = { ...issuer, claim: 'email' };
    expect(await refusal(verifyJwt(await token(), [withClaim]))).toBe("The JWT has no 'email' claim to name the subject.");
    expect(await refusal(verifyJwt(await token({ claims: {} }), [issuer]))).toBe("The JWT has no 'sub' claim to name the subject.");
    expect(await refusal(verifyJwt(await token({ claims: { sub: '' } }), [issuer]))).toBe("The JWT has no 'sub' claim to name the subject.");
    expect(await refusal(verifyJwt(await token({ claims: { sub: 42 } as unknown as JWTPayload }), [issuer]))).toBe(
      "The JWT has no 'sub' claim to name the subject.",
    );
  });

  it('a token without an expiry is refused', async () => {
    expect(await refusal(verifyJwt(await token({ exp: null }), [issuer]))).toMatch(/^The JWT was rejected: .*"exp"/);
  });

  it('tolerates 5 s of clock skew at the expiry, not more', async () => {
    await expect(verifyJwt(await token({ exp: now() - 4 }), [issuer])).resolves.toMatchObject({ subjects: ['test:alice'] });
    expect(await refusal(verifyJwt(await token({ exp: now() - 7 }), [issuer]))).toMatch(/^The JWT was rejected: .*exp/);
  });

  it('checks the audience only where one is configured', async () => {
    const t = await token({ claims: { sub: 'alice', aud: 'someone-else' } });
    await expect(verifyJwt(t, [issuer])).resolves.toMatchObject({ subjects: ['test:alice'] });
    expect(await refusal(verifyJwt(t, [{ ...issuer, audience: 'router' }]))).toMatch(/^The JWT was rejected: .*aud/);
    await expect(verifyJwt(await token({ claims: { sub: 'alice', aud: 'router' } }), [{ ...issuer, audience: 'router' }])).resolves.toMatchObject({
      subjects: ['test:alice'],
    });
  });
});

describe('HTTP Basic', () => {
  const users: BasicUser[] = [
    { username: 'alice', password: 'secret', subject: 'local:alice' },
    { username: 'bob', password: 'pa:ss', subject: 'local:bob' },
    { username: 'nopass', password: '', subject: 'local:nopass' },
  ];
  const basic = (s: string) => Buffer.from(s).toString('base64');

  it('a listed user and password name the user’s subject; a password may hold colons', () => {
    expect(verifyBasic(basic('alice:secret'), users)).toEqual({ subjects: ['local:alice'] });
    expect(verifyBasic(basic('bob:pa:ss'), users)).toEqual({ subjects: ['local:bob'] });
  });

  it('without a colon the whole value is the user name and the password is empty', () => {
    expect(verifyBasic(basic('nopass'), users)).toEqual({ subjects: ['local:nopass'] });
    expect(syncRefusal(() => verifyBasic(basic('alice'), users))).toBe('The username or password is wrong.');
  });

  it('a wrong password, a prefix of the password, or an unknown user is refused', () => {
    for (const wrong of ['alice:Secret', 'alice:secre', 'alice:secret2', 'carol:secret', ':secret', 'alice:']) {
      expect(syncRefusal(() => verifyBasic(basic(wrong), users))).toBe('The username or password is wrong.');
    }
  });

  it('an empty user name is a name like any other (the first colon splits)', () => {
    expect(verifyBasic(basic(':secret'), [{ username: '', password: 'secret', subject: 'local:anonymous' }])).toEqual({ subjects: ['local:anonymous'] });
  });

  it('is refused with a hint when no Basic users are configured', () => {
    expect(syncRefusal(() => verifyBasic(basic('alice:secret'), []))).toBe('HTTP Basic authentication is not enabled: use a Bearer token.');
  });
});

describe('credentials', () => {
  const users: BasicUser[] = [{ username: 'alice', password: 'secret', subject: 'local:alice' }];

  it('the scheme is case-insensitive and surrounding space is ignored', async () => {
    await expect(authenticate({ authorization: `  BEARER   ${await token()}  ` }, [issuer], users)).resolves.toMatchObject({ subjects: ['test:alice'] });
    await expect(authenticate({ authorization: `basic ${Buffer.from('alice:secret').toString('base64')}` }, [issuer], users)).resolves.toEqual({
      subjects: ['local:alice'],
    });
  });

  it('a scheme without a value is an empty credential', async () => {
    expect(await refusal(authenticate({ authorization: 'Bearer' }, [issuer], users))).toBe('The JWT is empty or too long.');
    expect(await refusal(authenticate({ authorization: 'Basic' }, [issuer], users))).toBe('The username or password is wrong.');
  });

  it('an unsupported scheme is named only when it looks like one, never when it could be a secret', async () => {
    expect(await refusal(authenticate({ authorization: 'Digest abc' }, [issuer], users))).toBe(
      "The authorization scheme 'digest' is not supported: use Bearer (or Basic where enabled).",
    );
    expect(await refusal(authenticate({ authorization: 'x-api-key abc' }, [issuer], users))).toBe(
      "The authorization scheme 'x-api-key' is not supported: use Bearer (or Basic where enabled).",
    );
    expect(await refusal(authenticate({ authorization: `${'a'.repeat(20)} x` }, [issuer], users))).toBe(
      `The authorization scheme '${'a'.repeat(20)}' is not supported: use Bearer (or Basic where enabled).`,
    );
    for (const secret of ['eyJhbGciOiJFUzI1NiJ9.e30.sig', 'sk_live_0123456789', 'a'.repeat(21), 'key1 value']) {
      expect(await refusal(authenticate({ authorization: secret }, [issuer], users))).toBe(
        'The authorization scheme is not supported: use Bearer (or Basic where enabled).',
      );
    }
  });

  it('the access_token is used only without an Authorization header', async () => {
    const t = await token();
    await expect(authenticate({ accessToken: t }, [issuer], users)).resolves.toMatchObject({ subjects: ['test:alice'] });
    await expect(authenticate({ authorization: `Basic ${Buffer.from('alice:secret').toString('base64')}`, accessToken: t }, [issuer], users)).resolves.toEqual({
      subjects: ['local:alice'],
    });
    await expect(authenticate({ authorization: '   ', accessToken: t }, [issuer], users)).resolves.toMatchObject({ subjects: ['test:alice'] });
  });

  it('no credential at all is refused with what to send', async () => {
    expect(await refusal(authenticate({}, [issuer], users))).toBe(
      'No credentials were provided: send an Authorization header (or access_token query parameter on the WebSocket).',
    );
    expect(await refusal(authenticate({ accessToken: '' }, [issuer], users))).toMatch(/^No credentials were provided/);
  });
});

describe('the devops identity', () => {
  const config = {
    issuers: [] as IssuerConfig[],
    basicUsers: [{ username: 'alice', password: 'secret', subject: 'local:alice' }],
    devopsUsers: [{ username: 'devops', password: 'foobar', subject: 'local:devops' }],
    devopsSubjects: ['test:ops'],
  };
  const as = (c: typeof config) => c as unknown as Config;
  const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
  beforeAll(() => {
    config.issuers = [issuer];
  });

  it('is the devops Basic user, with any spacing and case of the scheme', async () => {
    for (const header of [basic('devops:foobar'), `  basic   ${Buffer.from('devops:foobar').toString('base64')} `]) {
      await expect(authenticateDevops(header, as(config))).resolves.toEqual({ subjects: ['local:devops'] });
    }
  });

  it('is a token subject the operator listed', async () => {
    await expect(authenticateDevops(`Bearer ${await token({ claims: { sub: 'ops' } })}`, as(config))).resolves.toMatchObject({ subjects: ['test:ops'] });
  });

  it('is not another authenticated identity: a token subject not listed, a dev Basic user (401, as Ditto)', async () => {
    for (const header of [`Bearer ${await token()}`, basic('alice:secret')]) {
      expect(await refusal(authenticateDevops(header, as(config)))).toBe(
        'Authenticate as the devops user (locally HTTP Basic devops/foobar) or as a subject listed in devopsSubjects.',
      );
    }
  });

  it('is not the devops credentials under another scheme that ends in "basic"', async () => {
    const devops = Buffer.from('devops:foobar').toString('base64');
    expect(await refusal(authenticateDevops(`xbasic ${devops}`, as(config)))).toBe(
      "The authorization scheme 'xbasic' is not supported: use Bearer (or Basic where enabled).",
    );
  });

  it('is not the devops credentials where no devops user is configured', async () => {
    const none = { ...config, devopsUsers: [] };
    expect(await refusal(authenticateDevops(basic('devops:foobar'), as(none)))).toBe('The username or password is wrong.');
  });

  it('a wrong devops password or no credentials are not authenticated at all', async () => {
    expect(await refusal(authenticateDevops(basic('devops:wrong'), as(config)))).toBe('The username or password is wrong.');
    expect(await refusal(authenticateDevops(undefined, as(config)))).toMatch(/^No credentials were provided/);
  });
});
