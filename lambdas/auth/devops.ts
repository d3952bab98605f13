/**
 * The devops identity, which alone may manage connections (Ditto's devops user): HTTP Basic with
 * the devops credentials (Ditto's default devops/foobar in the local runtime), or an authenticated
 * subject the operator named. Anyone else authenticated gets 403; no credentials, 401.
 */
import type { Config } from '../config';
import { DevopsOnlyError } from '../core/errors';
import { authenticate, type Principal, verifyBasic } from './authenticate';

export async function authenticateDevops(authorization: string | undefined, config: Config): Promise<Principal> {
  // Stryker disable next-line StringLiteral: a missing header and any text that is not Basic take the same path below
  const header = authorization?.trim() ?? '';
  if (/^basic /i.test(header)) {
    try {
      return verifyBasic(header.slice(6), config.devopsUsers); // the base64 decoder skips the spaces after the scheme
    } catch {
      // Not the devops user (or none is configured): perhaps a dev Basic user, who is authenticated but not devops.
    }
  }
  const principal = await authenticate({ authorization }, config.issuers, config.basicUsers);
  // Stryker disable next-line MethodExpression: authenticate names one subject, for which some and every agree
  if (!principal.subjects.some((s) => config.devopsSubjects.includes(s))) throw new DevopsOnlyError();
  return principal;
}
