// The parts of a request URL that proxy decisions look at, parsed once per resolve().
import { IpAddress, parseIp } from './ip-address';

export interface TargetUrl {
  /** Lowercase scheme without ':' (`http`, `https`, `ws`, `wss`, ...). */
  scheme: string;
  /** Host as WHATWG URL serialises it: lowercase, punycode, IPv6 in brackets. */
  host: string;
  /** Host without IPv6 brackets (what a PAC script receives as `host`). */
  hostNoBrackets: string;
  /** Explicit port, or the scheme's default port (Chromium's EffectiveIntPort); -1 if unknown. */
  port: number;
  /** Set when the host is an IP literal. */
  ip: IpAddress | null;
  url: URL;
}

const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443, ws: 80, wss: 443, ftp: 21 };

export function parseTargetUrl(input: string | URL): TargetUrl {
  const url = typeof input === 'string' ? new URL(input) : input;
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  const host = url.hostname.toLowerCase();
  const hostNoBrackets = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const port = url.port !== '' ? Number(url.port) : (DEFAULT_PORTS[scheme] ?? -1);
  return { scheme, host, hostNoBrackets, port, ip: parseIp(hostNoBrackets), url };
}

/**
 * The URL handed to FindProxyForURL, following Chromium's sanitisation: credentials and fragment
 * are always removed; for cryptographic schemes (https, wss) path and query are removed too,
 * so a PAC script cannot see them (Chromium's PAC URL-stripping, default since M52).
 */
export function sanitizedPacUrl(target: TargetUrl): string {
  const u = new URL(target.url.href);
  u.username = '';
  u.password = '';
  u.hash = '';
  if (target.scheme === 'https' || target.scheme === 'wss') {
    u.pathname = '/';
    u.search = '';
  }
  return u.href;
}
