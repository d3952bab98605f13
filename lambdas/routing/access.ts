/**
 * Thing + compiled policy per thing id, cached per container for CACHE_TTL_MS (default 2 s):
 * the bound on how long a policy change may take to reach a warm container.
 */
import { getConfig } from '../config';
import { BoundedCache } from '../core/lru';
import { compilePolicy, type Enforcer } from '../core/policy';
import type { PoliciesRepository, ThingRecord, ThingsRepository } from '../store/entities';
import { policies, things } from '../store/repositories';

export interface ThingAccess {
  readonly thing: ThingRecord;
  /** Undefined when the thing's policy does not exist: then nobody may do anything. */
  readonly enforcer?: Enforcer;
}

interface Entry<T> {
  readonly value: T;
  readonly until: number;
}

const MAX_ENTRIES = 10_000;

export class AccessCache {
  private readonly things = new BoundedCache<Entry<ThingRecord | undefined>>(MAX_ENTRIES);
  private readonly policies = new BoundedCache<Entry<Enforcer | undefined>>(MAX_ENTRIES);

  constructor(
    private readonly thingsRepo: ThingsRepository = things(),
    private readonly policiesRepo: PoliciesRepository = policies(),
  ) {}

  async load(thingId: string): Promise<ThingAccess | undefined> {
    const thing = await this.cached(this.things, thingId, () => this.thingsRepo.get(thingId));
    if (!thing) return undefined;
    const enforcer = await this.cached(this.policies, thing.policyId, async () => {
      const policy = await this.policiesRepo.get(thing.policyId);
      return policy ? compilePolicy(policy) : undefined;
    });
    return { thing, ...(enforcer ? { enforcer } : {}) };
  }

  /** Forget what this container wrote itself, so its own next request sees the change at once. */
  invalidateThing(thingId: string): void {
    this.things.delete(thingId);
  }

  invalidatePolicy(policyId: string): void {
    this.policies.delete(policyId);
  }

  private async cached<T>(cache: BoundedCache<Entry<T>>, key: string, load: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const hit = cache.get(key);
    if (hit && hit.until > now) return hit.value;
    const value = await load();
    cache.set(key, { value, until: now + getConfig().cacheTtlMs });
    return value;
  }
}

let shared: AccessCache | undefined;
export const accessCache = (): AccessCache => (shared ??= new AccessCache());
