// "Site" as Chromium's cookie code uses it: scheme plus registrable domain (eTLD+1, from the
// public suffix list tldts ships), or the host itself for IP addresses and hosts that have no
// registrable domain (localhost). Schemeful, as Chromium has been since M89: http://a.test and
// https://a.test are different sites.
import { getDomain } from 'tldts';

const registrable = new Map<string, string>();

/** The registrable domain of a host (memoised: a request asks for it on every hop). */
export function registrableDomain(hostname: string): string {
  let domain = registrable.get(hostname);
  if (domain === undefined) {
    const host = hostname.startsWith('[') ? hostname : hostname.toLowerCase();
    domain = (host.startsWith('[') ? null : getDomain(host, { allowPrivateDomains: true })) ?? host;
    if (registrable.size > 10_000) registrable.clear();
    registrable.set(hostname, domain);
  }
  return domain;
}

export function sameSite(a: URL, b: URL): boolean {
  return a.protocol === b.protocol && registrableDomain(a.hostname) === registrableDomain(b.hostname);
}
