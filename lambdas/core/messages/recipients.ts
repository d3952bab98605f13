/** Which subscribed connections get a message: policy readers, namespaces, RQL, no echo, no duplicates. */
import { BoundedCache } from '../lru';
import { isReader, type Readers } from '../policy';
import { matchesRql, parseRql, type RqlContext, type RqlNode } from './rql';

export interface Subscription {
  readonly connectionId: string;
  /** All auth subjects of the connection (a revoke of any of them excludes it). */
  readonly subjects: readonly string[];
  readonly namespaces?: readonly string[];
  readonly filter?: string;
  /** Epoch seconds after which the connection's token no longer entitles it to anything. */
  readonly tokenExpiresAt?: number;
}

/** What routing knows of a message; attributes are seen through each recipient's READ permission. */
export interface MessageFacts extends Omit<RqlContext, 'attributes'> {
  /** The thing's attributes as the given subjects may READ them (absent when unreadable). */
  readonly attributesFor?: (subjects: readonly string[]) => unknown;
}

const filterCache = new BoundedCache<RqlNode>(1000);
const compiledFilter = (filter: string): RqlNode => filterCache.getOrCreate(filter, () => parseRql(filter));

/** The filter's view of the message for these subjects; attributes are computed only if read, once per subject set. */
function contextFor(facts: MessageFacts, subjects: readonly string[], views: Map<string, unknown>): RqlContext {
  const { attributesFor, ...rest } = facts;
  return {
    ...rest,
    get attributes() {
      if (!attributesFor) return undefined;
      const key = subjects.join('\n');
      if (!views.has(key)) views.set(key, attributesFor(subjects));
      return views.get(key);
    },
  };
}

export function acceptsMessage(subscription: Subscription, readers: Readers, facts: MessageFacts, views = new Map<string, unknown>()): boolean {
  if (!isReader(readers, subscription.subjects)) return false;
  if (subscription.namespaces && subscription.namespaces.length > 0 && !subscription.namespaces.includes(facts.namespace)) return false;
  if (subscription.filter !== undefined) {
    try {
      if (!matchesRql(compiledFilter(subscription.filter), contextFor(facts, subscription.subjects, views))) return false;
    } catch {
      return false; // filters are validated when stored; a bad one never matches
    }
  }
  return true;
}

/** A connection whose token has expired receives nothing. */
export const tokenExpired = (s: Pick<Subscription, 'tokenExpiresAt'>, nowMs: number): boolean =>
  s.tokenExpiresAt !== undefined && s.tokenExpiresAt * 1000 < nowMs;

export interface Selection {
  readonly recipients: Subscription[];
  /** Readers skipped because their token has expired: to be closed. */
  readonly expired: Subscription[];
}

export function selectRecipients(
  candidates: Iterable<Subscription>,
  readers: Readers,
  facts: MessageFacts,
  excludeConnectionId?: string,
  nowMs = Date.now(),
): Selection {
  const seen = new Set<string>();
  const recipients: Subscription[] = [];
  const expired: Subscription[] = [];
  const views = new Map<string, unknown>();
  for (const c of candidates) {
    if (seen.has(c.connectionId) || c.connectionId === excludeConnectionId) continue;
    seen.add(c.connectionId);
    if (tokenExpired(c, nowMs)) expired.push(c);
    else if (acceptsMessage(c, readers, facts, views)) recipients.push(c);
  }
  return { recipients, expired };
}
