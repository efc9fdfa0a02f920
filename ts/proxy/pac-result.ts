// Parsing what FindProxyForURL returns: "PROXY a:1; HTTPS b:443; SOCKS5 c:1080; DIRECT".
import { DEFAULT_PROXY_PORTS, parseHostPort } from './proxy-server';
import { ProxyChoice, ProxyServer } from './types';

const PAC_SCHEMES: Record<string, ProxyServer['scheme']> = {
  PROXY: 'http',
  HTTP: 'http',
  HTTPS: 'https',
  SOCKS: 'socks4', // plain SOCKS in a PAC result means SOCKS v4 (Chromium, Firefox)
  SOCKS4: 'socks4',
  SOCKS5: 'socks5',
};

/**
 * Entries that are malformed, carry credentials, or use schemes we cannot do (e.g. QUIC) are
 * skipped. As in Chromium, if nothing usable is left the result is DIRECT: a PAC that returns
 * garbage is treated like a PAC error, and PAC errors fall back to DIRECT.
 */
export function parsePacResult(result: string): ProxyChoice[] {
  return parsePacEntries(result) ?? [{ kind: 'direct' }];
}

/** The usable entries of a PAC result, or null when there are none. */
export function parsePacEntries(result: string): ProxyChoice[] | null {
  const out: ProxyChoice[] = [];
  for (const raw of result.split(';')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const m = /^(\S+)(?:\s+(\S+))?$/.exec(entry);
    if (!m) continue;
    const keyword = m[1]!.toUpperCase();
    if (keyword === 'DIRECT') {
      if (m[2] === undefined) out.push({ kind: 'direct' });
      continue;
    }
    const scheme = PAC_SCHEMES[keyword];
    if (!scheme || m[2] === undefined) continue;
    const hp = parseHostPort(m[2], DEFAULT_PROXY_PORTS[scheme]);
    if (hp) out.push({ kind: 'proxy', server: { scheme, host: hp.host, port: hp.port } });
  }
  return out.length ? out : null;
}
