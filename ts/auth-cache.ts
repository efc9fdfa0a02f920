// Credentials that worked, per (server or proxy, its scheme, host, port, realm, auth scheme),
// like Chromium's HttpAuthCache, which keys by origin: credentials learned on https://host:P
// are never offered to http://host:P (they would cross the network in the clear). A session
// owns one; later requests offer the most recent entry for the same server or proxy up front,
// so the user is not asked twice and a body is not sent to a challenge it already answered.
import { CurlAuth } from './native';

/** HTTP schemes, plus 'socks5' for a SOCKS5 proxy's username/password (RFC 1929), which
 * curl-net also reports through 'login' (Chromium has no SOCKS authentication). */
export type AuthScheme = 'basic' | 'digest' | 'ntlm' | 'negotiate' | 'socks5';

/** libcurl's CURLAUTH_* bit for each scheme. SOCKS5 credentials only need to be present. */
export const SCHEME_MASK: Record<AuthScheme, number> = {
  basic: CurlAuth.Basic,
  digest: CurlAuth.Digest,
  negotiate: CurlAuth.Negotiate,
  ntlm: CurlAuth.Ntlm,
  socks5: CurlAuth.Basic,
};

export interface AuthEntry {
  isProxy: boolean;
  /** URL scheme of the server ('http', 'https') or of the proxy ('http', 'https', 'socks5'…). */
  protocol: string;
  scheme: AuthScheme;
  host: string;
  port: number;
  realm: string;
  username: string;
  password: string;
}

export interface HopCredential {
  username: string;
  password: string;
  /** CURLAUTH_* bits libcurl may use with these credentials. */
  mask: number;
  entry?: AuthEntry;
}

function sameKey(a: AuthEntry, b: Omit<AuthEntry, 'username' | 'password'>): boolean {
  return (
    a.isProxy === b.isProxy &&
    a.protocol === b.protocol &&
    a.scheme === b.scheme &&
    a.host === b.host &&
    a.port === b.port &&
    a.realm === b.realm
  );
}

export class AuthCache {
  private _entries: AuthEntry[] = [];

  add(entry: AuthEntry): void {
    this._entries = this._entries.filter((e) => !sameKey(e, entry));
    this._entries.push(entry);
  }

  remove(entry: Omit<AuthEntry, 'username' | 'password'>): void {
    this._entries = this._entries.filter((e) => !sameKey(e, entry));
  }

  find(key: Omit<AuthEntry, 'username' | 'password'>): AuthEntry | undefined {
    return this._entries.find((e) => sameKey(e, key));
  }

  /** The most recent entry for this server or proxy, offered before any challenge. */
  latestFor(isProxy: boolean, protocol: string, host: string, port: number): HopCredential | undefined {
    for (let i = this._entries.length - 1; i >= 0; i--) {
      const e = this._entries[i];
      if (e.isProxy === isProxy && e.protocol === protocol && e.host === host && e.port === port) {
        return { username: e.username, password: e.password, mask: SCHEME_MASK[e.scheme], entry: e };
      }
    }
    return undefined;
  }

  clear(): void {
    this._entries = [];
  }

  get size(): number {
    return this._entries.length;
  }
}

/** The scheme part of an origin: 'http' or 'https'. */
export function urlScheme(url: URL): string {
  return url.protocol.slice(0, -1);
}

export { effectivePort as defaultPort } from './url-parts';
