/**
 * The devops identity, which alone may manage connections (Ditto's devops user): HTTP Basic with
 * the devops credentials (Ditto's default devops/foobar in the local runtime), or an authenticated
 * subject the operator named. Anyone else authenticated gets 403; no credentials, 401.
 */
import type { Config } from '../config';
import { AuthenticationFailedError, DevopsOnlyError } from '../core/errors';
import { authenticate, type Principal, verifyBasic } from './authenticate';

export async function authenticateDevops(authorization: string | undefined, config: Config): Promise<Principal> {
  const header = authorization?.trim() ?? '';
  if (/^basic /i.test(header) && config.devopsUsers.length > 0) {
    try {
      return verifyBasic(header.slice(6).trim(), config.devopsUsers);
    } catch (e) {
      if (!(e instanceof AuthenticationFailedError)) throw e;
      // Not the devops user: perhaps a dev Basic user, who is authenticated but not devops.
    }
  }
  const principal = await authenticate(authorization !== undefined ? { authorization } : {}, config.issuers, config.basicUsers);
  if (!principal.subjects.some((s) => config.devopsSubjects.includes(s))) throw new DevopsOnlyError();
  return principal;
}
