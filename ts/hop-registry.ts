// The hops in flight, by the id the addon reports their events under.
//
// Not a Map. A Map that sees one insertion and one deletion per hop rehashes into a new table
// every few hundred hops, and V8 keeps a pointer from the old table to the new one (for
// iterators that were open during the rehash) while the old table still holds the entries it
// had. Once one such table was promoted to the old generation, every later table — and every
// hop listed in one, with its whole request — is reachable from it until the next full
// collection: each minor collection promoted about 1.4 MB of finished requests, and the
// garbage collector's share of a small request went from 2 to 8–11 µs. A dictionary-mode
// object rehashes without such links.
export class HopRegistry<T> {
  private _byId: Record<number, T | undefined> = Object.create(null);
  private _size = 0;

  get size(): number {
    return this._size;
  }

  set(id: number, value: T): void {
    if (this._byId[id] === undefined) this._size += 1;
    this._byId[id] = value;
  }

  get(id: number): T | undefined {
    return this._byId[id];
  }

  /** What is registered, in no particular order. */
  values(): T[] {
    return Object.values(this._byId) as T[];
  }

  /** False when nothing was registered under `id`. */
  delete(id: number): boolean {
    if (this._byId[id] === undefined) return false;
    delete this._byId[id];
    this._size -= 1;
    return true;
  }
}
