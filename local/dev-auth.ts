/**
 * The local dev issuer: an ES256 key created once under `.local/` (shared by every local instance),
 * its public JWKS served by the local gateway, and tokens for `local:<name>`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';

export const DEV_ISSUER = 'ditto-live-router-local';
export const DEV_PREFIX = 'local';
export const DEV_JWKS_PATH = '/local/jwks.json';
/** The dev issuer's audience: tokens minted for other relying parties are refused, as in a deployment. */
export const DEV_AUDIENCE = 'ditto-live-router';
const KID = 'local-dev-1';

export function keyFile(root = process.cwd()): string {
  return join(root, '.local', 'dev-signing-key.json');
}

export async function ensureDevKey(file = keyFile()): Promise<{ privateJwk: JWK; publicJwk: JWK }> {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as { privateJwk: JWK; publicJwk: JWK };
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const privateJwk = { ...(await exportJWK(privateKey)), kid: KID, alg: 'ES256' };
  const publicJwk = { ...(await exportJWK(publicKey)), kid: KID, alg: 'ES256', use: 'sig' };
  mkdirSync(join(file, '..'), { recursive: true });
  try {
    // 'wx': when two processes create the key at once, the first one wins and both use it.
    writeFileSync(file, JSON.stringify({ privateJwk, publicJwk }, null, 2), { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return JSON.parse(readFileSync(file, 'utf8')) as { privateJwk: JWK; publicJwk: JWK };
    throw e;
  }
  return { privateJwk, publicJwk };
}

export interface DevTokenOptions {
  readonly file?: string;
  /** A jose time span ('12h', '2s') or an absolute epoch-seconds expiry (may lie in the past). */
  readonly expiresIn?: string | number;
  readonly notBefore?: string | number;
  readonly issuer?: string;
  /** @default DEV_AUDIENCE; null for a token without `aud`. */
  readonly audience?: string | null;
  /** The `typ` header. @default 'JWT' */
  readonly typ?: string;
}

export async function devToken(name: string, options: DevTokenOptions = {}): Promise<string> {
  const { privateJwk } = await ensureDevKey(options.file);
  const key = await importJWK(privateJwk, 'ES256');
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: KID, typ: options.typ ?? 'JWT' })
    .setIssuer(options.issuer ?? DEV_ISSUER)
    .setSubject(name)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '12h');
  if (options.notBefore !== undefined) jwt.setNotBefore(options.notBefore);
  const audience = options.audience === undefined ? DEV_AUDIENCE : options.audience;
  if (audience !== null) jwt.setAudience(audience);
  return jwt.sign(key);
}

/** AUTH_ISSUERS entry for the dev issuer served by a gateway at `baseUrl`. */
export function devIssuerConfig(baseUrl: string): { issuer: string; jwksUrl: string; prefix: string; audience: string } {
  return { issuer: DEV_ISSUER, jwksUrl: `${baseUrl}${DEV_JWKS_PATH}`, prefix: DEV_PREFIX, audience: DEV_AUDIENCE };
}
