/**
 * Ditto's connections API for http-push connections (devops only; the caller authenticates).
 * Every save validates the whole connection and checks that its host may be reached.
 */
import { randomUUID } from 'node:crypto';
import { getConfig } from '../config';
import { ConnectionConfigurationInvalidError, ConnectionConflictError, ConnectionNotFoundError } from '../core/errors';
import { type ConnectionDocument, isConnectionId, keepMaskedPassword, maskedDocument, parseConnection } from '../core/targets/connection';
import { AddressRefusedError, checkTargetHost } from '../gateway/push';
import { RevisionConflictError } from '../store/entities';
import { targets } from '../store/repositories';
import { forgetConnectionTargets } from './catalog';

/** Connections are read by every router container on every cache refresh: keep the list small. */
export const MAX_CONNECTIONS = 100;

async function validated(body: unknown, id: string, generatedId = false): Promise<ConnectionDocument> {
  const { document, compiled } = parseConnection(body, id, generatedId);
  try {
    await checkTargetHost(new URL(compiled.baseUrl), getConfig().targetAddresses);
  } catch (e) {
    if (e instanceof AddressRefusedError) throw new ConnectionConfigurationInvalidError(`${e.message} Ask the operator to allow its network if it is meant.`);
    const code = (e as { code?: string }).code ?? (e as Error).message;
    throw new ConnectionConfigurationInvalidError(`The host of the uri could not be resolved (${code}): it is checked before the connection is saved.`);
  }
  return document;
}

export async function listConnections(idsOnly: boolean): Promise<unknown[]> {
  const all = await targets().list(true);
  return idsOnly ? all.map((c) => c.id) : all.map((c) => maskedDocument(c.document));
}

export async function getConnection(id: string): Promise<ConnectionDocument> {
  const stored = isConnectionId(id) ? await targets().get(id) : undefined;
  if (!stored) throw new ConnectionNotFoundError(id);
  return maskedDocument(stored.document);
}

async function checkRoom(): Promise<void> {
  if ((await targets().list(true)).length >= MAX_CONNECTIONS) {
    throw new ConnectionConfigurationInvalidError(`At most ${MAX_CONNECTIONS} connections can exist; delete one first.`);
  }
}

/** POST: a new connection under a generated id; `dryRun` only validates (Ditto's test connection). */
export async function createConnection(body: unknown, dryRun: boolean): Promise<ConnectionDocument> {
  const id = randomUUID();
  const document = await validated(body, id, true);
  if (dryRun) return maskedDocument(document);
  await checkRoom();
  try {
    await targets().put(id, document, undefined);
  } catch (e) {
    if (e instanceof RevisionConflictError) throw new ConnectionConflictError(id);
    throw e;
  }
  forgetConnectionTargets();
  return maskedDocument(document);
}

/** PUT: creates (true) or replaces (false) the connection with this id. */
export async function putConnection(id: string, body: unknown): Promise<{ created: boolean; document: ConnectionDocument }> {
  // A replace without preconditions: the last writer wins, so a concurrent change only means reading again.
  parseConnection(body, id); // a bad id or body is refused before any read
  for (let attempt = 0; ; attempt++) {
    const stored = await targets().get(id);
    const document = await validated(keepMaskedPassword(body, stored?.document), id);
    if (!stored) await checkRoom();
    try {
      await targets().put(id, document, stored?.revision);
      forgetConnectionTargets();
      return { created: !stored, document: maskedDocument(document) };
    } catch (e) {
      if (!(e instanceof RevisionConflictError) || attempt >= 4) throw e;
    }
  }
}

export async function deleteConnection(id: string): Promise<void> {
  if (!isConnectionId(id) || !(await targets().delete(id))) throw new ConnectionNotFoundError(id);
  forgetConnectionTargets();
}
