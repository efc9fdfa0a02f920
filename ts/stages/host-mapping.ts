// Host mapping (--host-rules, --host-resolver-rules), as Chromium applies them:
// - host-rules (HostMappingRules in HttpStreamFactory::JobController) rewrite the destination
//   the stream factory connects to: a direct hop's endpoint, the CONNECT target of a tunnel
//   through an HTTP(S) proxy, the host a SOCKS proxy is asked for. The proxy is chosen for the
//   URL as made, and a plain http: request through an HTTP proxy (an absolute URL in the request
//   line, no tunnel) is not mapped.
// - host-resolver-rules (MappedHostResolver) apply to every name resolved on this side: a direct
//   hop's host (after host-rules), the proxy's own name, the target of a SOCKS4 proxy (which the
//   client resolves). A name the proxy resolves (a tunnel's target, SOCKS5) is not mapped.
// The target is mapped with CURLOPT_CONNECT_TO (libcurl uses it for the CONNECT request and the
// SOCKS request too); the URL — Host header, TLS name and certificate check, cookies — stays the
// application's. The proxy's name is pinned to the mapped address with CURLOPT_RESOLVE, so it
// keeps its name for TLS (an HTTPS proxy's certificate) and authentication (Negotiate's SPN).
// `~NOTFOUND` fails the hop before any network: net::ERR_NAME_NOT_RESOLVED for a target,
// net::ERR_PROXY_CONNECTION_FAILED for a proxy.
import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import { netError } from '../errors';
import { networkSwitches } from '../switches/network-switches';
import { MappedEndpoint } from '../switches/host-mapping-rules';
import type { HopControl, HopDraft, Stage } from './stage';
import { bracketed, effectivePort, unbracketed } from '../url-parts';


/** The endpoint a connection to host:port really goes to, after both rule lists; null when
 * neither maps it. host-rules apply first, then the resolver's rules to their result. */
export function mappedEndpoint(host: string, port: number): MappedEndpoint | null {
  const switches = networkSwitches();
  let mapped = switches.hostRules?.map(host, port) ?? null;
  const resolverStep = switches.hostResolverRules?.map(mapped?.host ?? host, mapped?.port ?? port) ?? null;
  if (resolverStep !== null) mapped = resolverStep;
  return mapped;
}


/** Where the target of a hop through a proxy of `scheme` goes: which rule lists apply to it. */
function proxiedTarget(scheme: string | undefined, url: URL, port: number): MappedEndpoint | null {
  const switches = networkSwitches();
  if (scheme === 'socks4') return mappedEndpoint(url.hostname, port); // resolved on this side
  if (scheme === 'socks5') return switches.hostRules?.map(url.hostname, port) ?? null;
  // HTTP(S) proxies: only a tunnel has a destination of its own.
  const tunnelled = url.protocol === 'https:' || url.protocol === 'wss:';
  return tunnelled ? (switches.hostRules?.map(url.hostname, port) ?? null) : null;
}

/** The CURLOPT_RESOLVE entry that pins the proxy's name to its mapped address(es); null when the
 * resolver rules leave the name alone. '+': the entry ages out of libcurl's DNS cache like any
 * answer, so a rule that is removed stops applying within libcurl's cache lifetime. */
async function proxyPin(host: string, port: number): Promise<string | null | Error> {
  const bare = unbracketed(host);
  if (isIP(bare) !== 0) return null; // an address is not resolved, so not mapped
  const mapped = networkSwitches().hostResolverRules?.map(bare, port) ?? null;
  if (mapped === null) return null;
  if (mapped.notFound) return netError('ERR_PROXY_CONNECTION_FAILED');
  let addresses: string[];
  if (isIP(mapped.host) !== 0) addresses = [mapped.host];
  else {
    try {
      addresses = (await dns.lookup(mapped.host, { all: true })).map((a) => a.address);
    } catch {
      return netError('ERR_PROXY_CONNECTION_FAILED');
    }
  }
  // libcurl resolves host:port; a port in the rule cannot move the proxy (docs/proxy.md).
  return `+${bracketed(bare)}:${port}:${addresses.map(bracketed).join(',')}`;
}

class HostMapping implements Stage {
  constructor(private readonly control: HopControl) {}

  beforeHop(draft: HopDraft): void | Error | Promise<void | Error> {
    const switches = networkSwitches();
    if (switches.hostRules === null && switches.hostResolverRules === null) return;
    const state = this.control.state;
    const url = state.url;
    const port = effectivePort(url);
    const proxy = state.proxy;
    const mapped = proxy.host === undefined ? mappedEndpoint(url.hostname, port) : proxiedTarget(proxy.scheme, url, port);
    if (mapped !== null) {
      if (mapped.notFound) return netError('ERR_NAME_NOT_RESOLVED');
      draft.extras.connectTo = `${bracketed(url.hostname)}:${port}:${bracketed(mapped.host)}:${mapped.port}`;
    }
    if (proxy.host === undefined || proxy.port === undefined || switches.hostResolverRules === null) return;
    return proxyPin(proxy.host, proxy.port).then((pin) => {
      if (pin instanceof Error) return pin;
      if (pin !== null) draft.extras.resolve = pin;
    });
  }
}

export function hostMapping(control: HopControl): Stage | null {
  const switches = networkSwitches();
  if (switches.hostRules === null && switches.hostResolverRules === null) return null;
  return new HostMapping(control);
}
