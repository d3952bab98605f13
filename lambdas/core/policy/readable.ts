/** What of a JSON value a caller may READ (Ditto's partial view): unreadable fields are absent. */
import type { Enforcer } from './enforcer';

import { isRecord } from '../collections';

/**
 * The part of `value` (found at `resource`, e.g. `thing:/attributes`) the subjects may READ: all of
 * it where READ is unrestricted, otherwise the readable fields below, recursively; undefined when
 * nothing is readable.
 */
export function readableView(enforcer: Enforcer, subjects: readonly string[], resource: string, value: unknown): unknown {
  if (enforcer.may(subjects, resource, 'READ')) return value;
  if (!isRecord(value)) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const readable = readableView(enforcer, subjects, `${resource}/${key}`, child);
    if (readable !== undefined) out[key] = readable;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
