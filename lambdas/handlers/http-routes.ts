/** Pure matching of `/api/2/...` paths to operations; ids and subjects are percent-decoded once. */
import { JsonInvalidError, MethodNotAllowedError, PolicyIdNotDeletableError, ResourceNotFoundError } from '../core/errors';
import { checkSubject, type Direction, INBOX, OUTBOX } from '../core/protocol';

export type HttpRoute =
  | { readonly kind: 'thing'; readonly thingId: string }
  | { readonly kind: 'policy'; readonly policyId: string }
  /** A sub-resource: the JSON pointer below the entity (`attributes/room`, `entries/DEVICE/subjects/x`). */
  | { readonly kind: 'part'; readonly entity: 'thing' | 'policy'; readonly id: string; readonly pointer: readonly string[] }
  /** Ditto's connections API: the collection (`id` absent) or one connection. */
  | { readonly kind: 'connections'; readonly id?: string }
  | {
      readonly kind: 'message';
      readonly thingId: string;
      readonly direction: Direction;
      readonly subject: string;
      readonly featureId?: string;
      readonly claim: boolean;
    };

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new JsonInvalidError(`The path segment '${segment.slice(0, 100)}' is not valid percent-encoding.`);
  }
}

const ENTITY_METHODS = ['GET', 'PUT', 'DELETE'];

/** Sub-resources Ditto serves under things and policies; messages (inbox/outbox) are not among them. */
const PART_ROOTS = { things: ['policyId', 'attributes', 'features'], policies: ['entries'] } as const;

function partOf(collection: string | undefined, id: string, rest: readonly string[], method: string, rawPath: string): HttpRoute | undefined {
  const roots: readonly string[] | undefined = collection === 'things' ? PART_ROOTS.things : collection === 'policies' ? PART_ROOTS.policies : undefined;
  if (!roots?.includes(rest[0]!)) return undefined; // rest has a first segment here
  // features/{id}/inbox|outbox/... are messages to a feature, not a sub-resource.
  if (rest[0] === 'features' && (rest[2] === 'inbox' || rest[2] === 'outbox')) return undefined;
  let pointer = rest.filter((s, i) => s !== '' || i < rest.length - 1).map(decode);
  // Policy resource keys (`thing:/features/x`) and subject ids may hold slashes: the rest is one key.
  if (collection === 'policies' && (pointer[2] === 'resources' || pointer[2] === 'subjects') && pointer.length > 3) {
    pointer = [...pointer.slice(0, 3), pointer.slice(3).join('/')];
  }
  if (pointer.some((s) => s === '')) throw new ResourceNotFoundError(rawPath);
  if (!ENTITY_METHODS.includes(method)) throw new MethodNotAllowedError(method, rawPath);
  // A thing always has a policy: its policyId can be read and replaced, not deleted (Ditto's 400). (Only things have it.)
  if (pointer.length === 1 && pointer[0] === 'policyId' && method === 'DELETE') throw new PolicyIdNotDeletableError(id);
  return { kind: 'part', entity: collection === 'things' ? 'thing' : 'policy', id, pointer };
}

const CONNECTION_METHODS = { collection: ['GET', 'POST'], item: ['GET', 'PUT', 'DELETE'] } as const;

function connectionsRoute(method: string, rawPath: string, rest: readonly string[]): HttpRoute {
  const tail = rest.at(-1) === '' ? rest.slice(0, -1) : rest;
  if (tail.length === 0) {
    if (!(CONNECTION_METHODS.collection as readonly string[]).includes(method)) throw new MethodNotAllowedError(method, rawPath);
    return { kind: 'connections' };
  }
  // Connection commands, status, metrics and logs are not served (connections are stateless pushes here).
  if (tail.length > 1 || tail[0] === '') throw new ResourceNotFoundError(rawPath);
  if (!(CONNECTION_METHODS.item as readonly string[]).includes(method)) throw new MethodNotAllowedError(method, rawPath);
  return { kind: 'connections', id: decode(tail[0]!) };
}

export function matchRoute(method: string, rawPath: string): HttpRoute {
  const parts = rawPath.split('/');
  if (parts[1] === 'api' && parts[2] === '2' && parts[3] === 'connections') return connectionsRoute(method, rawPath, parts.slice(4));
  // ['', 'api', '2', 'things'|'policies', id, ...rest]
  if (parts[1] !== 'api' || parts[2] !== '2' || parts.length < 5 || parts[4] === '') throw new ResourceNotFoundError(rawPath);
  const collection = parts[3];
  const id = decode(parts[4]!);
  const rest = parts.slice(5);
  if (rest.length === 0 || (rest.length === 1 && rest[0] === '')) {
    if (!ENTITY_METHODS.includes(method)) throw new MethodNotAllowedError(method, rawPath);
    if (collection === 'things') return { kind: 'thing', thingId: id };
    if (collection === 'policies') return { kind: 'policy', policyId: id };
    throw new ResourceNotFoundError(rawPath);
  }
  const part = partOf(collection, id, rest, method, rawPath);
  if (part) return part;
  if (collection !== 'things') throw new ResourceNotFoundError(rawPath);
  let featureId: string | undefined;
  let tail = rest;
  if (tail[0] === 'features') {
    // partOf took features/{id}[/...] unless a direction follows the id: there is an id segment here.
    if (tail[1] === '') throw new ResourceNotFoundError(rawPath);
    featureId = decode(tail[1]!);
    tail = tail.slice(2);
  }
  const direction = tail[0] === INBOX ? INBOX : tail[0] === OUTBOX ? OUTBOX : undefined;
  if (direction === undefined) throw new ResourceNotFoundError(rawPath);
  if (featureId === undefined && direction === INBOX && tail.length === 2 && tail[1] === 'claim') {
    if (method !== 'POST') throw new MethodNotAllowedError(method, rawPath);
    return { kind: 'message', thingId: id, direction, subject: 'claim', claim: true };
  }
  if (tail[1] !== 'messages') throw new ResourceNotFoundError(rawPath);
  if (method !== 'POST') throw new MethodNotAllowedError(method, rawPath);
  const subject = checkSubject(decode(tail.slice(2).join('/')));
  return { kind: 'message', thingId: id, direction, subject, ...(featureId !== undefined ? { featureId } : {}), claim: false };
}
