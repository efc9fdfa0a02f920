// Hops that wait for a connection, in priority order. With a per-host connection limit,
// Chromium's socket pool hands a freed connection to the highest-priority request waiting for
// one (FIFO within a priority); libcurl hands it to the oldest. So while a session has a
// per-host limit, hops beyond it wait here instead of in libcurl, and a hop that ends lets the
// best waiter go. Origins seen answering over HTTP/2 on a libcurl that multiplexes are not
// queued: one connection serves them all, as Chromium's HTTP/2 sessions bypass the pool.
import type { Priority } from './request-options';

const RANK: Record<Priority, number> = { highest: 0, medium: 1, low: 2, lowest: 3, idle: 4, throttled: 5 };

interface Waiter {
  rank: number;
  order: number;
  grant: () => boolean;
}

interface Host {
  active: number;
  waiting: Waiter[];
}

export class HostQueue {
  private readonly _hosts = new Map<string, Host>();
  private readonly _multiplexed = new Set<string>();
  private _order = 0;

  isMultiplexed(key: string): boolean {
    return this._multiplexed.has(key);
  }

  markMultiplexed(key: string): void {
    this._multiplexed.add(key);
  }

  /** Takes a slot if one is free and nobody waits for it. */
  tryTake(key: string, limit: number): boolean {
    let host = this._hosts.get(key);
    if (host === undefined) {
      host = { active: 0, waiting: [] };
      this._hosts.set(key, host);
    }
    if (host.active >= limit || host.waiting.length > 0) return false;
    host.active += 1;
    return true;
  }

  /** Queues `grant`, called when a slot is free for it; it returns false when its request no
   * longer wants the slot (aborted meanwhile), and the slot goes to the next waiter. */
  wait(key: string, priority: Priority, grant: () => boolean): void {
    this._hosts.get(key)!.waiting.push({ rank: RANK[priority], order: this._order++, grant });
  }

  /** A hop that had a slot ended: the best waiter (if any) gets the slot. */
  release(key: string, limit: number): void {
    const host = this._hosts.get(key);
    if (host === undefined) return;
    host.active -= 1;
    this._dispatch(key, host, limit);
  }

  private _dispatch(key: string, host: Host, limit: number): void {
    while (host.active < limit && host.waiting.length > 0) {
      let best = 0;
      for (let i = 1; i < host.waiting.length; i++) {
        const w = host.waiting[i];
        const b = host.waiting[best];
        if (w.rank < b.rank || (w.rank === b.rank && w.order < b.order)) best = i;
      }
      const [waiter] = host.waiting.splice(best, 1);
      host.active += 1;
      if (!waiter.grant()) host.active -= 1;
    }
    if (host.active === 0 && host.waiting.length === 0) this._hosts.delete(key);
  }
}
