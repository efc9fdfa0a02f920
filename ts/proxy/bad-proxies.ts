// Chromium's "bad proxy" list: a proxy that failed at the connection level is moved to the end
// of every list for BAD_PROXY_MS (Chromium's default retry delay is 5 minutes), then forgiven.
import { proxyKey } from './proxy-server';
import { ProxyChoice, ProxyServer } from './types';

export const BAD_PROXY_MS = 5 * 60 * 1000;

export class BadProxyList {
  private readonly until = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  mark(server: ProxyServer, durationMs = BAD_PROXY_MS): void {
    this.until.set(proxyKey(server), this.now() + durationMs);
  }

  isBad(server: ProxyServer): boolean {
    const key = proxyKey(server);
    const t = this.until.get(key);
    if (t === undefined) return false;
    if (t <= this.now()) {
      this.until.delete(key);
      return false;
    }
    return true;
  }

  clear(): void {
    this.until.clear();
  }

  /** Stable partition: usable entries (DIRECT is never bad) first, bad proxies last, order kept. */
  deprioritize(list: ProxyChoice[]): ProxyChoice[] {
    const good: ProxyChoice[] = [];
    const bad: ProxyChoice[] = [];
    for (const c of list) (c.kind === 'proxy' && this.isBad(c.server) ? bad : good).push(c);
    return good.concat(bad);
  }
}
