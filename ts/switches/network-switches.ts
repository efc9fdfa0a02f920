// What the networking switches mean, derived from command-line.ts's snapshot and recomputed only
// when a switch changes.
import { BypassRules } from '../proxy/bypass-rules';
import type { ProxyConfig } from '../proxy';
import { switchesVersion, switchValue } from './command-line';
import { HostMappingRules } from './host-mapping-rules';

export interface NetworkSwitches {
  /** The proxy configuration the switches impose on sessions that never called setProxy(). */
  proxyConfig: ProxyConfig | null;
  hostRules: HostMappingRules | null;
  hostResolverRules: HostMappingRules | null;
  /** --auth-server-allowlist as Chromium's HttpAuthFilterAllowlist (bypass-rule syntax). */
  authServerAllowlist: BypassRules | null;
  authDelegateAllowlist: BypassRules | null;
  /** --auth-schemes: lowercase scheme names offered; null = all. */
  authSchemes: Set<string> | null;
  /** --ignore-connections-limit hosts. */
  ignoreConnectionsLimit: string[];
  /** --log-net-log path ('' = none) and --net-log-capture-mode. */
  netLogPath: string;
  netLogCaptureMode: string;
}

/** Chromium's HttpAuthFilterAllowlist: bypass rules behind "<-loopback>", so loopback names only
 * match when listed. */
export function authAllowlist(text: string): BypassRules {
  return new BypassRules(`<-loopback>;${text}`);
}

/** Chromium's command-line proxy precedence (CommandLinePrefStore::ApplyProxyMode). */
function proxyConfigFromSwitches(): ProxyConfig | null {
  if (switchValue('no-proxy-server') !== undefined) return { mode: 'direct' };
  const pac = switchValue('proxy-pac-url');
  if (pac !== undefined) return { mode: 'pac_script', pacScript: pac };
  if (switchValue('proxy-auto-detect') !== undefined) return { mode: 'auto_detect' };
  const server = switchValue('proxy-server');
  if (server !== undefined) return { mode: 'fixed_servers', proxyRules: server, proxyBypassRules: switchValue('proxy-bypass-list') ?? '' };
  return null;
}

let cached: NetworkSwitches | null = null;
let cachedVersion = -1;

export function networkSwitches(): NetworkSwitches {
  const version = switchesVersion();
  if (cached !== null && cachedVersion === version) return cached;
  const rules = (name: string) => {
    const text = switchValue(name);
    if (text === undefined) return null;
    const parsed = new HostMappingRules(text);
    return parsed.empty ? null : parsed;
  };
  const allow = (name: string) => {
    const text = switchValue(name);
    return text === undefined ? null : authAllowlist(text);
  };
  const schemes = switchValue('auth-schemes');
  cached = {
    proxyConfig: proxyConfigFromSwitches(),
    hostRules: rules('host-rules'),
    hostResolverRules: rules('host-resolver-rules'),
    authServerAllowlist: allow('auth-server-allowlist'),
    authDelegateAllowlist: allow('auth-negotiate-delegate-allowlist'),
    authSchemes: schemes === undefined ? null : new Set(schemes.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '')),
    ignoreConnectionsLimit: (switchValue('ignore-connections-limit') ?? '').split(',').map((s) => s.trim()).filter((s) => s !== ''),
    netLogPath: switchValue('log-net-log') ?? '',
    netLogCaptureMode: switchValue('net-log-capture-mode') ?? 'Default',
  };
  cachedVersion = version;
  return cached;
}

/** The name resolveHost() really asks for under --host-resolver-rules; null for ~NOTFOUND. */
export function resolverMappedHost(host: string): string | null {
  const mapped = networkSwitches().hostResolverRules?.map(host, 0);
  if (!mapped) return host;
  return mapped.notFound ? null : mapped.host;
}
