// Proxy identifiers: parsing Chromium's proxy URI form, and formatting for
// session.resolveProxy() and for libcurl's CURLOPT_PROXY.
import { formatIp, parseIPv6 } from './ip-address';
import { ProxyChoice, ProxyServer } from './types';

export const DEFAULT_PROXY_PORTS: Record<ProxyServer['scheme'], number> = {
  http: 80,
  https: 443,
  socks4: 1080,
  socks5: 1080,
};

const URI_SCHEMES: Record<string, ProxyServer['scheme'] | 'direct'> = {
  http: 'http',
  https: 'https',
  socks4: 'socks4',
  socks5: 'socks5',
  socks: 'socks5', // Chromium: "socks://" in a URI means SOCKS5 (but "socks=" as a rules key means SOCKS4)
  direct: 'direct',
};

const HOST_RE = /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?$/;

/**
 * `host[:port]` with an optional bracketed IPv6 literal. Credentials (`user:pass@`) make the
 * entry invalid, as in Chromium, which ignores credentials in proxy settings; this also keeps a
 * PAC script from smuggling them in. Returns null when invalid.
 */
export function parseHostPort(text: string, defaultPort: number): { host: string; port: number } | null {
  if (text.includes('@') || text.includes('/')) return null;
  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end === -1) return null;
    const v6 = parseIPv6(text.slice(1, end));
    if (!v6) return null;
    host = formatIp(v6);
    const rest = text.slice(end + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return null;
      portText = rest.slice(1);
    }
  } else {
    const colon = text.lastIndexOf(':');
    if (colon !== -1) {
      if (text.indexOf(':') !== colon) return null; // bare IPv6 without brackets is ambiguous
      portText = text.slice(colon + 1);
      text = text.slice(0, colon);
    }
    host = text.toLowerCase();
    if (!HOST_RE.test(host)) return null;
    if (host.endsWith('.')) host = host.slice(0, -1);
    // Canonicalised as a URL host, as Chromium does for proxy hosts: a host the URL parser
    // refuses (invalid punycode such as `xn--0`) is dropped, and a number is an IPv4 address
    // (`4` → `0.0.0.4`, `0x7f.1` → `127.0.0.1`).
    const canonical = canonicalUrlHost(host);
    if (canonical === null) return null;
    host = canonical;
  }
  let port = defaultPort;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText)) return null;
    port = Number(portText);
    if (port < 1 || port > 65535) return null;
  }
  return { host, port };
}

function canonicalUrlHost(host: string): string | null {
  try {
    return new URL(`http://${host}/`).hostname;
  } catch {
    return null;
  }
}

/**
 * Chromium's proxy URI form `[scheme://]host[:port]` (also `direct://`). `defaultScheme` applies
 * when no scheme is written (http normally, socks4 under a `socks=` rules key).
 * Returns null for anything Chromium would drop as invalid (unknown scheme, bad host or port).
 */
export function parseProxyUri(input: string, defaultScheme: ProxyServer['scheme']): ProxyChoice | null {
  let text = input.trim();
  let scheme: ProxyServer['scheme'] | 'direct' = defaultScheme;
  const sep = text.indexOf('://');
  if (sep !== -1) {
    const named = URI_SCHEMES[text.slice(0, sep).toLowerCase()];
    if (!named) return null;
    scheme = named;
    text = text.slice(sep + 3);
  }
  if (scheme === 'direct') return text === '' ? { kind: 'direct' } : null;
  if (text === '') return null;
  const hp = parseHostPort(text, DEFAULT_PROXY_PORTS[scheme]);
  return hp ? { kind: 'proxy', server: { scheme, host: hp.host, port: hp.port } } : null;
}

/** `host:port`, bracketing IPv6 literals. */
export function hostPort(server: { host: string; port: number }): string {
  return server.host.includes(':') ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;
}

/** Identity of a proxy for the bad-proxy list (credentials deliberately not part of it). */
export function proxyKey(server: ProxyServer): string {
  return `${server.scheme}://${hostPort(server)}`;
}

const PAC_NAMES: Record<ProxyServer['scheme'], string> = {
  http: 'PROXY',
  https: 'HTTPS',
  socks4: 'SOCKS',
  socks5: 'SOCKS5',
};

/** What `session.resolveProxy()` returns: `PROXY h:p; HTTPS h:p; SOCKS h:p; SOCKS5 h:p; DIRECT`. */
export function formatProxyList(choices: ProxyChoice[]): string {
  if (choices.length === 0) return 'DIRECT';
  return choices
    .map((c) => (c.kind === 'direct' ? 'DIRECT' : `${PAC_NAMES[c.server.scheme]} ${hostPort(c.server)}`))
    .join('; ');
}

/**
 * The CURLOPT_PROXY string for one choice; '' for direct (which also stops libcurl from reading
 * proxy environment variables itself). The port is always written, because libcurl's default
 * proxy port is 1080 whatever the scheme.
 * - SOCKS4 → `socks4://`: Chromium's SOCKS4 resolves the target name on the client and is
 *   IPv4-only, which is exactly curl's socks4 (not socks4a, which Chromium never uses).
 * - SOCKS5 → `socks5h://`: Chromium's SOCKS5 always sends the host name to the proxy; curl's
 *   `socks5://` would resolve locally instead.
 * Credentials are never embedded; pass ProxyServer.username/password as CURLOPT_PROXYUSERNAME/PASSWORD.
 */
export function curlProxyUrl(choice: ProxyChoice): string {
  if (choice.kind === 'direct') return '';
  const s = choice.server;
  const scheme = s.scheme === 'socks5' ? 'socks5h' : s.scheme;
  return `${scheme}://${hostPort(s)}`;
}
