/**
 * One authenticator for both APIs: JWT bearer tokens from configured OIDC issuers (jose, JWKS
 * fetched once per container and cached) and, where configured, HTTP Basic dev users.
 */
import { timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, type JWTVerifyGetKey, jwtVerify } from 'jose';
import type { BasicUser, IssuerConfig } from '../config';
import { AuthenticationFailedError } from '../core/errors';

export interface Principal {
  /** Ditto-style auth subjects, e.g. `local:alice`; the first is the `ditto-originator`. */
  readonly subjects: readonly string[];
  /** Token expiry in epoch seconds (JWT only). */
  readonly expiresAt?: number;
}

export interface Credentials {
  readonly authorization?: string;
  /** The `access_token` query parameter (WebSocket only: browsers cannot set headers). */
  readonly accessToken?: string;
}

/** Only asymmetric algorithms: an HS* token signed with a public key (key confusion) never verifies. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const MAX_TOKEN_LENGTH = 16 * 1024;
/**
 * Token types an access or ID token carries (RFC 7519 `JWT`, RFC 9068 `at+jwt`, or none): a
 * logout, refresh or other special-purpose JWT from the same issuer is not a credential here.
 */
const ACCEPTED_TYPES = new Set(['jwt', 'at+jwt', 'application/jwt', 'application/at+jwt']);

const jwksByUrl = new Map<string, JWTVerifyGetKey>();
function jwksFor(url: string): JWTVerifyGetKey {
  let jwks = jwksByUrl.get(url);
  if (!jwks) {
    jwks = createRemoteJWKSet(new URL(url), { cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000, timeoutDuration: 3000 });
    jwksByUrl.set(url, jwks);
  }
  return jwks;
}

export async function verifyJwt(token: string, issuers: readonly IssuerConfig[]): Promise<Principal> {
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) throw new AuthenticationFailedError('The JWT is empty or too long.');
  let iss: string | undefined;
  let typ: unknown;
  try {
    iss = decodeJwt(token).iss;
    typ = decodeProtectedHeader(token).typ;
  } catch {
    throw new AuthenticationFailedError('The JWT is malformed.');
  }
  if (typ !== undefined && (typeof typ !== 'string' || !ACCEPTED_TYPES.has(typ.toLowerCase()))) {
    throw new AuthenticationFailedError(`A JWT of type '${String(typ).slice(0, 40)}' is not an access or ID token.`);
  }
  const issuer = issuers.find((i) => i.issuer === iss);
  if (!issuer) throw new AuthenticationFailedError(`The JWT issuer '${String(iss).slice(0, 200)}' is not accepted.`);
  try {
    const { payload } = await jwtVerify(token, jwksFor(issuer.jwksUrl), {
      issuer: issuer.issuer,
      algorithms: ALGORITHMS,
      audience: issuer.audience, // undefined: not checked
      clockTolerance: 5,
      // Without an expiry a stolen token would work forever, and an open WebSocket could never be closed for it.
      requiredClaims: ['exp'],
    });
    const claim = payload[issuer.claim ?? 'sub'];
    if (typeof claim !== 'string' || claim.length === 0) {
      throw new AuthenticationFailedError(`The JWT has no '${issuer.claim ?? 'sub'}' claim to name the subject.`);
    }
    return { subjects: [`${issuer.prefix}:${claim}`], expiresAt: payload.exp! };
  } catch (e) {
    if (e instanceof AuthenticationFailedError) throw e;
    throw new AuthenticationFailedError(`The JWT was rejected: ${(e as Error).message}`);
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function verifyBasic(encoded: string, users: readonly BasicUser[]): Principal {
  if (users.length === 0) throw new AuthenticationFailedError('HTTP Basic authentication is not enabled: use a Bearer token.');
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const username = colon < 0 ? decoded : decoded.slice(0, colon);
  const password = colon < 0 ? '' : decoded.slice(colon + 1);
  const user = users.find((u) => safeEqual(u.username, username) && safeEqual(u.password, password));
  if (!user) throw new AuthenticationFailedError('The username or password is wrong.');
  return { subjects: [user.subject] };
}

export async function authenticate(credentials: Credentials, issuers: readonly IssuerConfig[], basicUsers: readonly BasicUser[]): Promise<Principal> {
  const header = credentials.authorization?.trim();
  if (header) {
    const space = header.indexOf(' ');
    const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
    const value = space < 0 ? '' : header.slice(space + 1).trim();
    if (scheme === 'bearer') return verifyJwt(value, issuers);
    if (scheme === 'basic') return verifyBasic(value, basicUsers);
    // Echo the scheme only if it looks like one: a bare token or key sent without a scheme must not be repeated back or logged.
    const shown = /^[a-z-]{1,20}$/.test(scheme) ? `'${scheme}' ` : '';
    throw new AuthenticationFailedError(`The authorization scheme ${shown}is not supported: use Bearer (or Basic where enabled).`);
  }
  if (credentials.accessToken) return verifyJwt(credentials.accessToken, issuers);
  throw new AuthenticationFailedError('No credentials were provided: send an Authorization header (or access_token query parameter on the WebSocket).');
}
