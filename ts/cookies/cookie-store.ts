// One session's cookies: tough-cookie's RFC 6265bis jar (domain and path matching, public
// suffixes, __Secure-/__Host- prefixes, SameSite, Secure only on trustworthy URLs) over an
// in-memory store that reports every change with Chromium's cause, and adds what Chromium does
// and tough-cookie does not: size limits, the 400-day expiry cap, SameSite=None needing Secure,
// an already-expired cookie deleting its equivalent instead of being stored, and eviction per
// site and overall. Everything is synchronous: a stage reads and writes it between hops.
import { canonicalDomain, Cookie, CookieJar, defaultPath, domainMatch, MemoryCookieStore, pathMatch } from 'tough-cookie';
import { isPotentiallyTrustworthy } from '../fetch-metadata';
import { registrableDomain } from './site';

export type ChangeCause =
  | 'inserted'
  | 'inserted-no-change-overwrite'
  | 'inserted-no-value-change-overwrite'
  | 'explicit'
  | 'overwrite'
  | 'expired'
  | 'evicted'
  | 'expired-overwrite';

/** `removed` is false only for the inserted* causes. */
export type ChangeListener = (cookie: Cookie, cause: ChangeCause, removed: boolean) => void;

export type SameSiteContext = 'strict' | 'lax' | 'none';

/** Chromium's limits (net/cookies/cookie_monster.cc, cookie_constants.h). */
export const LIMITS = Object.freeze({
  /** Name plus value, in bytes. */
  nameValueBytes: 4096,
  /** Cookies per registrable domain before a purge, and how many are left after it. */
  perSite: 180,
  perSiteAfterPurge: 150,
  /** Cookies in the store before a global purge, and how many are left after it. */
  total: 3300,
  totalAfterPurge: 3000,
  /** Expiry is capped at 400 days from creation (RFC 6265bis). */
  maxAgeMs: 400 * 24 * 3600 * 1000,
});

const HEADER_CACHE_ENTRIES = 256;
const ACCESS_TIME_STEP_MS = 1000;

type Callback = (error: Error | null, result?: unknown) => void;

function expiry(cookie: Cookie): number | undefined {
  const at = cookie.expiryTime();
  return at === undefined || at === Infinity ? undefined : at;
}

/** Max-Age becomes an absolute expiry at the moment of storing (so that a cookie read back
 * from disk keeps it), capped at 400 days. */
function normalise(cookie: Cookie, now: number): void {
  let at = expiry(cookie);
  if (at === undefined) return;
  if (at > now + LIMITS.maxAgeMs) at = now + LIMITS.maxAgeMs;
  cookie.expires = new Date(at);
  cookie.maxAge = null;
}

function isExpired(cookie: Cookie, now: number): boolean {
  const at = expiry(cookie);
  return at !== undefined && at <= now;
}

function sameAttributes(a: Cookie, b: Cookie): boolean {
  return (
    a.secure === b.secure &&
    a.httpOnly === b.httpOnly &&
    a.hostOnly === b.hostOnly &&
    (a.sameSite ?? '') === (b.sameSite ?? '') &&
    expiry(a) === expiry(b)
  );
}

/** tough-cookie's memory store, reporting changes; the jar calls it synchronously. */
class ObservedStore extends MemoryCookieStore {
  constructor(private readonly _owner: CookieStore) {
    super();
  }

  override putCookie(cookie: Cookie, callback?: Callback): any {
    this._owner._insert(null, cookie);
    return done(callback);
  }

  override updateCookie(oldCookie: Cookie, newCookie: Cookie, callback?: Callback): any {
    this._owner._insert(oldCookie, newCookie);
    return done(callback);
  }

  /** Only the jar calls this: it found the cookie expired while reading. */
  override removeCookie(domain: string, path: string, key: string, callback?: Callback): any {
    const cookie = this._owner._find(domain, path, key);
    if (cookie !== undefined) this._owner._delete(cookie, 'expired');
    return done(callback);
  }

  /** @internal The store itself, without reports. */
  _put(cookie: Cookie): void {
    super.putCookie(cookie, noop);
  }

  _remove(cookie: Cookie): void {
    super.removeCookie(cookie.domain!, cookie.path!, cookie.key, noop);
  }
}

function noop(): void {}

function done(callback?: Callback): Promise<void> | undefined {
  if (callback) {
    callback(null);
    return undefined;
  }
  return Promise.resolve();
}

export class CookieStore {
  private readonly _store: ObservedStore;
  readonly jar: CookieJar;
  private readonly _listeners: ChangeListener[] = [];
  private _count = 0;
  private _secureCount = 0;
  private readonly _perSite = new Map<string, number>();
  /** Cookie headers by `cookieHeader` key; emptied by every change to the store. */
  private readonly _headers = new Map<string, { header: string; cookies: Cookie[]; validUntil: number; touched: number }>();

  constructor() {
    this._store = new ObservedStore(this);
    this.jar = new CookieJar(this._store, { rejectPublicSuffixes: true, allowSpecialUseDomain: true, prefixSecurity: 'strict' });
  }

  get size(): number {
    return this._count;
  }

  onChange(listener: ChangeListener): void {
    this._listeners.push(listener);
  }

  // ---- on the wire --------------------------------------------------------------------------

  /** The Cookie header value for a hop to `url` ('' when none). Remembered per scheme, host,
   * path and context until the store changes or one of its cookies expires: choosing 50
   * cookies through the jar costs the JS thread ~40 µs per request (benchmarks/, 'cookies'). */
  cookieHeader(url: URL, context: SameSiteContext): string {
    if (this._count === 0) return '';
    const key = `${context} ${url.protocol}//${url.hostname}${url.pathname}`;
    const now = Date.now();
    const known = this._headers.get(key);
    if (known !== undefined && now < known.validUntil) {
      if (now - known.touched > ACCESS_TIME_STEP_MS) {
        // Last-access times drive eviction; a second's precision is plenty for that.
        known.touched = now;
        const at = new Date(now);
        for (const cookie of known.cookies) cookie.lastAccessed = at;
      }
      return known.header;
    }
    let cookies = this.jar.getCookiesSync(url.href, { http: true, sameSiteContext: context, sort: true });
    // Chromium treats a cookie without SameSite as Lax ("Lax by default"); tough-cookie as None.
    if (context === 'none') cookies = cookies.filter((cookie) => cookie.sameSite === 'none');
    let header = '';
    let validUntil = Infinity;
    for (const cookie of cookies) {
      header = header === '' ? cookie.cookieString() : `${header}; ${cookie.cookieString()}`;
      const at = expiry(cookie);
      if (at !== undefined && at < validUntil) validUntil = at;
    }
    if (this._headers.size >= HEADER_CACHE_ENTRIES) this._headers.clear();
    this._headers.set(key, { header, cookies, validUntil, touched: now });
    return header;
  }

  /** Stores one Set-Cookie value from a response to `url`; a refused cookie is dropped, as
   * Chromium drops it (nothing is reported to the application). */
  storeFromResponse(setCookie: string, url: URL, context: SameSiteContext): void {
    const cookie = Cookie.parse(setCookie);
    if (cookie === undefined || !acceptable(cookie)) return;
    // Lax by default: in a cross-site context only SameSite=None cookies may be set.
    if (context === 'none' && cookie.sameSite !== 'none') return;
    if (this._shadowsSecureCookie(cookie, url)) return;
    try {
      this.jar.setCookieSync(cookie, url.href, { http: true, sameSiteContext: context, ignoreError: true });
    } catch {
      // tough-cookie throws for a few malformed inputs even with ignoreError.
    }
  }

  // ---- through the API ----------------------------------------------------------------------

  /** Stores a cookie built by the Cookies API; the error message says why one was refused. */
  storeExplicit(cookie: Cookie, url: string): void {
    const problem = problemOf(cookie);
    if (problem !== null) throw new Error(problem);
    if (this._shadowsSecureCookie(cookie, new URL(url))) {
      throw new Error('The cookie was not set because it would have overwritten a Secure cookie from an insecure context.');
    }
    this.jar.setCookieSync(cookie, url, { http: true, sameSiteContext: 'strict' });
  }

  /** Every cookie, in the order Chromium lists them (longest path first, then oldest). */
  all(): Cookie[] {
    const now = Date.now();
    const list: Cookie[] = [];
    for (const cookie of this._everything()) {
      if (isExpired(cookie, now)) this._delete(cookie, 'expired');
      else list.push(cookie);
    }
    return list.sort(compareCookies);
  }

  /** The cookies a request to `url` would carry (HttpOnly included, any SameSite). */
  forUrl(url: string): Cookie[] {
    return this.jar.getCookiesSync(url, { http: true, sameSiteContext: 'strict', sort: true });
  }

  /** Removes the cookies `which` selects, reporting each with `cause`. */
  remove(which: (cookie: Cookie) => boolean, cause: ChangeCause = 'explicit'): number {
    let removed = 0;
    for (const cookie of this._everything()) {
      if (which(cookie)) {
        this._delete(cookie, cause);
        removed += 1;
      }
    }
    return removed;
  }

  /** Adds cookies read from disk, without reports (they are not changes). */
  restore(cookies: Iterable<Cookie>): void {
    const now = Date.now();
    for (const cookie of cookies) {
      if (isExpired(cookie, now) || !cookie.domain || !cookie.path) continue;
      const old = this._find(cookie.domain, cookie.path, cookie.key);
      if (old !== undefined) this._forget(old);
      this._store._put(cookie);
      this._counted(cookie, 1);
    }
  }

  /** RFC 6265bis "leave secure cookies alone": an insecure URL may not set a cookie that has
   * the name of a Secure one whose domain and path overlap with it. */
  private _shadowsSecureCookie(cookie: Cookie, url: URL): boolean {
    if (cookie.secure || this._secureCount === 0 || isPotentiallyTrustworthy(url)) return false;
    const domain = (cookie.domain ? canonicalDomain(cookie.domain) : null) ?? url.hostname;
    const path = cookie.path?.startsWith('/') ? cookie.path : defaultPath(url.pathname);
    for (const existing of this._everything()) {
      if (!existing.secure || existing.key !== cookie.key) continue;
      const overlap = domainMatch(existing.domain!, domain, false) || domainMatch(domain, existing.domain!, false);
      if (overlap && pathMatch(path, existing.path!)) return true;
    }
    return false;
  }

  // ---- the store's side (called by ObservedStore) -------------------------------------------

  /** @internal */
  _find(domain: string, path: string, key: string): Cookie | undefined {
    let found: Cookie | undefined;
    this._store.findCookie(domain, path, key, (_error, cookie) => (found = cookie ?? undefined));
    return found;
  }

  /** @internal The jar stores `cookie`, replacing `old` (its equivalent) if there is one. */
  _insert(old: Cookie | null, cookie: Cookie): void {
    const now = Date.now();
    normalise(cookie, now);
    if (isExpired(cookie, now)) {
      // Chromium: an already-expired cookie deletes its equivalent and is not stored.
      if (old !== null) this._delete(old, 'expired-overwrite');
      return;
    }
    let cause: ChangeCause = 'inserted';
    if (old !== null) {
      this._delete(old, 'overwrite');
      if (old.value === cookie.value) cause = sameAttributes(old, cookie) ? 'inserted-no-change-overwrite' : 'inserted-no-value-change-overwrite';
    }
    this._store._put(cookie);
    this._counted(cookie, 1);
    this._report(cookie, cause, false);
    this._enforceLimits(cookie, now);
  }

  /** @internal */
  _delete(cookie: Cookie, cause: ChangeCause): void {
    if (this._find(cookie.domain!, cookie.path!, cookie.key) !== cookie) return;
    this._forget(cookie);
    this._report(cookie, cause, true);
  }

  private _forget(cookie: Cookie): void {
    this._store._remove(cookie);
    this._counted(cookie, -1);
  }

  private _counted(cookie: Cookie, delta: number): void {
    this._headers.clear();
    this._count += delta;
    if (cookie.secure) this._secureCount += delta;
    const site = registrableDomain(cookie.domain!);
    const count = (this._perSite.get(site) ?? 0) + delta;
    if (count <= 0) this._perSite.delete(site);
    else this._perSite.set(site, count);
  }

  private _report(cookie: Cookie, cause: ChangeCause, removed: boolean): void {
    for (const listener of this._listeners) listener(cookie, cause, removed);
  }

  private _everything(): Cookie[] {
    let list: Cookie[] = [];
    this._store.getAllCookies((_error, cookies) => (list = cookies ?? []));
    return list;
  }

  /** Chromium's garbage collection: past 180 cookies for a site, down to 150; past 3300 in
   * all, down to 3000. Expired cookies go first, then the least recently used — non-Secure
   * before Secure (Chromium also weighs its Priority attribute, which tough-cookie drops). */
  private _enforceLimits(inserted: Cookie, now: number): void {
    const site = registrableDomain(inserted.domain!);
    if ((this._perSite.get(site) ?? 0) > LIMITS.perSite) {
      const candidates = this._everything().filter((c) => registrableDomain(c.domain!) === site);
      this._purge(candidates, candidates.length - LIMITS.perSiteAfterPurge, now);
    }
    if (this._count > LIMITS.total) {
      this._purge(this._everything(), this._count - LIMITS.totalAfterPurge, now);
    }
  }

  private _purge(candidates: Cookie[], excess: number, now: number): void {
    const expired = candidates.filter((c) => isExpired(c, now));
    for (const cookie of expired) this._delete(cookie, 'expired');
    excess -= expired.length;
    if (excess <= 0) return;
    const live = candidates
      .filter((c) => !isExpired(c, now))
      .sort((a, b) => Number(a.secure) - Number(b.secure) || accessed(a) - accessed(b));
    for (const cookie of live.slice(0, excess)) this._delete(cookie, 'evicted');
  }
}

function accessed(cookie: Cookie): number {
  const at = cookie.lastAccessed ?? cookie.creation;
  return at instanceof Date ? at.getTime() : 0;
}

/** Chromium's cookie order: longer paths first, then earlier creation. */
export function compareCookies(a: Cookie, b: Cookie): number {
  const byPath = (b.path?.length ?? 0) - (a.path?.length ?? 0);
  if (byPath !== 0) return byPath;
  return (a.creationIndex ?? 0) - (b.creationIndex ?? 0);
}

/** Chromium's checks that tough-cookie does not make, as the reason Electron gives. */
export function problemOf(cookie: Cookie): string | null {
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(cookie.key + cookie.value)) return 'The cookie contains ASCII control characters';
  if (cookie.key === '' && cookie.value === '') return 'The cookie has no name and no value';
  if (Buffer.byteLength(cookie.key) + Buffer.byteLength(cookie.value) > LIMITS.nameValueBytes) {
    return 'The cookie was too large. The sum of the name and value lengths must not exceed 4096 bytes.';
  }
  if (cookie.sameSite === 'none' && !cookie.secure) return 'The cookie was SameSite=None, but not Secure.';
  return null;
}

function acceptable(cookie: Cookie): boolean {
  return problemOf(cookie) === null;
}
