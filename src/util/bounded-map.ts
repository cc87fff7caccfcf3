/**
 * A Map that keeps at most `maxEntries` keys, evicting the least recently used. Per-key state fed by
 * outside input (a username, an address, a panel id an attacker makes up) lives in one of these, so
 * sending a new key every time costs the attacker, not the service's memory.
 */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, V>();
  /** Keys evicted to make room since start: a figure for /metrics and for tests. */
  evicted = 0;

  constructor(readonly maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1)
      throw new RangeError(`bounded-map: maxEntries must be a positive integer, got ${maxEntries}`);
  }

  get size(): number {
    return this.map.size;
  }

  /** The value, marking the key as most recently used. */
  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, v);
    return v;
  }

  /** The value without touching its recency. */
  peek(key: K): V | undefined {
    return this.map.get(key);
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  set(key: K, value: V): this {
    if (this.map.has(key)) this.map.delete(key);
    else if (this.map.size >= this.maxEntries) {
      // A Map iterates in insertion order, and every use re-inserts: the first key is the coldest.
      const oldest = this.map.keys().next();
      if (!oldest.done) {
        this.map.delete(oldest.value);
        this.evicted++;
      }
    }
    this.map.set(key, value);
    return this;
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }

  entries(): IterableIterator<[K, V]> {
    return this.map.entries();
  }
}
