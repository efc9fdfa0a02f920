// How a session picks the proxy for a hop. The decision is made in TS (Electron's ProxyConfig
// semantics); libcurl is told exactly which proxy to use, or "" for a direct connection.

/** The proxy a hop goes through, in the form the native layer takes. */
export interface ProxyHop {
  /** libcurl proxy URL; '' for a direct connection. */
  url: string;
  /** HopFlag bits this proxy needs. */
  flags: number;
  /** The proxy's identity (login 'authInfo', auth cache); undefined when direct. */
  host?: string;
  port?: number;
  scheme?: 'http' | 'https' | 'socks4' | 'socks5';
  /** CA bundle to verify an HTTPS proxy with, when it differs from the default. */
  caFile?: string;
  /** Credentials that came with the proxy setting itself (environment variables). */
  username?: string;
  password?: string;
}

export const DIRECT_HOP: ProxyHop = Object.freeze({ url: '', flags: 0 });
