/** Ditto's namespaced entity id grammar (thing and policy ids). */
import { PolicyIdInvalidError, ThingIdInvalidError } from './errors';

const MAX_ID_LENGTH = 256;
// Namespace: empty, or segments starting with a letter, joined by '.' or '-'.
const NAMESPACE = /^(?:|[a-zA-Z]\w*(?:[.-][a-zA-Z]\w*)*)$/;

/** A non-empty namespace (as in the `namespaces` option of START-SEND-MESSAGES). */
export const isNamespace = (value: string): boolean => value.length > 0 && NAMESPACE.test(value);
// Name: not empty, no '/', no control characters (Ditto excludes \x00-\x1F and \x7F-\xFF).
// biome-ignore lint/suspicious/noControlCharactersInRegex: the id grammar excludes exactly these control characters
const NAME = /^[^\x00-\x1F\x7F-\xFF/]+$/;

export interface NamespacedId {
  readonly namespace: string;
  readonly name: string;
}

export function parseNamespacedId(id: string): NamespacedId | undefined {
  if (id.length > MAX_ID_LENGTH) return undefined; // the empty id has no colon
  const colon = id.indexOf(':');
  if (colon < 0) return undefined;
  const namespace = id.slice(0, colon);
  const name = id.slice(colon + 1);
  if (!NAMESPACE.test(namespace) || !NAME.test(name)) return undefined;
  return { namespace, name };
}

export function parseThingId(id: string): NamespacedId {
  const parsed = parseNamespacedId(id);
  if (!parsed) throw new ThingIdInvalidError(id);
  return parsed;
}

export function parsePolicyId(id: string): NamespacedId {
  const parsed = parseNamespacedId(id);
  if (!parsed) throw new PolicyIdInvalidError(id);
  return parsed;
}
