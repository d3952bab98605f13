/**
 * The one bounded cache: least recently used entries go first when full (Powertools' LRU cache),
 * instead of emptying the whole cache at once. `getOrCreate` covers the memoising uses.
 */
import { LRUCache } from '@aws-lambda-powertools/commons/utils/lru-cache';

export class BoundedCache<V> {
  private readonly cache: LRUCache<string, V>;

  constructor(maxSize: number) {
    this.cache = new LRUCache<string, V>({ maxSize });
  }

  get(key: string): V | undefined {
    return this.cache.get(key);
  }

  set(key: string, value: V): void {
    this.cache.add(key, value);
  }

  delete(key: string): void {
    this.cache.remove(key);
  }

  getOrCreate(key: string, create: () => V): V {
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const value = create();
    this.cache.add(key, value);
    return value;
  }
}
