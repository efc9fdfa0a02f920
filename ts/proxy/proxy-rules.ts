// Chromium's `proxyRules` grammar (net/proxy_resolution/proxy_config.cc semantics):
//   rules      = entry *( ";" entry )
//   entry      = [ url-scheme "=" ] proxy-uri *( "," proxy-uri )
//   url-scheme = "http" | "https" | "ftp" | "socks"
// As in Chromium: an entry without "=" that comes before any "scheme=" entry makes one list for
// every URL and ends parsing; after a "scheme=" entry (even one for an unknown scheme) such an
// entry is ignored. "socks=" is the list for "all other schemes", and there a proxy written
// without a scheme is SOCKS4. Unknown url-schemes and invalid proxy URIs are skipped.
import { parseProxyUri } from './proxy-server';
import { TargetUrl } from './target-url';
import { ProxyChoice, ProxyServer } from './types';

export interface ProxyRules {
  /** Set when the rules were a single list that applies to every URL. */
  single: ProxyChoice[] | null;
  http: ProxyChoice[];
  https: ProxyChoice[];
  ftp: ProxyChoice[];
  /** From `socks=`: used for schemes that have no list of their own. */
  fallback: ProxyChoice[];
}

function parseList(text: string, defaultScheme: ProxyServer['scheme']): ProxyChoice[] {
  const out: ProxyChoice[] = [];
  for (const part of text.split(',')) {
    if (part.trim() === '') continue;
    const choice = parseProxyUri(part, defaultScheme);
    if (choice) out.push(choice);
  }
  return out;
}

export function parseProxyRules(text: string): ProxyRules {
  const rules: ProxyRules = { single: null, http: [], https: [], ftp: [], fallback: [] };
  let perScheme = false;
  for (const rawEntry of text.split(';')) {
    const entry = rawEntry.trim();
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    if (eq === -1) {
      if (perScheme) continue;
      rules.single = parseList(entry, 'http');
      return rules;
    }
    perScheme = true;
    const urlScheme = entry.slice(0, eq).trim().toLowerCase();
    const value = entry.slice(eq + 1);
    switch (urlScheme) {
      case 'http':
      case 'https':
      case 'ftp':
        rules[urlScheme].push(...parseList(value, 'http'));
        break;
      case 'socks':
        rules.fallback.push(...parseList(value, 'socks4'));
        break;
      default:
        break; // Chromium ignores entries for schemes it has no list for
    }
  }
  return rules;
}

export function rulesAreEmpty(rules: ProxyRules): boolean {
  if (rules.single) return rules.single.length === 0;
  return !rules.http.length && !rules.https.length && !rules.ftp.length && !rules.fallback.length;
}

/**
 * The list for one URL, before bypass rules; empty means DIRECT. WebSocket URLs use the
 * "other" (socks=) list if set, else the https list, else the http list (Chromium's
 * GetProxyListForWebSocketScheme).
 */
export function rulesForUrl(rules: ProxyRules, target: TargetUrl): ProxyChoice[] {
  if (rules.single) return rules.single;
  const own =
    target.scheme === 'http' ? rules.http : target.scheme === 'https' ? rules.https : target.scheme === 'ftp' ? rules.ftp : [];
  if (own.length) return own;
  if (target.scheme === 'ws' || target.scheme === 'wss') {
    if (rules.fallback.length) return rules.fallback;
    if (rules.https.length) return rules.https;
    return rules.http;
  }
  return rules.fallback;
}
