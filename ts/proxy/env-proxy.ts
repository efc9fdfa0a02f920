// `mode: 'system'` on Linux (and, for now, everywhere): proxies from environment variables.
// The exact rules are documented in docs/proxy.md ("system mode"); in short:
//   * http:// and ws:// use http_proxy, https:// and wss:// use https_proxy; either falls back to
//     all_proxy. Other schemes go direct. https_proxy is never a fallback for http:// and
//     http_proxy never for https:// (curl, Go, proxy-from-env agree on this).
//   * Lowercase wins over uppercase when both are defined, even when the lowercase one is empty
//     (so `http_proxy=` switches an inherited HTTP_PROXY off). HTTP_PROXY (uppercase) is ignored
//     when REQUEST_METHOD is set, i.e. when running as a CGI script (the "httpoxy" guard).
//   * A value without a scheme is http://. Schemes: http, https, socks4, socks4a (treated as
//     socks4), socks5, socks5h, socks (all SOCKS5). Credentials in the value are kept, decoded,
//     on ProxyServer.username/password. An unparseable value means "no proxy from that variable".
//   * NO_PROXY: see NoProxyList below. Chromium's implicit loopback/link-local bypass applies too.
import { IpAddress, ipEquals, ipInPrefix, parseCidr, parseIp } from './ip-address';
import { DEFAULT_PROXY_PORTS, parseHostPort } from './proxy-server';
import { TargetUrl } from './target-url';
import { ProxyServer } from './types';

export interface EnvProxySettings {
  http: ProxyServer | null;
  https: ProxyServer | null;
  all: ProxyServer | null;
  noProxy: NoProxyList;
}

function readVar(env: NodeJS.ProcessEnv, lower: string, allowUpper = true): string | undefined {
  if (env[lower] !== undefined) return env[lower];
  return allowUpper ? env[lower.toUpperCase()] : undefined;
}

const ENV_SCHEMES: Record<string, ProxyServer['scheme']> = {
  http: 'http',
  https: 'https',
  socks4: 'socks4',
  socks4a: 'socks4',
  socks5: 'socks5',
  socks5h: 'socks5',
  socks: 'socks5',
};

/** Parses one proxy environment variable value; null when empty or invalid. */
export function parseEnvProxyValue(value: string | undefined): ProxyServer | null {
  const text = value?.trim();
  if (!text) return null;
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  const sep = withScheme.indexOf('://');
  const scheme = ENV_SCHEMES[withScheme.slice(0, sep).toLowerCase()];
  if (!scheme) return null;
  let rest = withScheme.slice(sep + 3);
  // Drop a trailing path ("http://proxy:3128/" is common in the wild).
  const slash = rest.indexOf('/');
  if (slash !== -1) rest = rest.slice(0, slash);
  let username: string | undefined;
  let password: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at !== -1) {
    const userinfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = userinfo.indexOf(':');
    try {
      username = decodeURIComponent(colon === -1 ? userinfo : userinfo.slice(0, colon));
      password = colon === -1 ? undefined : decodeURIComponent(userinfo.slice(colon + 1));
    } catch {
      return null;
    }
  }
  const hp = parseHostPort(rest, DEFAULT_PROXY_PORTS[scheme]);
  if (!hp) return null;
  const server: ProxyServer = { scheme, host: hp.host, port: hp.port };
  if (username !== undefined && username !== '') server.username = username;
  if (password !== undefined) server.password = password;
  return server;
}

interface NoProxyEntry {
  /** Domain to match with its subdomains (leading '.' / '*.' / '*' removed), or null for IP forms. */
  domain: string | null;
  ip: IpAddress | null;
  cidrBits: number;
  port: number;
}

/**
 * NO_PROXY / no_proxy, with the generous semantics most users expect:
 *   * entries separated by commas and/or whitespace; case-insensitive; a trailing '.' is ignored;
 *   * `*` as an entry (anywhere in the list) bypasses every host;
 *   * `example.com`, `.example.com`, `*.example.com` (and `*example.com`) all match example.com
 *     itself and every subdomain, never `notexample.com`;
 *   * an optional `:port` restricts an entry to that port (the URL's effective port, so
 *     `example.com:443` matches https://example.com/);
 *   * IP literals (`10.1.2.3`, `::1`, `[::1]`, `[::1]:8080`) match hosts that are that IP literal;
 *   * CIDR blocks (`10.0.0.0/8`, `fd00::/8`) match hosts that are IP literals in the block;
 *   * no DNS lookups: a host name never matches an IP entry.
 */
export class NoProxyList {
  readonly all: boolean;
  private readonly entries: NoProxyEntry[] = [];

  constructor(text = '') {
    let all = false;
    for (const raw of text.split(/[\s,]+/)) {
      const item = raw.trim().toLowerCase();
      if (item === '') continue;
      if (item === '*') {
        all = true;
        continue;
      }
      const entry = NoProxyList.parseEntry(item);
      if (entry) this.entries.push(entry);
    }
    this.all = all;
  }

  private static parseEntry(item: string): NoProxyEntry | null {
    if (item.includes('/')) {
      const cidr = parseCidr(item.replace(/^\[([^\]]*)\]/, '$1'));
      return cidr ? { domain: null, ip: cidr.prefix, cidrBits: cidr.bits, port: -1 } : null;
    }
    const bare = parseIp(item);
    if (bare) return { domain: null, ip: bare, cidrBits: -1, port: -1 };
    let text = item;
    let port = -1;
    const bracket = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(text);
    if (bracket) {
      const ip = parseIp(bracket[1]!);
      if (!ip) return null;
      return { domain: null, ip, cidrBits: -1, port: bracket[2] ? Number(bracket[2]) : -1 };
    }
    const colon = text.lastIndexOf(':');
    if (colon !== -1) {
      const portText = text.slice(colon + 1);
      if (!/^\d{1,5}$/.test(portText)) return null;
      port = Number(portText);
      text = text.slice(0, colon);
    }
    const ip = parseIp(text);
    if (ip) return { domain: null, ip, cidrBits: -1, port };
    let domain = text.replace(/^\*/, '').replace(/^\./, '');
    if (domain.endsWith('.')) domain = domain.slice(0, -1);
    if (domain === '' || domain.includes('*')) return null;
    return { domain, ip: null, cidrBits: -1, port };
  }

  matches(target: TargetUrl): boolean {
    if (this.all) return true;
    let host = target.hostNoBrackets;
    if (host.endsWith('.')) host = host.slice(0, -1);
    for (const e of this.entries) {
      if (e.port !== -1 && e.port !== target.port) continue;
      if (e.domain !== null) {
        if (target.ip === null && (host === e.domain || host.endsWith(`.${e.domain}`))) return true;
      } else if (target.ip && e.ip) {
        if (e.cidrBits >= 0 ? ipInPrefix(target.ip, e.ip, e.cidrBits) : target.ip.family === e.ip.family && ipEquals(target.ip, e.ip))
          return true;
      }
    }
    return false;
  }
}

/** Reads the variables once (at setConfig time) so later changes to the environment don't leak in. */
export function readEnvProxySettings(env: NodeJS.ProcessEnv): EnvProxySettings {
  const cgi = env.REQUEST_METHOD !== undefined;
  return {
    http: parseEnvProxyValue(readVar(env, 'http_proxy', !cgi)),
    https: parseEnvProxyValue(readVar(env, 'https_proxy')),
    all: parseEnvProxyValue(readVar(env, 'all_proxy')),
    noProxy: new NoProxyList(readVar(env, 'no_proxy') ?? ''),
  };
}

/** The env proxy for a URL, before NO_PROXY; null means DIRECT. */
export function envProxyForUrl(settings: EnvProxySettings, target: TargetUrl): ProxyServer | null {
  switch (target.scheme) {
    case 'http':
    case 'ws':
      return settings.http ?? settings.all;
    case 'https':
    case 'wss':
      return settings.https ?? settings.all;
    default:
      return null;
  }
}
