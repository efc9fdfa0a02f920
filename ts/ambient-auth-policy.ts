// Who may be answered with the process's own identity (Chromium's HttpAuthPreferences /
// URLSecurityManagerAllowlist): Negotiate uses the Kerberos ticket cache only for servers on the
// allowlist — the session's allowNTLMCredentialsForDomains() list, else --auth-server-allowlist;
// with neither, no server (Chromium on Linux). Proxies are always allowed. Delegation of the
// ticket (CURLOPT_GSSAPI_DELEGATION) only to hosts on --auth-negotiate-delegate-allowlist.
// --auth-schemes restricts which schemes are answered at all. Lists use Chromium's
// HttpAuthFilterAllowlist syntax: bypass rules (`*.corp.example`, `host:port`, CIDR), where
// loopback names match only when listed.
import type { AuthScheme } from './auth-cache';
import { BypassRules } from './proxy/bypass-rules';
import { parseTargetUrl } from './proxy/target-url';
import type { Session } from './session';
import { networkSwitches } from './switches/network-switches';

/** CURLGSSAPI_DELEGATION_FLAG: delegate unconditionally (Chromium's default when allowed). */
export const GSSAPI_DELEGATE_ALWAYS = 2;

const sessionAllowlists = new WeakMap<Session, BypassRules>();

/** ses.allowNTLMCredentialsForDomains(domains). */
export function setSessionAmbientAllowlist(session: Session, list: BypassRules): void {
  sessionAllowlists.set(session, list);
}

function matches(list: BypassRules, url: URL | string): boolean {
  try {
    return list.matches(parseTargetUrl(url));
  } catch {
    return false;
  }
}

/** May a server at `url` be answered with the ambient identity (Negotiate's ticket cache)? */
export function ambientAllowedForServer(session: Session, url: URL): boolean {
  const list = sessionAllowlists.get(session) ?? networkSwitches().authServerAllowlist;
  return list !== null && matches(list, url);
}

/** CURLOPT_GSSAPI_DELEGATION for a hop to `url`, through `proxyHost` if any. */
export function gssapiDelegationFor(url: URL, proxy?: { scheme?: string; host?: string; port?: number }): number {
  const list = networkSwitches().authDelegateAllowlist;
  if (list === null) return 0;
  if (matches(list, url)) return GSSAPI_DELEGATE_ALWAYS;
  if (proxy?.host !== undefined) {
    const host = proxy.host.includes(':') ? `[${proxy.host}]` : proxy.host;
    if (matches(list, `http://${host}:${proxy.port}/`)) return GSSAPI_DELEGATE_ALWAYS;
  }
  return 0;
}

/** The schemes --auth-schemes allows (all when the switch is absent). */
export function allowedSchemes(schemes: Set<AuthScheme>): Set<AuthScheme> {
  const allowed = networkSwitches().authSchemes;
  if (allowed === null) return schemes;
  return new Set([...schemes].filter((s) => allowed.has(s)));
}
