/** Which subscribed connections get a message: policy readers, namespaces, RQL, no echo, no duplicates. */
import { isReader, type Readers } from '../policy';
import { matchesRql, parseRql, type RqlContext, type RqlNode } from './rql';

export interface Subscription {
  readonly connectionId: string;
  /** All auth subjects of the connection (a revoke of any of them excludes it). */
  readonly subjects: readonly string[];
  readonly namespaces?: readonly string[];
  readonly filter?: string;
}

const filterCache = new Map<string, RqlNode>();
function compiledFilter(filter: string): RqlNode {
  let node = filterCache.get(filter);
  if (!node) {
    node = parseRql(filter);
    if (filterCache.size > 1000) filterCache.clear();
    filterCache.set(filter, node);
  }
  return node;
}

export function acceptsMessage(subscription: Subscription, readers: Readers, context: RqlContext): boolean {
  if (!isReader(readers, subscription.subjects)) return false;
  if (subscription.namespaces && subscription.namespaces.length > 0 && !subscription.namespaces.includes(context.namespace)) return false;
  if (subscription.filter !== undefined) {
    try {
      if (!matchesRql(compiledFilter(subscription.filter), context)) return false;
    } catch {
      return false; // filters are validated when stored; a bad one never matches
    }
  }
  return true;
}

export function selectRecipients(
  candidates: Iterable<Subscription>,
  readers: Readers,
  context: RqlContext,
  excludeConnectionId?: string,
): Subscription[] {
  const seen = new Set<string>();
  const out: Subscription[] = [];
  for (const c of candidates) {
    if (seen.has(c.connectionId) || c.connectionId === excludeConnectionId) continue;
    seen.add(c.connectionId);
    if (acceptsMessage(c, readers, context)) out.push(c);
  }
  return out;
}
