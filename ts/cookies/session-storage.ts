// What a session keeps about the sites it talked to: its cookie store, the Cookies API over it,
// and for persistent sessions the file behind it (storagePath). Storage clearing
// (clearStorageData, clearData) acts on what curl-net holds here.
import type { Cookie } from 'tough-cookie';
import { CookieFile } from './cookie-file';
import { Cookies } from './cookies';
import { CookieStore } from './cookie-store';
import { registrableDomain } from './site';

export class SessionStorage {
  readonly store = new CookieStore();
  readonly cookies: Cookies;
  private readonly _file: CookieFile | null;

  /** Opens (and locks) `storagePath` when there is one: that may throw. */
  constructor(readonly storagePath: string | null) {
    this._file = storagePath === null ? null : new CookieFile(storagePath, this.store);
    this.cookies = new Cookies(this.store, () => (this._file === null ? Promise.resolve() : this._file.flush()));
  }

  /** Removes cookies: all of them, or those `which` selects. */
  clearCookies(which: (cookie: Cookie) => boolean = () => true): void {
    this.store.remove(which, 'explicit');
  }
}

export interface ClearStorageDataOptions {
  origin?: string;
  storages?: string[];
  quotas?: string[];
}

/** Electron's clearStorageData for what curl-net stores: cookies (for `origin`: those a request
 * to that origin's host would carry, whatever their path). Other storage names (localstorage,
 * indexdb, …) and quotas are ignored, as an unknown name is in Electron. */
export function clearStorageData(storage: SessionStorage, options: ClearStorageDataOptions = {}): void {
  const storages = Array.isArray(options?.storages) ? options.storages.map((s) => String(s).toLowerCase()) : null;
  if (storages !== null && !storages.includes('cookies')) return;
  if (typeof options?.origin === 'string' && options.origin !== '') {
    let host: string;
    try {
      host = new URL(options.origin).hostname;
    } catch {
      return;
    }
    storage.clearCookies((cookie) => domainMatches(host, cookie));
  } else {
    storage.clearCookies();
  }
}

function domainMatches(host: string, cookie: Cookie): boolean {
  const domain = cookie.domain!;
  return cookie.hostOnly ? host === domain : host === domain || host.endsWith(`.${domain}`);
}

export interface ClearDataOptions {
  dataTypes?: string[];
  origins?: string[];
  excludeOrigins?: string[];
  avoidClosingConnections?: boolean;
  originMatchingMode?: 'third-parties-included' | 'origin-in-all-contexts';
}

/** Validates clearData's options synchronously, with Electron's messages; returns the filter
 * on registrable domains (Chromium's BrowsingDataFilterBuilder matches cookies that way). */
export function clearDataFilter(options: ClearDataOptions = {}): { clearCookies: boolean; which: (cookie: Cookie) => boolean } {
  const dataTypes = Array.isArray(options?.dataTypes) ? options.dataTypes : null;
  const clearCookies = dataTypes === null || dataTypes.includes('cookies');
  const origins = options?.origins;
  const excluded = options?.excludeOrigins;
  if (origins !== undefined && excluded !== undefined) throw new Error("Cannot provide both 'origins' and 'excludeOrigins'");
  const list = origins ?? excluded;
  if (list === undefined) return { clearCookies, which: () => true };
  if (!Array.isArray(list)) throw new TypeError(`'${origins !== undefined ? 'origins' : 'excludeOrigins'}' must be an array of origins`);
  const sites = new Set<string>();
  for (const origin of list) {
    let url: URL;
    try {
      url = new URL(String(origin));
    } catch {
      throw new Error(`Invalid origin: '${String(origin)}'`);
    }
    if (url.origin === 'null') throw new Error(`Invalid origin: '${String(origin)}'`);
    sites.add(registrableDomain(url.hostname));
  }
  const inList = (cookie: Cookie) => sites.has(registrableDomain(cookie.domain!));
  return { clearCookies, which: origins !== undefined ? inList : (cookie) => !inList(cookie) };
}
