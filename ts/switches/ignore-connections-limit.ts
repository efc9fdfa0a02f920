// --ignore-connections-limit=host1,host2 as Electron applies it (ProxyingURLLoaderFactory::
// ShouldIgnoreConnectionsLimit): a request whose URL's host is one of the listed domains or a
// subdomain of one (GURL::DomainIs) is exempt from the connection limits (net::LOAD_IGNORE_LIMITS,
// which skips both the per-host and the pool-wide limit) and runs at the highest priority. The
// decision is made once, on the URL the request was made with, and holds for all its hops.
import { networkSwitches } from './network-switches';

/** url::DomainIs: `host` is `domain` or ends with "." + `domain`; a trailing dot on the host
 * alone is ignored. Both sides canonical (WHATWG hosts are lowercase; the switch's entries are
 * compared as given, as Chromium does). */
export function domainIs(host: string, domain: string): boolean {
  if (host === '' || domain === '') return false;
  let length = host.length;
  if (host.endsWith('.') && !domain.endsWith('.')) length -= 1;
  if (length < domain.length) return false;
  const start = length - domain.length;
  if (host.slice(start, length) !== domain) return false;
  return domain.startsWith('.') || start === 0 || host[start - 1] === '.';
}

/** Whether a request made for `url` ignores the connection limits under the switches. */
export function ignoresConnectionsLimit(url: URL): boolean {
  const domains = networkSwitches().ignoreConnectionsLimit;
  if (domains.length === 0) return false;
  const host = url.hostname;
  return domains.some((domain) => domainIs(host, domain));
}
