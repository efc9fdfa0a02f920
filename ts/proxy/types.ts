// Public shapes of the proxy layer. Kept free of logic so every other proxy module (and the
// request layer) can import them without pulling in the PAC worker.

/** Electron's `ProxyConfig.mode`. */
export type ProxyMode = 'direct' | 'auto_detect' | 'pac_script' | 'fixed_servers' | 'system';

/** What `session.setProxy()` accepts (Electron's `ProxyConfig` structure). */
export interface ProxyConfig {
  mode?: ProxyMode;
  /** URL of a PAC script: http:, https:, file: or data:. */
  pacScript?: string;
  /** Chromium's proxy rules string, e.g. `http=foopy:80;https=bar:3128` or `socks5://h:1080,direct://`. */
  proxyRules?: string;
  /** Chromium's bypass list, e.g. `<local>,*.corp.example,10.0.0.0/8`. */
  proxyBypassRules?: string;
}

/**
 * One proxy server. `host` never has brackets (an IPv6 literal is stored as `::1`);
 * formatting functions add them back.
 */
export interface ProxyServer {
  scheme: 'http' | 'https' | 'socks4' | 'socks5';
  host: string;
  port: number;
  /**
   * Only set for proxies taken from environment variables (`http_proxy=http://user:pass@host`),
   * already percent-decoded. Chromium ignores credentials written into proxy settings, so rules
   * and PAC results never carry them. Never part of `curlProxyUrl()` or `formatProxyList()`:
   * hand them to libcurl separately (CURLOPT_PROXYUSERNAME / CURLOPT_PROXYPASSWORD).
   */
  username?: string;
  password?: string;
}

/** One entry of the ordered failover list that `ProxyResolver.resolve()` returns. */
export type ProxyChoice = { kind: 'direct' } | { kind: 'proxy'; server: ProxyServer };

export const DIRECT: ProxyChoice = Object.freeze({ kind: 'direct' }) as ProxyChoice;
