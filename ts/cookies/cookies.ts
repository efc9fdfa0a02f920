// Electron's `Cookies` class (`ses.cookies`): get/set/remove/flushStore and the 'changed'
// event, with Electron's Cookie objects and rejection messages, over the session's CookieStore.
import { EventEmitter } from 'node:events';
import { Cookie } from 'tough-cookie';
import type { ChangeCause, CookieStore } from './cookie-store';

export type SameSiteValue = 'unspecified' | 'no_restriction' | 'lax' | 'strict';

/** What Electron's cookies.get() resolves to, field for field. */
export interface ElectronCookie {
  name: string;
  value: string;
  domain: string;
  hostOnly: boolean;
  path: string;
  secure: boolean;
  httpOnly: boolean;
  session: boolean;
  /** Seconds since the Unix epoch; absent for session cookies. */
  expirationDate?: number;
  sameSite: SameSiteValue;
}

export interface CookiesGetFilter {
  url?: string;
  name?: string;
  domain?: string;
  path?: string;
  secure?: boolean;
  session?: boolean;
  httpOnly?: boolean;
}

export interface CookiesSetDetails {
  url: string;
  name?: string;
  value?: string;
  domain?: string;
  path?: string;
  secure?: boolean;
  httpOnly?: boolean;
  expirationDate?: number;
  sameSite?: SameSiteValue;
}

const TO_ELECTRON_SAME_SITE: Record<string, SameSiteValue> = { none: 'no_restriction', lax: 'lax', strict: 'strict' };
const FROM_ELECTRON_SAME_SITE: Record<SameSiteValue, string | undefined> = {
  unspecified: undefined,
  no_restriction: 'none',
  lax: 'lax',
  strict: 'strict',
};

export function toElectronCookie(cookie: Cookie): ElectronCookie {
  const at = cookie.expiryTime();
  const session = at === undefined || at === Infinity;
  // Built in Electron's key order (tests compare whole objects, and people print them).
  const result = {
    name: cookie.key,
    value: cookie.value,
    // Chromium keeps a domain cookie's domain with its leading dot.
    domain: cookie.hostOnly ? cookie.domain! : `.${cookie.domain}`,
    hostOnly: cookie.hostOnly === true,
    path: cookie.path!,
    secure: cookie.secure,
    httpOnly: cookie.httpOnly,
    session,
  } as ElectronCookie;
  if (!session) result.expirationDate = at / 1000;
  result.sameSite = TO_ELECTRON_SAME_SITE[cookie.sameSite ?? ''] ?? 'unspecified';
  return result;
}

/** Electron's MatchesDomain: the cookie's domain is the filter's domain or a subdomain of it. */
function matchesDomain(filter: string, domain: string): boolean {
  const want = filter.replace(/^\./, '').toLowerCase();
  const have = domain.replace(/^\./, '').toLowerCase();
  return have === want || have.endsWith(`.${want}`);
}

/** Electron's Event argument: listeners may call preventDefault() (it changes nothing). */
function changedEvent(): { preventDefault(): void; defaultPrevented: boolean } {
  return {
    defaultPrevented: false,
    preventDefault() {
      this.defaultPrevented = true;
    },
  };
}

export class Cookies extends EventEmitter {
  /** @internal */
  constructor(
    private readonly _store: CookieStore,
    private readonly _flush: () => Promise<void>,
  ) {
    super();
    _store.onChange((cookie, cause, removed) => {
      if (this.listenerCount('changed') === 0) return;
      // Chromium reports changes asynchronously; a listener never runs inside a request's hop.
      const reported = toElectronCookie(cookie);
      process.nextTick(() => this.emit('changed', changedEvent(), reported, cause as ChangeCause, removed));
    });
  }

  get(filter: CookiesGetFilter = {}): Promise<ElectronCookie[]> {
    try {
      if (filter === null || typeof filter !== 'object') throw new TypeError('Filter must be an object');
      let cookies: Cookie[];
      if (filter.url !== undefined && filter.url !== '') {
        let url: URL;
        try {
          url = new URL(String(filter.url));
        } catch {
          return Promise.resolve([]);
        }
        cookies = url.protocol === 'http:' || url.protocol === 'https:' ? this._store.forUrl(url.href) : [];
      } else {
        cookies = this._store.all();
      }
      const result: ElectronCookie[] = [];
      for (const cookie of cookies) {
        const electron = toElectronCookie(cookie);
        if (filter.name !== undefined && electron.name !== filter.name) continue;
        if (filter.path !== undefined && electron.path !== filter.path) continue;
        if (filter.domain !== undefined && !matchesDomain(String(filter.domain), electron.domain)) continue;
        if (filter.secure !== undefined && electron.secure !== filter.secure) continue;
        if (filter.session !== undefined && electron.session !== filter.session) continue;
        if (filter.httpOnly !== undefined && electron.httpOnly !== filter.httpOnly) continue;
        result.push(electron);
      }
      return Promise.resolve(result);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  set(details: CookiesSetDetails): Promise<void> {
    try {
      this._set(details);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private _set(details: CookiesSetDetails): void {
    if (details === null || typeof details !== 'object') throw new TypeError('Details must be an object');
    if (details.url === undefined || details.url === null) throw new Error("Missing required option 'url'");
    const sameSiteName = details.sameSite ?? 'lax';
    if (!Object.prototype.hasOwnProperty.call(FROM_ELECTRON_SAME_SITE, sameSiteName)) {
      throw new Error(`Failed to convert '${String(sameSiteName)}' to an appropriate cookie same site value`);
    }
    let url: URL;
    try {
      url = new URL(String(details.url));
    } catch {
      throw failure('The cookie was set with an invalid Domain attribute.');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw failure('The cookie was set on a URL with a scheme that is not cookieable.');
    }
    const sameSite = FROM_ELECTRON_SAME_SITE[sameSiteName as SameSiteValue];
    const domain = details.domain ? String(details.domain).replace(/^\./, '').toLowerCase() : undefined;
    const path = details.path ? String(details.path) : undefined;
    let expires: Date | 'Infinity' = 'Infinity';
    if (details.expirationDate !== undefined && details.expirationDate !== null) {
      const seconds = Number(details.expirationDate);
      if (!Number.isFinite(seconds)) throw failure('The cookie was set with an invalid expiration date.');
      expires = new Date(seconds * 1000);
    }
    const cookie = new Cookie({
      key: details.name === undefined ? '' : String(details.name),
      value: details.value === undefined ? '' : String(details.value),
      domain: domain ?? null,
      path: path ?? null,
      secure: details.secure ?? sameSite === 'none',
      httpOnly: details.httpOnly === true,
      expires,
      sameSite,
    });
    try {
      this._store.storeExplicit(cookie, url.href);
    } catch (error) {
      throw failure(reasonFor((error as Error).message));
    }
  }

  /** Resolves once nothing was deleted or the cookie `name` set for `url` is gone. */
  remove(url: string, name: string): Promise<void> {
    let target: URL | null = null;
    try {
      target = new URL(String(url));
    } catch {
      return Promise.resolve();
    }
    const matching = new Set(this._store.forUrl(target.href).filter((c) => c.key === String(name)));
    if (matching.size > 0) this._store.remove((c) => matching.has(c), 'explicit');
    return Promise.resolve();
  }

  /** Writes pending changes to disk (persistent sessions; in memory, nothing to do). */
  flushStore(): Promise<void> {
    return this._flush();
  }
}

function failure(reason: string): Error {
  return new Error(`Failed to set cookie - ${reason}`);
}

/** tough-cookie's refusals, in Chromium's words (CookieInclusionStatus). */
function reasonFor(message: string): string {
  if (/public suffix|not in this host's domain|special use domain/i.test(message)) return 'The cookie was set with an invalid Domain attribute.';
  if (/is Secure but this is not a secure connection/i.test(message)) return 'The cookie was Secure, but the URL was not allowed to access Secure cookies.';
  if (/__Secure|__Host/.test(message)) return 'The cookie was set with an invalid prefix.';
  if (/HttpOnly/.test(message)) return 'The cookie was HttpOnly, but the attempted access was through a non-HTTP API.';
  return message;
}
