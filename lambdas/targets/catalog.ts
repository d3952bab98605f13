/**
 * The connection targets every container routes with: the whole (small) list, loaded by one Query
 * and cached for CACHE_TTL_MS like things and policies, so a change reaches every warm container
 * within that window. A message costs no read for targets beyond that.
 */
import { getConfig } from '../config';
import { type CompiledConnection, compileConnection } from '../core/targets/connection';
import { logger } from '../observability/logger';
import { targets } from '../store/repositories';

const RETRY_AFTER_FAILURE_MS = 1000;
let cached: { readonly value: readonly CompiledConnection[]; readonly until: number } | undefined;
let loading: Promise<readonly CompiledConnection[]> | undefined;

async function load(): Promise<readonly CompiledConnection[]> {
  const stored = await targets().list();
  const compiled: CompiledConnection[] = [];
  for (const s of stored) {
    try {
      compiled.push(compileConnection(s.document));
    } catch (e) {
      // Validated when saved; a document that no longer compiles (rules tightened since) delivers nothing.
      logger.error('stored connection does not compile', { connection: s.id, error: e as Error });
    }
  }
  return compiled;
}

/** Open and closed connections (closed ones deliver nothing; the console shows them). */
export async function connectionTargets(): Promise<readonly CompiledConnection[]> {
  const now = Date.now();
  if (cached && cached.until > now) return cached.value;
  // One load at a time per container: a burst of messages after expiry shares it.
  loading ??= load()
    .then((value) => {
      cached = { value, until: Date.now() + getConfig().cacheTtlMs };
      return value;
    })
    .catch((e: unknown) => {
      // Messages must not fail because targets cannot be listed: the last list (or none) serves, retried in a second.
      logger.error('connection targets could not be loaded', { error: e as Error });
      const value = cached?.value ?? [];
      cached = { value, until: Date.now() + RETRY_AFTER_FAILURE_MS };
      return value;
    })
    .finally(() => {
      loading = undefined;
    });
  return loading;
}

/** This container changed a connection: its next message sees the change at once. */
export function forgetConnectionTargets(): void {
  cached = undefined;
}
