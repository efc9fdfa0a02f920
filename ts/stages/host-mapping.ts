// Host mapping (--host-rules, --host-resolver-rules): a direct hop to a mapped host connects to
// the mapped endpoint instead (CURLOPT_CONNECT_TO), while the URL — Host header, TLS name and
// certificate check, cookies — stays the application's, as in Chromium. `~NOTFOUND` fails the
// hop with net::ERR_NAME_NOT_RESOLVED before any network. A hop through a proxy is not mapped:
// the proxy resolves the name (Chromium's resolver rules do not apply there either).
import { netError } from '../errors';
import { networkSwitches } from '../switches/network-switches';
import { MappedEndpoint } from '../switches/host-mapping-rules';
import type { HopControl, HopDraft, Stage } from './stage';

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443, 'ws:': 80, 'wss:': 443 };

/** The endpoint a connection to host:port really goes to, after both rule lists; null when
 * neither maps it. host-rules apply first, then the resolver's rules to their result. */
export function mappedEndpoint(host: string, port: number): MappedEndpoint | null {
  const switches = networkSwitches();
  let mapped = switches.hostRules?.map(host, port) ?? null;
  const resolverStep = switches.hostResolverRules?.map(mapped?.host ?? host, mapped?.port ?? port) ?? null;
  if (resolverStep !== null) mapped = resolverStep;
  return mapped;
}

function bracketed(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

class HostMapping implements Stage {
  constructor(private readonly control: HopControl) {}

  beforeHop(draft: HopDraft): void | Error {
    const switches = networkSwitches();
    if (switches.hostRules === null && switches.hostResolverRules === null) return;
    const state = this.control.state;
    if (state.proxy.host !== undefined) return;
    const url = state.url;
    const port = url.port !== '' ? Number(url.port) : (DEFAULT_PORTS[url.protocol] ?? 80);
    const mapped = mappedEndpoint(url.hostname, port);
    if (mapped === null) return;
    if (mapped.notFound) return netError('ERR_NAME_NOT_RESOLVED');
    draft.extras.connectTo = `${bracketed(url.hostname)}:${port}:${bracketed(mapped.host)}:${mapped.port}`;
  }
}

export function hostMapping(control: HopControl): Stage | null {
  const switches = networkSwitches();
  if (switches.hostRules === null && switches.hostResolverRules === null) return null;
  return new HostMapping(control);
}
