/**
 * Policy evaluation, as Ditto: a grant or revoke applies to its resource and everything below
 * unless a deeper level decides; revoke beats grant at the same level. A policy is compiled once into a trie per resource type so that a
 * decision is a walk down the resource's path segments (a handful of map lookups), never a scan
 * of the entries; `readers` results are memoised per resource.
 */
import { BoundedCache } from '../lru';
import type { Permission, Policy } from './model';

type SubjectSets = Map<Permission, Set<string>>;

interface Node {
  readonly children: Map<string, Node>;
  readonly grant: SubjectSets;
  readonly revoke: SubjectSets;
  /** Subjects revoked for a permission anywhere strictly below this node. */
  readonly revokedBelow: SubjectSets;
}

export interface Readers {
  readonly granted: ReadonlySet<string>;
  readonly revoked: ReadonlySet<string>;
}

export interface Enforcer {
  /** Ditto's unrestricted permission: granted at the deepest deciding level and not revoked below. */
  may(subjects: readonly string[], resource: string, permission: Permission): boolean;
  /** Subjects granted and revoked the permission as effective at the resource. */
  readers(resource: string, permission: Permission): Readers;
  /** True when one of the subjects is granted the permission somewhere under the resource type. */
  hasAnyGrant(subjects: readonly string[], resourceType: string, permission: Permission): boolean;
  /** Subjects that may do `permission` on `resource` on their own (used for lock-out prevention). */
  subjectsWith(resource: string, permission: Permission): string[];
}

const newNode = (): Node => ({ children: new Map(), grant: new Map(), revoke: new Map(), revokedBelow: new Map() });

function add(sets: SubjectSets, permission: Permission, subject: string): void {
  let set = sets.get(permission);
  if (!set) {
    set = new Set();
    sets.set(permission, set);
  }
  set.add(subject);
}

function hasAny(sets: SubjectSets, permission: Permission, subjects: readonly string[]): boolean {
  const set = sets.get(permission);
  if (!set) return false;
  for (const s of subjects) if (set.has(s)) return true;
  return false;
}

/** Splits `type:/a/b/` into the type and its non-empty path segments. */
export function splitResource(resource: string): { type: string; segments: string[] } {
  const colon = resource.indexOf(':');
  const type = colon < 0 ? resource : resource.slice(0, colon);
  const path = colon < 0 ? '' : resource.slice(colon + 1);
  return { type, segments: path.split('/').filter((s) => s.length > 0) };
}

const READERS_CACHE_LIMIT = 2048;

/**
 * Compiles a policy as of `now`: subjects whose `expiry` has passed are left out, so they grant
 * nothing (callers cache a compiled policy for a short window only).
 */
export function compilePolicy(policy: Policy, now = Date.now()): Enforcer {
  const roots = new Map<string, Node>();
  const anyGrant = new Map<string, SubjectSets>();

  for (const entry of Object.values(policy.entries)) {
    const subjects = Object.entries(entry.subjects)
      .filter(([, s]) => s.expiry === undefined || Date.parse(s.expiry) > now)
      .map(([id]) => id);
    for (const [resource, perms] of Object.entries(entry.resources)) {
      const { type, segments } = splitResource(resource);
      let node = roots.get(type);
      if (!node) {
        node = newNode();
        roots.set(type, node);
      }
      const ancestors: Node[] = [];
      for (const segment of segments) {
        ancestors.push(node);
        let child: Node | undefined = node.children.get(segment);
        if (!child) {
          child = newNode();
          node.children.set(segment, child);
        }
        node = child;
      }
      let typeGrants = anyGrant.get(type);
      if (!typeGrants) {
        typeGrants = new Map();
        anyGrant.set(type, typeGrants);
      }
      for (const subject of subjects) {
        for (const p of perms.grant) {
          add(node.grant, p, subject);
          add(typeGrants, p, subject);
        }
        for (const p of perms.revoke) {
          add(node.revoke, p, subject);
          for (const a of ancestors) add(a.revokedBelow, p, subject);
        }
      }
    }
  }

  const readersCache = new BoundedCache<Readers>(READERS_CACHE_LIMIT);

  function may(subjects: readonly string[], resource: string, permission: Permission): boolean {
    const { type, segments } = splitResource(resource);
    let node = roots.get(type);
    if (!node) return false;
    let decision = false;
    const decide = (n: Node) => {
      if (hasAny(n.revoke, permission, subjects)) decision = false;
      else if (hasAny(n.grant, permission, subjects)) decision = true;
    };
    decide(node);
    for (const segment of segments) {
      const child: Node | undefined = node.children.get(segment);
      if (!child) return decision; // nothing deeper is configured, so nothing below can revoke
      node = child;
      decide(node);
    }
    return decision && !hasAny(node.revokedBelow, permission, subjects);
  }

  function readers(resource: string, permission: Permission): Readers {
    return readersCache.getOrCreate(`${permission} ${resource}`, () => computeReaders(resource, permission));
  }

  function computeReaders(resource: string, permission: Permission): Readers {
    const { type, segments } = splitResource(resource);
    const state = new Map<string, boolean>();
    const apply = (n: Node) => {
      for (const s of n.grant.get(permission) ?? []) state.set(s, true);
      for (const s of n.revoke.get(permission) ?? []) state.set(s, false);
    };
    let node = roots.get(type);
    if (node) {
      apply(node);
      for (const segment of segments) {
        node = node.children.get(segment);
        if (!node) break;
        apply(node);
      }
    }
    const granted = new Set<string>();
    const revoked = new Set<string>();
    for (const [s, ok] of state) (ok ? granted : revoked).add(s);
    return { granted, revoked };
  }

  function hasAnyGrant(subjects: readonly string[], resourceType: string, permission: Permission): boolean {
    const sets = anyGrant.get(resourceType);
    return sets !== undefined && hasAny(sets, permission, subjects);
  }

  function subjectsWith(resource: string, permission: Permission): string[] {
    return [...readers(resource, permission).granted].filter((s) => may([s], resource, permission));
  }

  return { may, readers, hasAnyGrant, subjectsWith };
}

/** A connection may receive when one of its subjects is granted and none is revoked. */
export function isReader(readers: Readers, subjects: readonly string[]): boolean {
  let granted = false;
  for (const s of subjects) {
    if (readers.revoked.has(s)) return false;
    if (readers.granted.has(s)) granted = true;
  }
  return granted;
}
